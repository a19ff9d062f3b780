"""What every cog shares: who may do what, which café a command means, and replying safely.

Not an extension (the leading underscore keeps the loader off it): the cogs import it.
Role checks live here as `app_commands` check decorators, so invariant 6 (only organisers
export or purge; only facilitators and organisers drive rounds) is one rule, checked before a
command's body runs. Each check is marked with the `Gate` it keeps (`gate_of`), so a test can walk
the command tree and hold every gated command to its group's `default_permissions`, and every
ungated one to none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import BletherBot
from bot.core.cooldown import Cooldown
from bot.core.errors import UserError
from bot.core.models import GuildConfig, Session
from bot.core.timeline import ACTIVE_STATES, FINAL_STATES
from bot.discord_chat import OfferItem
from bot.services.chat import OfferKind

SETUP_HINT = (
    "Blether isn't set up on this server yet. A server admin can run `/blether setup` to choose the organiser "
    "and facilitator roles, the hosts' channels and the time zone."
)
#: Discord's integer options stop at 2**53; a café number is far below that.
MAX_CAFE_ID = 2**53 - 1

T = TypeVar("T")
#: the attribute a check's predicate carries to say which gate it is
GATE_MARK = "blether_gate"


class Gate(StrEnum):
    """Who a command is for, as its check decides. Discord's `default_permissions` only hide a
    command until a server admin changes them (Server Settings → Integrations); the gate is what
    actually refuses."""

    ORGANISERS = "organisers"
    FACILITATORS = "facilitators"
    ADMINS = "admins"
    OWNER = "owner"


def gate_of(command: app_commands.Command[Any, ..., Any]) -> Gate | None:
    """The gate a command's checks keep; None for a command everyone may use."""
    for check in command.checks:
        gate = getattr(check, GATE_MARK, None)
        if isinstance(gate, Gate):
            return gate
    return None


def _gated(gate: Gate, predicate: Callable[[discord.Interaction], Coroutine[Any, Any, bool]]) -> Callable[[T], T]:
    setattr(predicate, GATE_MARK, gate)
    return app_commands.check(predicate)


class Refusal(app_commands.AppCommandError):
    """A refusal to show as it is (the command's checks and options raise these)."""


class NotAllowed(Refusal, app_commands.CheckFailure):
    """The person may not use this command here."""


def blether(interaction: discord.Interaction) -> BletherBot:
    client = interaction.client
    assert isinstance(client, BletherBot)
    return client


def add_buttons(bot: commands.Bot, *items: type[discord.ui.DynamicItem[Any]],
                offers: dict[OfferKind, OfferItem] | None = None) -> None:
    """Register a cog's persistent buttons, and which of them draws each offer the services make."""
    assert isinstance(bot, BletherBot)
    bot.add_dynamic_items(*items)
    for kind, item in (offers or {}).items():
        bot.chat.register_offer(kind, item)


async def _server_config(interaction: discord.Interaction) -> GuildConfig:
    if interaction.guild_id is None:
        raise NotAllowed("This command works in a server, not in direct messages.")
    config = await blether(interaction).services.servers.get(interaction.guild_id)
    if config is None:
        raise NotAllowed(SETUP_HINT)
    return config


def config_of(interaction: discord.Interaction) -> GuildConfig:
    """The server's settings, read once by the command's role check."""
    config = interaction.extras.get("config")
    assert isinstance(config, GuildConfig), "config_of needs a role check on the command"
    return config


def _role_ids(member: discord.abc.User) -> set[int]:
    return {role.id for role in getattr(member, "roles", [])}


def is_organiser(member: discord.abc.User, config: GuildConfig) -> bool:
    """The organiser role (by id: a look-alike role with the same name is nobody), or anyone who
    can manage the server."""
    permissions = getattr(member, "guild_permissions", None)
    if permissions is not None and permissions.manage_guild:
        return True
    return config.organiser_role_id is not None and config.organiser_role_id in _role_ids(member)


def is_facilitator(member: discord.abc.User, config: GuildConfig) -> bool:
    role_id = config.facilitator_role_id
    return (role_id is not None and role_id in _role_ids(member)) or is_organiser(member, config)


def role_label(interaction: discord.Interaction, role_id: int | None) -> str:
    """A role as people read it: its current name (renaming keeps its powers, so the name shown
    follows the role), never a mention."""
    role = interaction.guild.get_role(role_id) if interaction.guild is not None and role_id is not None else None
    return f"**{discord.utils.escape_markdown(role.name)}**" if role is not None else "(a role that no longer exists)"


def _roles_by_id_hint(config: GuildConfig) -> str:
    names = f" (it looks for the roles called **{config.named_roles[0]}** and **{config.named_roles[1]}** " \
            "if none is given)" if config.named_roles else ""
    return ("Blether now recognises the organiser and facilitator roles by their id rather than their name, so a "
            "role someone creates with the same name gets no powers. A server admin (Manage Server) must run "
            f"`/blether setup` once more{names}.")


def _role_check(gate: Gate, allowed: Callable[[discord.abc.User, GuildConfig], bool],
                refusal: Callable[[discord.Interaction, GuildConfig], str],
                role_id: Callable[[GuildConfig], int | None]) -> Callable[[T], T]:
    """A check that reads the server's settings once, refuses with words, and leaves the settings
    in `interaction.extras` for the command (see `config_of`)."""

    async def predicate(interaction: discord.Interaction) -> bool:
        config = await _server_config(interaction)
        if not allowed(interaction.user, config):
            raise NotAllowed(_roles_by_id_hint(config) if role_id(config) is None else refusal(interaction, config))
        interaction.extras["config"] = config
        return True

    return _gated(gate, predicate)


