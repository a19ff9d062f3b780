"""Discord's documented payload limits, checked the way Discord checks them.

A payload real Discord would refuse must fail in tests too, with the answer Discord
gives: HTTP 400, code 50035 "Invalid Form Body" and a nested ``errors`` body naming
every offending field (``{"embeds": {"0": {"description": {"_errors": [...]}}}}``),
which discord.py flattens into the exception text ("In embeds.0.description: ...").
All problems in one payload are reported together, as Discord does.

Sources: the Discord API reference (message, embed, component, channel, application
command and modal limits) and discord.py's own payload builders.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from discord import Permissions

from .models import walk_components
from .routing import http_error

Path = Sequence[str | int]

# -- messages -----------------------------------------------------------------------------
MAX_CONTENT = 2000
#: Files one message may carry.
MAX_FILES = 10
#: The upload limit by server boost level ("Uploading Files" in the API reference): 10 MiB,
#: 50 MiB from level 2, 100 MiB at level 3. It bounds the files of one request together.
_UPLOAD_LIMITS = {0: 10 * 1024 * 1024, 1: 10 * 1024 * 1024, 2: 50 * 1024 * 1024, 3: 100 * 1024 * 1024}


def upload_limit(premium_tier: int) -> int:
    return _UPLOAD_LIMITS[premium_tier]


def check_files(files: Sequence[tuple[int, str, bytes]], limit: int) -> None:
    """The files of one message: at most ten, and together within the server's upload limit.

    Too many files is a form error; too many bytes is refused before the form is read, with
    HTTP 413 and code 40005, as Discord answers an oversized request.
    """
    errors = FormErrors()
    if len(files) > MAX_FILES:
        errors.add(["files"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length.")
    if sum(len(data) for _, _, data in files) > limit:
        raise http_error(413, 40005, "Request entity too large")
    errors.raise_if_any()
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
MAX_ACTION_ROWS = 5
MAX_ROW_BUTTONS = 5
BUTTON_LABEL = 80
CUSTOM_ID = 100
SELECT_OPTIONS = 25
SELECT_PLACEHOLDER = 150
SELECT_OPTION_TEXT = 100
MAX_V2_COMPONENTS = 40
IS_COMPONENTS_V2 = 1 << 15
# -- modals ---------------------------------------------------------------------------------
MODAL_TITLE = 45
MODAL_COMPONENTS = 5
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100
TEXT_INPUT_VALUE = 4000
# -- channels -------------------------------------------------------------------------------
CHANNEL_NAME = 100
CHANNEL_TOPIC = 1024
CATEGORY_CHANNELS = 50
GUILD_CHANNELS = 500
SLOWMODE_MAX = 21600
GUILD_ROLES = 250
#: pinned messages a channel keeps (pinning one more is refused with 30003)
CHANNEL_PINS = 50
# -- application commands -----------------------------------------------------------------------
COMMAND_NAME = 32
COMMAND_DESCRIPTION = 100
COMMAND_OPTIONS = 25
COMMAND_CHOICES = 25
CHOICE_NAME = 100
CHOICE_STRING_VALUE = 100
COMMAND_TOTAL_CHARS = 4000
STRING_OPTION_LENGTH = 6000
#: commands per scope (global, or one guild) by type: chat input, user, message
COMMANDS_PER_TYPE = {1: 100, 2: 5, 3: 5}
#: every permission bit Discord defines, as discord.py knows them
ALL_PERMISSIONS = Permissions.all().value
#: where a command may be used (guild, bot DM, private channel) and how it is installed (guild, user)
COMMAND_CONTEXTS = (0, 1, 2)
INTEGRATION_TYPES = (0, 1)

_BUTTON = 2
_SELECTS = (3, 5, 6, 7, 8)
_TEXT_INPUT = 4
_LINK_STYLE = 5
_PREMIUM_STYLE = 6
_SUBCOMMAND, _GROUP = 1, 2
_CHOICE_TYPES = (3, 4, 10)
_CHANNEL_OPTION = 7
_OPTION_TYPES = range(1, 12)
#: Scripts whose combining marks Discord's name regex admits (\p{sc=Deva}, \p{sc=Thai}).
_EXTRA_SCRIPT_RANGES = ((0x0900, 0x097F), (0x0E00, 0x0E7F))


class FormErrors:
    """Collects Discord-style field errors for one payload, then raises them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Path, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_length(self, path: Path, value: Any, low: int, high: int) -> None:
        if value is None:
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def in_range(self, path: Path, value: Any, low: int, high: int) -> None:
        if value is not None and not (isinstance(value, int) and low <= value <= high):
            self.add(path, "NUMBER_TYPE_MAX" if isinstance(value, int) and value > high else "NUMBER_TYPE_MIN",
                     f"Must be between {low} and {high}.")  # fmt: skip

    def raise_if_any(self) -> None:
        if self.errors:
            raise http_error(400, 50035, "Invalid Form Body", errors=self.errors)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- messages -------------------------------------------------------------------------------