def organisers_only() -> Callable[[T], T]:
    """Only organisers (the organiser role or Manage Server) may run the command."""
    return _role_check(
        Gate.ORGANISERS, is_organiser,
        lambda interaction, config: (f"Only organisers can do this: people with the "
                                     f"{role_label(interaction, config.organiser_role_id)} role or the Manage "
                                     "Server permission."),
        lambda config: config.organiser_role_id,
    )


def facilitators_only() -> Callable[[T], T]:
    """Facilitators and organisers may run the command."""
    return _role_check(
        Gate.FACILITATORS, is_facilitator,
        lambda interaction, config: (f"Only facilitators and organisers can do this: people with the "
                                     f"{role_label(interaction, config.facilitator_role_id)} or "
                                     f"{role_label(interaction, config.organiser_role_id)} role."),
        lambda config: config.facilitator_role_id,
    )


def admins_only() -> Callable[[T], T]:
    """Only server admins (Manage Server) may run the command: they choose who the organisers are."""

    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not (isinstance(member, discord.Member) and member.guild_permissions.manage_guild):
            raise NotAllowed("Only server admins (Manage Server permission) can set Blether up.")
        return True

    return _gated(Gate.ADMINS, predicate)


def owner_only() -> Callable[[T], T]:
    """Only the bot's owner (the owner of its Discord application, or its team) may run the
    command: it changes Blether's commands on every server, not just this one."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if not await blether(interaction).is_owner(interaction.user):
            raise NotAllowed("Only the bot's owner can do this: it changes Blether's commands on every server. "
                             "A server admin can ask them, or the bot's host can run `blether sync`.")
        return True

    return _gated(Gate.OWNER, predicate)


class CafeTransformer(app_commands.Transformer):
    """A café option: typed as its number, offered by title in autocomplete, checked to be this server's."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return MAX_CAFE_ID

    async def transform(self, interaction: discord.Interaction, value: Any) -> Session:
        try:
            return await blether(interaction).services.cafes.require(int(value), interaction.guild_id or 0)
        except UserError as exc:
            raise Refusal(str(exc)) from exc

    async def autocomplete(self, interaction: discord.Interaction,
                           value: int | float | str) -> list[app_commands.Choice[int | float | str]]:
        if interaction.guild_id is None:
            return []
        listed = await blether(interaction).services.scheduling.list(interaction.guild_id)
        # Cafés still to come or under way first, newest first within each.
        listed.sort(key=lambda item: (item.session.state in FINAL_STATES, -item.session.starts_at.timestamp()))
        typed = str(value).strip().lower()
        number = typed.lstrip("#")
        choices: list[app_commands.Choice[int | float | str]] = []
        for item in listed:
            s = item.session
            label = f"#{s.id} {s.plan_title} — {item.when} — {s.state.value}"
            # A number is a café number being typed; anything else searches the title, date and state.
            wanted = str(s.id).startswith(number) if number.isdigit() else typed in label.lower()
            if wanted:
                choices.append(app_commands.Choice(name=label[:100], value=s.id))
        return choices[:25]


CafeOption = app_commands.Transform[Session, CafeTransformer]


async def cafe_here(interaction: discord.Interaction, given: Session | None) -> Session:
    """The café a command means: the one named, else the one this channel belongs to, else this
    server's only café that is under way. Anything else is ambiguous and asks the person to choose."""
    if given is not None:
        return given
    services = blether(interaction).services
    guild_id = interaction.guild_id or 0
    if interaction.channel_id is not None:
        here = await services.cafes.of_channel(interaction.channel_id, guild_id)
        if here is not None:
            return here
    running = [item.session for item in await services.scheduling.list(guild_id)
               if item.session.state in ACTIVE_STATES]
    if len(running) == 1:
        return running[0]
    raise UserError("Which café? Choose it in the `cafe` option (`/cafes` shows them).")


async def reply(interaction: discord.Interaction, text: str, *, view: discord.ui.View | None = None,
                ephemeral: bool = True, file: discord.File | None = None,
                embed: discord.Embed | None = None) -> None:
    """Answer once, whether or not the interaction was already answered or deferred."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if embed is not None:
        kwargs["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(text[:2000], **kwargs)
    else:
        await interaction.response.send_message(text[:2000], **kwargs)


async def pressed_too_soon(interaction: discord.Interaction, button: str, session_id: int, cooldown: Cooldown,
                           already: str) -> bool:
    """Per person, button and café: a press inside the button's cooldown does nothing new and is
    answered with `already` and when a press will act again. Timed by Discord's clock (the
    interaction's own timestamp), so every press is measured the same way."""
    verdict = blether(interaction).services.presses.press(button, session_id, interaction.user.id, cooldown,
                                                          interaction.created_at)
    if verdict.allowed:
        return False
    seconds = max(1, int(verdict.retry_after.total_seconds() + 0.999))
    wait = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    await reply(interaction, f"{already} (Nothing new was done; this button works again in about {wait}.)")
    return True


async def safely(interaction: discord.Interaction, action: Callable[[], Awaitable[None]]) -> None:
    """Run a button or modal action; a failure goes to the error-handling extension to be answered."""
    try:
        await action()
    except Exception as exc:
        interaction.client.dispatch("component_error", interaction, exc)