def check_message(body: dict[str, Any]) -> None:
    """Content, embeds and components of a message create or edit (REST, webhook or callback)."""
    errors = FormErrors()
    errors.max_length(["content"], body.get("content"), MAX_CONTENT)
    flags = int(body.get("flags") or 0)
    v2 = bool(flags & IS_COMPONENTS_V2)
    embeds = body.get("embeds") or []
    if v2 and (body.get("content") or embeds):
        field = "content" if body.get("content") else "embeds"
        errors.add([field], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                   "The 'content' and 'embeds' fields cannot be used when using the IS_COMPONENTS_V2 flag")  # fmt: skip
    _check_embeds(errors, embeds)
    components = body.get("components") or []
    if v2:
        _check_v2_components(errors, components)
    else:
        _check_action_rows(errors, components)
    _check_unique_custom_ids(errors, components)
    errors.raise_if_any()


def _check_embeds(errors: FormErrors, embeds: list[dict[str, Any]]) -> None:
    if len(embeds) > MAX_EMBEDS:
        errors.add(["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        at: list[str | int] = ["embeds", i]
        title, description = _text(embed.get("title")), _text(embed.get("description"))
        footer = _text((embed.get("footer") or {}).get("text"))
        author = _text((embed.get("author") or {}).get("name"))
        errors.max_length([*at, "title"], title, EMBED_TITLE)
        errors.max_length([*at, "description"], description, EMBED_DESCRIPTION)
        errors.max_length([*at, "footer", "text"], footer, EMBED_FOOTER)
        errors.max_length([*at, "author", "name"], author, EMBED_AUTHOR)
        total += len(title) + len(description) + len(footer) + len(author)
        fields = embed.get("fields") or []
        errors.max_length([*at, "fields"], fields, EMBED_FIELDS)
        for j, field in enumerate(fields):
            name, value = field.get("name"), field.get("value")
            errors.bad_length([*at, "fields", j, "name"], name, 1, EMBED_FIELD_NAME)
            errors.bad_length([*at, "fields", j, "value"], value, 1, EMBED_FIELD_VALUE)
            total += len(_text(name)) + len(_text(value))
    if total > MAX_EMBED_TOTAL:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}")


def _check_action_rows(errors: FormErrors, rows: list[dict[str, Any]]) -> None:
    if len(rows) > MAX_ACTION_ROWS:
        errors.add(["components"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ACTION_ROWS} or fewer in length.")
    for i, row in enumerate(rows):
        at: list[str | int] = ["components", i]
        if row.get("type") != 1:
            errors.add([*at, "type"], "UNION_TYPE_CHOICES",
                       "Value of field \"type\" must be one of (1,) without the IS_COMPONENTS_V2 flag.")  # fmt: skip
            continue
        children = row.get("components") or []
        kinds = [c.get("type") for c in children]
        if not children:
            errors.add([*at, "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        elif any(k in _SELECTS for k in kinds) and len(children) > 1:
            errors.add([*at, "components"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                       "The specified component exceeds the maximum width")  # fmt: skip
        elif len(children) > MAX_ROW_BUTTONS:
            errors.add([*at, "components"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROW_BUTTONS} or fewer in length.")
        for j, child in enumerate(children):
            _check_interactive(errors, [*at, "components", j], child)


def _check_v2_components(errors: FormErrors, components: list[dict[str, Any]]) -> None:
    count = 0

    def walk(items: list[dict[str, Any]], at: list[str | int]) -> None:
        nonlocal count
        for i, item in enumerate(items):
            count += 1
            here = [*at, i]
            _check_interactive(errors, here, item)
            walk(item.get("components") or [], [*here, "components"])
            for key in ("accessory", "component"):
                child = item.get(key)
                if isinstance(child, dict):
                    count += 1
                    _check_interactive(errors, [*here, key], child)

    walk(components, ["components"])
    if count > MAX_V2_COMPONENTS:
        errors.add(["components"], "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED",
                   f"The total number of components cannot exceed {MAX_V2_COMPONENTS}")  # fmt: skip


def _check_interactive(errors: FormErrors, at: list[str | int], component: dict[str, Any]) -> None:
    """Buttons and select menus, wherever they sit in the tree."""
    kind = component.get("type")
    if kind == _BUTTON:
        style = component.get("style")
        errors.max_length([*at, "label"], component.get("label"), BUTTON_LABEL)
        if style == _LINK_STYLE:
            if not component.get("url"):
                errors.add([*at, "url"], "BASE_TYPE_REQUIRED", "This field is required")
            if component.get("custom_id") is not None:
                errors.add([*at, "custom_id"], "BUTTON_COMPONENT_LINK_HAS_CUSTOM_ID",
                           "A link button cannot have a custom id")  # fmt: skip
        elif style != _PREMIUM_STYLE:
            errors.bad_length([*at, "custom_id"], component.get("custom_id"), 1, CUSTOM_ID)
            if not component.get("label") and not component.get("emoji"):
                errors.add([*at, "label"], "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
                           "A button needs a label or an emoji")  # fmt: skip
    elif kind in _SELECTS:
        errors.bad_length([*at, "custom_id"], component.get("custom_id"), 1, CUSTOM_ID)
        errors.max_length([*at, "placeholder"], component.get("placeholder"), SELECT_PLACEHOLDER)
        errors.in_range([*at, "min_values"], component.get("min_values"), 0, SELECT_OPTIONS)
        errors.in_range([*at, "max_values"], component.get("max_values"), 1, SELECT_OPTIONS)
        if kind == 3:
            options = component.get("options")
            errors.bad_length([*at, "options"], options, 1, SELECT_OPTIONS)
            for j, option in enumerate(options or []):
                errors.bad_length([*at, "options", j, "label"], option.get("label"), 1, SELECT_OPTION_TEXT)
                errors.bad_length([*at, "options", j, "value"], option.get("value"), 1, SELECT_OPTION_TEXT)
                errors.max_length([*at, "options", j, "description"], option.get("description"), SELECT_OPTION_TEXT)


def _check_unique_custom_ids(errors: FormErrors, components: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for component in walk_components(components):
        custom_id = component.get("custom_id")
        if custom_id is None:
            continue
        if custom_id in seen:
            errors.add(["components"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
            return
        seen.add(custom_id)


def check_autocomplete(data: dict[str, Any], option_type: int | None) -> None:
    """An interaction callback of type 8: at most 25 choices, names 1–100 characters, and values of
    the focused option's type (a string of at most 100 characters, or a number)."""
    errors = FormErrors()
    choices = data.get("choices")
    if not isinstance(choices, list):
        errors.add(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_if_any()
        return
    errors.max_length(["data", "choices"], choices, COMMAND_CHOICES)
    for i, choice in enumerate(choices):
        at: list[str | int] = ["data", "choices", i]
        errors.bad_length([*at, "name"], choice.get("name"), 1, CHOICE_NAME)
        value = choice.get("value")
        if option_type == 3:
            if not isinstance(value, str):
                errors.add([*at, "value"], "BASE_TYPE_STRING", "Must be a string.")
            else:
                errors.max_length([*at, "value"], value, CHOICE_STRING_VALUE)
        elif option_type in (4, 10) and (not isinstance(value, int | float) or isinstance(value, bool)):
            errors.add([*at, "value"], "BASE_TYPE_NUMBER", "Must be a number.")
    errors.raise_if_any()


def check_modal(data: dict[str, Any]) -> None:
    """An interaction callback of type 9: the modal a user is shown."""
    errors = FormErrors()
    errors.bad_length(["data", "title"], data.get("title"), 1, MODAL_TITLE)
    errors.bad_length(["data", "custom_id"], data.get("custom_id"), 1, CUSTOM_ID)
    top = data.get("components")
    errors.bad_length(["data", "components"], top, 1, MODAL_COMPONENTS)
    for i, item in enumerate(top or []):
        at: list[str | int] = ["data", "components", i]
        if item.get("type") == 1:
            inputs = [(j, c) for j, c in enumerate(item.get("components") or [])]
            pairs = [([*at, "components", j], c, c.get("label")) for j, c in inputs]
        else:
            pairs = [([*at, "component"], item.get("component") or {}, item.get("label"))]
            errors.max_length([*at, "label"], item.get("label"), TEXT_INPUT_LABEL)
        for here, component, label in pairs:
            if component.get("type") != _TEXT_INPUT:
                continue
            errors.bad_length([*here, "custom_id"], component.get("custom_id"), 1, CUSTOM_ID)
            if item.get("type") == 1:
                errors.bad_length([*here, "label"], label, 1, TEXT_INPUT_LABEL)
            errors.max_length([*here, "placeholder"], component.get("placeholder"), TEXT_INPUT_PLACEHOLDER)
            errors.max_length([*here, "value"], component.get("value"), TEXT_INPUT_VALUE)
            errors.in_range([*here, "min_length"], component.get("min_length"), 0, TEXT_INPUT_VALUE)
            errors.in_range([*here, "max_length"], component.get("max_length"), 1, TEXT_INPUT_VALUE)
    errors.raise_if_any()


# -- channels ---------------------------------------------------------------------------------


def check_channel_fields(body: dict[str, Any], name: str | None) -> None:
    """Name (after Discord's normalisation), topic and slowmode of a channel create or edit."""
    errors = FormErrors()
    if name is not None:
        errors.bad_length(["name"], name, 1, CHANNEL_NAME)
    errors.max_length(["topic"], body.get("topic"), CHANNEL_TOPIC)
    errors.in_range(["rate_limit_per_user"], body.get("rate_limit_per_user"), 0, SLOWMODE_MAX)
    errors.raise_if_any()


def category_full() -> Exception:
    errors = FormErrors()
    errors.add(["parent_id"], "CHANNEL_PARENT_MAX_CHANNELS",
               f"Maximum number of channels in category reached ({CATEGORY_CHANNELS})")  # fmt: skip
    return http_error(400, 50035, "Invalid Form Body", errors=errors.errors)


# -- application commands -----------------------------------------------------------------------


def valid_command_name(name: Any) -> bool:
    """Discord's ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``, lower-case where a letter has one."""
    if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME:
        return False
    for char in name:
        category = unicodedata.category(char)
        in_script = any(low <= ord(char) <= high for low, high in _EXTRA_SCRIPT_RANGES)
        if not (char in "-_'" or category[0] in "LN" or in_script):
            return False
        if char != char.lower():
            return False
    return True


def check_commands(commands: Any) -> None:
    """A bulk overwrite: every command valid, names unique per type, within the per-scope limits."""
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add([], "MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType")
        errors.raise_if_any()
    seen: set[tuple[str, int]] = set()
    per_type: dict[int, int] = {}
    for i, command in enumerate(commands):
        _check_command(errors, [i], command)
        kind = int(command.get("type") or 1)
        per_type[kind] = per_type.get(kind, 0) + 1
        key = (str(command.get("name")), kind)
        if key in seen:
            errors.add([i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
        seen.add(key)
    for kind, count in per_type.items():
        limit = COMMANDS_PER_TYPE.get(kind)
        if limit is not None and count > limit:
            errors.add([], "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    errors.raise_if_any()


def check_command(command: Any) -> None:
    """One command created or edited on its own."""
    errors = FormErrors()
    _check_command(errors, [], command)
    errors.raise_if_any()


def _check_command(errors: FormErrors, at: list[str | int], command: Any) -> None:
    if not isinstance(command, dict):
        errors.add(at, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    kind = int(command.get("type") or 1)
    name, description = command.get("name"), command.get("description")
    if kind not in (1, 2, 3, 4):
        errors.add([*at, "type"], "ENUM_TYPE_COERCE", f"Value \"{kind}\" is not a valid enum value.")
        return
    if kind == 1:
        if not valid_command_name(name):
            errors.add([*at, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        errors.bad_length([*at, "description"], description, 1, COMMAND_DESCRIPTION)
        _check_options(errors, [*at, "options"], command.get("options") or [])
    else:
        errors.bad_length([*at, "name"], name, 1, COMMAND_NAME)
        if description:
            errors.add([*at, "description"], "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                       "Context menu commands cannot have a description")  # fmt: skip
        if command.get("options"):
            errors.add([*at, "options"], "APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED",
                       "Only chat input commands can have options")  # fmt: skip
    _check_permissions_and_contexts(errors, at, command)
    if _command_size(command) > COMMAND_TOTAL_CHARS:
        errors.add(at, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({COMMAND_TOTAL_CHARS})")


def _check_permissions_and_contexts(errors: FormErrors, at: list[str | int], command: dict[str, Any]) -> None:
    """`default_member_permissions` is a permission bit set (documented as a string of digits; an
    integer, which discord.py sends, is accepted too), or null (everyone); 0 hides the command from
    all but admins. `contexts` and `integration_types` are
    lists of their enum values."""
    required = command.get("default_member_permissions")
    if required is not None:
        as_int = isinstance(required, int) and not isinstance(required, bool) and required >= 0
        if not (as_int or (isinstance(required, str) and required.isdigit())):
            errors.add([*at, "default_member_permissions"], "PERMISSIONS_TYPE_COERCE",
                       f"Value \"{required}\" is not a valid permission set.")  # fmt: skip
        elif int(required) & ~ALL_PERMISSIONS:
            errors.add([*at, "default_member_permissions"], "PERMISSIONS_TYPE_COERCE",
                       f"Value \"{required}\" has unknown permission bits.")  # fmt: skip
    for key, allowed in (("contexts", COMMAND_CONTEXTS), ("integration_types", INTEGRATION_TYPES)):
        values = command.get(key)
        if values is None:
            continue
        if not isinstance(values, list):
            errors.add([*at, key], "MODEL_TYPE_CONVERT", "Only iterables may be used in a ListType")
            continue
        for i, value in enumerate(values):
            if value not in allowed:
                errors.add([*at, key, i], "ENUM_TYPE_COERCE", f"Value \"{value}\" is not a valid enum value.")


def _check_options(errors: FormErrors, at: list[str | int], options: list[dict[str, Any]]) -> None:
    """One level of options; a group holds only subcommands and a subcommand holds only values,
    so nesting deeper than command → group → subcommand is refused by the level above."""
    errors.max_length(at, options, COMMAND_OPTIONS)
    kinds = [o.get("type") for o in options]
    nested = [k in (_SUBCOMMAND, _GROUP) for k in kinds]
    if any(nested) and not all(nested):
        errors.add(at, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                   "Subcommands and subcommand groups cannot be mixed with other options")  # fmt: skip
    names: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        here = [*at, i]
        kind = option.get("type")
        name = option.get("name")
        if kind not in _OPTION_TYPES:
            errors.add([*here, "type"], "ENUM_TYPE_COERCE", f"Value \"{kind}\" is not a valid enum value.")
            continue
        if not valid_command_name(name):
            errors.add([*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        if name in names:
            errors.add([*here, "name"], "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Option names must be unique")
        names.add(str(name))
        errors.bad_length([*here, "description"], option.get("description"), 1, COMMAND_DESCRIPTION)
        if kind == _GROUP:
            children = option.get("options") or []
            if any(c.get("type") != _SUBCOMMAND for c in children):
                errors.add([*here, "options"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                           "Subcommand groups can only contain subcommands")  # fmt: skip
            _check_options(errors, [*here, "options"], children)
            continue
        if kind == _SUBCOMMAND:
            children = option.get("options") or []
            if any(c.get("type") in (_SUBCOMMAND, _GROUP) for c in children):
                errors.add([*here, "options"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                           "Subcommands cannot contain subcommands or groups")  # fmt: skip
            _check_options(errors, [*here, "options"], children)
            continue
        _check_value_option(errors, here, option)
        if option.get("required"):
            if optional_seen:
                errors.add([*here, "required"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                           "Required options must be placed before non-required options")  # fmt: skip
        else:
            optional_seen = True


def _check_value_option(errors: FormErrors, at: list[str | int], option: dict[str, Any]) -> None:
    kind = option["type"]
    if option.get("options"):
        errors.add([*at, "options"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                   "Only subcommands and groups can have options")  # fmt: skip
    choices = option.get("choices")
    if choices:
        if kind not in _CHOICE_TYPES:
            errors.add([*at, "choices"], "APPLICATION_COMMAND_OPTION_CHOICES_NOT_ALLOWED",
                       "Choices are only allowed for string, integer and number options")  # fmt: skip
        if option.get("autocomplete"):
            errors.add([*at, "autocomplete"], "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES_CONFLICT",
                       "Autocomplete cannot be enabled on an option with choices")  # fmt: skip
        errors.max_length([*at, "choices"], choices, COMMAND_CHOICES)
        for j, choice in enumerate(choices):
            errors.bad_length([*at, "choices", j, "name"], choice.get("name"), 1, CHOICE_NAME)
            value = choice.get("value")
            if kind == 3:
                errors.bad_length([*at, "choices", j, "value"], value if isinstance(value, str) else None,
                                  1, CHOICE_STRING_VALUE)  # fmt: skip
            elif kind == 4 and not (isinstance(value, int) and not isinstance(value, bool)):
                errors.add([*at, "choices", j, "value"], "NUMBER_TYPE_COERCE", f"Value \"{value}\" is not int.")
            elif kind == 10 and not isinstance(value, int | float):
                errors.add([*at, "choices", j, "value"], "NUMBER_TYPE_COERCE", f"Value \"{value}\" is not a number.")
    if kind == 3:
        errors.in_range([*at, "min_length"], option.get("min_length"), 0, STRING_OPTION_LENGTH)
        errors.in_range([*at, "max_length"], option.get("max_length"), 1, STRING_OPTION_LENGTH)
    if option.get("channel_types") and kind != _CHANNEL_OPTION:
        errors.add([*at, "channel_types"], "APPLICATION_COMMAND_OPTION_CHANNEL_TYPES_NOT_ALLOWED",
                   "Channel types are only allowed for channel options")  # fmt: skip


def _command_size(command: dict[str, Any]) -> int:
    """Combined length of the names, descriptions and choice values Discord counts towards 4000."""

    def option_size(option: dict[str, Any]) -> int:
        size = len(_text(option.get("name"))) + len(_text(option.get("description")))
        for choice in option.get("choices") or []:
            size += len(_text(choice.get("name"))) + len(_text(choice.get("value")))
        return size + sum(option_size(o) for o in option.get("options") or [])

    return option_size(command)
