"""Interactions: what a user's slash command, click or modal looks like on the wire, and
the webhook endpoints the bot answers them through.

Building the payloads from the *registered* command (or the bot's tree when nothing is
synced) means option types and names are checked the way the Discord client checks them:
an option the command doesn't have, a missing required one, or a choice that isn't
offered fails in the test, not in front of a participant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import discord

from . import limits
from . import permissions as perm
from .models import (
    EPHEMERAL_FLAG,
    LOADING_FLAG,
    InteractionResult,
    SimMember,
    SimMessage,
    SimPermissionError,
    SimulationError,
)
from .rest import RestRoutes
from .routing import RequestContext, http_error, route
from .state import DM

_ACK_WINDOW = timedelta(seconds=3)
_TOKEN_LIFETIME = timedelta(minutes=15)
_SELECT_TYPES = (3, 5, 6, 7, 8)
_GROUP_TYPES = (1, 2)


@dataclass
class PendingInteraction:
    """Discord's side of one interaction: who, where, and what the bot has answered so far."""

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    created: datetime
    result: InteractionResult
    #: for component interactions (and modals opened from one): the message clicked on
    source_message_id: int | None = None
    #: what ``@original`` refers to: the response message, or the clicked message after 6/7
    original: SimMessage | None = None
    #: for an autocomplete request: the type of the option being typed into
    option_type: int | None = None


class InteractionRoutes(RestRoutes):
    """Interaction payload building plus the interaction callback and webhook endpoints."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending: dict[str, PendingInteraction] = {}
        #: (user id, modal custom_id) -> (modal payload, channel id, source message id)
        self._shown_modals: dict[tuple[int, str], tuple[dict[str, Any], int, int | None]] = {}
        self._unsynced_command_ids: dict[tuple[str, int | None], int] = {}
        #: when True, slash() refuses commands the bot never synced (as the Discord client would)
        self.strict_commands = False
        #: what a server admin set in Server Settings → Integrations: command name -> {role, user or
        #: guild (@everyone) id -> allowed}
        self.command_overrides: dict[str, dict[int, bool]] = {}

    def set_command_access(self, command: str, target: SimMember | int | str, allowed: bool) -> None:
        """An admin's override in Server Settings → Integrations for one top-level command: a member,
        a role (by id or name) or @everyone (the guild's id) may or may not use it, whatever its
        default permissions say."""
        if isinstance(target, SimMember):
            target_id = target.id
        elif target == self.guild_id:
            target_id = self.guild_id
        else:
            target_id = self.role_id(target)
        self.command_overrides.setdefault(command, {})[target_id] = allowed

    def may_use_command(self, member: SimMember, channel_id: int, definition: dict[str, Any]) -> bool:
        """Whether Discord shows a member a command here, as Discord decides: Administrator (and the
        owner) always; else an override for the member, else for any of their roles (one allowing
        role is enough), else for @everyone; with no override, the command's
        `default_member_permissions` against the member's permissions in the channel."""
        perms = self.permissions_in(member, channel_id)
        if perm.has(perms, perm.ADMINISTRATOR):  # the owner's permissions include it
            return True
        overrides = self.command_overrides.get(str(definition["name"]), {})
        if member.id in overrides:
            return overrides[member.id]
        by_role = [overrides[r] for r in member.role_ids if r in overrides]
        if by_role:
            return any(by_role)
        if self.guild_id in overrides:
            return overrides[self.guild_id]
        required = definition.get("default_member_permissions")
        return required is None or perm.has(perms, int(required))

    # -- building interaction payloads ----------------------------------------------------

    def _new_interaction(
        self,
        itype: int,
        member: SimMember,
        channel_id: int,
        data: dict[str, Any],
        *,
        message: SimMessage | None = None,
        source_message_id: int | None = None,
    ) -> tuple[dict[str, Any], PendingInteraction]:
        channel = self.channels[channel_id]
        interaction_id = self.clock.snowflake()
        token = self.clock.token("sim-interaction")
        in_guild = channel["type"] != DM
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": "en-GB",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(self.permissions_in(self.bot_user, channel_id)),
            "channel_id": str(channel_id),
        }
        if in_guild:
            user_perms = self.permissions_in(member, channel_id)
            payload.update(
                guild_id=str(self.guild_id),
                guild={"id": str(self.guild_id), "locale": "en-GB", "features": []},
                guild_locale="en-GB",
                member={**self.member_payload(member), "permissions": str(user_perms)},
                channel={**channel, "permissions": str(user_perms)},
                authorizing_integration_owners={"0": str(self.guild_id)},
                context=0,
            )
        else:
            payload.update(
                user=self.user_payload(member),
                channel={k: v for k, v in channel.items() if k != "recipients"}
                | {"recipients": [self.user_payload(member)]},
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if message is not None:
            payload["message"] = self.message_payload(message)
        meta: dict[str, Any] = {
            "id": str(interaction_id),
            "type": itype,
            "user": self.user_payload(member),
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        if source_message_id is not None and itype == 3:
            meta["interacted_message_id"] = str(source_message_id)
        self._interaction_meta[interaction_id] = meta
        pending = PendingInteraction(
            id=interaction_id,
            token=token,
            type=itype,
            user_id=member.id,
            channel_id=channel_id,
            created=self.clock.now,
            result=InteractionResult(interaction_id=interaction_id, user_id=member.id, channel_id=channel_id),
            source_message_id=source_message_id,
        )
        self._pending[token] = pending
        return payload, pending

    def _command_definition(self, bot: discord.Client, name: str, kind: int = 1) -> tuple[dict[str, Any], int | None]:
        """The command as Discord knows it (synced), else as the bot's tree describes it. `kind` is
        Discord's command type: 1 a slash command, 3 a message context menu."""
        for scope in (self.guild_id, None):
            for command in self.app_commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == kind:
                    return command, scope
        tree = bot._connection._command_tree
        if self.strict_commands:
            raise SimulationError(f"/{name} was never synced to Discord, so no user can run it")
        if tree is None:
            raise SimulationError("the bot has no CommandTree")
        command_type = discord.AppCommandType(kind)
        scope = self.guild_id
        found: Any = tree.get_command(name, guild=discord.Object(self.guild_id), type=command_type)
        if found is None:
            scope = None
            found = tree.get_command(name, type=command_type)
        if not isinstance(found, discord.app_commands.Command | discord.app_commands.Group
                          | discord.app_commands.ContextMenu):
            raise SimulationError(f"/{name} is neither registered with Discord nor in the bot's command tree")
        definition = found.to_dict(tree)
        command_id = self._unsynced_command_ids.setdefault((f"{kind}:{name}" if kind != 1 else name, scope),
                                                           self.clock.snowflake())
        return {**definition, "id": str(command_id)}, scope

    def _build_message_command(self, bot: discord.Client, member: SimMember, target: SimMessage,
                               name: str) -> dict[str, Any]:
        """The interaction data of a message command (type 3) run on `target`, found as the client
        finds it: registered with Discord, else in the bot's tree; hidden by default_member_permissions."""
        definition: dict[str, Any] | None = None
        scope: int | None = None
        for where in (self.guild_id, None):
            for command in self.app_commands.get(where, []):
                if command["name"] == name and command.get("type", 1) == 3:
                    definition, scope = command, where
                    break
            if definition is not None:
                break
        if definition is None:
            if self.strict_commands:
                raise SimulationError(f"the message command {name!r} was never synced to Discord")
            tree = bot._connection._command_tree
            if tree is None:
                raise SimulationError("the bot has no CommandTree")
            found = tree.get_command(name, type=discord.AppCommandType.message)
            if not isinstance(found, discord.app_commands.ContextMenu):
                raise SimulationError(f"no message command {name!r} is registered or in the bot's tree")
            command_id = self._unsynced_command_ids.setdefault((f"message:{name}", None), self.clock.snowflake())
            definition = {**found.to_dict(tree), "id": str(command_id)}
        required = definition.get("default_member_permissions")
        if required is not None and not perm.has(self.permissions_in(member, target.channel_id), int(required)):
            raise SimPermissionError(f"{member.display_name} cannot see the message command {name!r} "
                                     "(default_member_permissions)")
        data: dict[str, Any] = {
            "id": definition["id"], "name": name, "type": 3, "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): self.message_payload(target)}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    def _build_slash(
        self, bot: discord.Client, member: SimMember, channel_id: int, command: str, options: dict[str, Any],
        *, focus: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The interaction data of a slash command, or (with `focus`) of an autocomplete request
        while the person types `focus[1]` into option `focus[0]` with `options` already filled in."""
        parts = command.split()
        if not parts:
            raise SimulationError("empty command")
        definition, scope = self._command_definition(bot, parts[0])
        if not self.may_use_command(member, channel_id, definition):
            raise SimPermissionError(f"{member.display_name} cannot see /{parts[0]} (default_member_permissions)")
        specs = definition.get("options") or []
        path: list[tuple[str, int]] = []
        for part in parts[1:]:
            sub = next((o for o in specs if o["name"] == part and o["type"] in _GROUP_TYPES), None)
            if sub is None:
                raise SimulationError(f"/{command}: {part!r} is not a subcommand")
            path.append((part, sub["type"]))
            specs = sub.get("options") or []
        if any(o["type"] in _GROUP_TYPES for o in specs):
            names = [o["name"] for o in specs]
            raise SimulationError(f"/{command} needs a subcommand, one of {names}")
        resolved: dict[str, dict[str, Any]] = {}
        values = self._slash_values(command, specs, options, channel_id, resolved, partial=focus is not None)
        if focus is not None:
            name, typed = focus
            spec = next((o for o in specs if o["name"] == name), None)
            if spec is None or not spec.get("autocomplete"):
                raise SimulationError(f"/{command} {name} has no autocomplete, so Discord would not ask the bot")
            # Discord sends what has been typed so far as text, whatever the option's type.
            values.append({"name": name, "type": spec["type"], "value": typed, "focused": True})
        for name, kind in reversed(path):
            values = [{"type": kind, "name": name, "options": values}]
        data: dict[str, Any] = {"id": definition["id"], "name": parts[0], "type": 1, "options": values}
        if scope is not None:
            data["guild_id"] = str(scope)
        if resolved:
            data["resolved"] = resolved
        return data

    def _slash_values(
        self,
        command: str,
        specs: list[dict[str, Any]],
        given: dict[str, Any],
        channel_id: int,
        resolved: dict[str, dict[str, Any]],
        *,
        partial: bool = False,
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in specs}
        unknown = set(given) - set(by_name)
        if unknown:
            raise SimulationError(f"/{command} has no option(s) {sorted(unknown)}; it has {sorted(by_name)}")
        missing = [o["name"] for o in specs if o.get("required") and o["name"] not in given]
        if missing and not partial:
            raise SimulationError(f"/{command} needs option(s) {missing}")
        result = []
        for spec in specs:
            if spec["name"] in given:
                value = self._option_value(command, spec, given[spec["name"]], channel_id, resolved)
                result.append({"name": spec["name"], "type": spec["type"], "value": value})
        return result

    def _option_value(
        self, command: str, spec: dict[str, Any], value: Any, channel_id: int, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        kind = spec["type"]
        name = f"/{command} {spec['name']}"
        if kind == 3:
            if not isinstance(value, str):
                raise SimulationError(f"{name} takes a string")
            if not spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000):
                raise SimulationError(f"{name}: length {len(value)} is outside the allowed range")
        elif kind == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                raise SimulationError(f"{name} takes an integer")
        elif kind == 5:
            if not isinstance(value, bool):
                raise SimulationError(f"{name} takes a boolean")
        elif kind == 10:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise SimulationError(f"{name} takes a number")
            value = float(value)
        elif kind in (6, 9) and (isinstance(value, SimMember) or (isinstance(value, int) and value in self.members)):
            member = self.member(value)
            resolved.setdefault("users", {})[str(member.id)] = self.user_payload(member)
            resolved.setdefault("members", {})[str(member.id)] = {
                **self.member_payload(member, with_user=False),
                "permissions": str(self.permissions_in(member, channel_id)),
            }
            return str(member.id)
        elif kind in (8, 9):
            role_id = self.role_id(value)
            resolved.setdefault("roles", {})[str(role_id)] = self.roles[role_id]
            return str(role_id)
        elif kind == 7:
            channel = self.channels.get(value) if isinstance(value, int) else None
            if channel is None:
                raise SimulationError(f"{name} takes a channel id")
            allowed = spec.get("channel_types")
            if allowed and channel["type"] not in allowed:
                raise SimulationError(f"{name} only accepts channel types {allowed}")
            resolved.setdefault("channels", {})[str(value)] = {
                "id": channel["id"],
                "name": channel.get("name"),
                "type": channel["type"],
                "parent_id": channel.get("parent_id"),
                "permissions": str(self.permissions_in(self.bot_user, value)),
            }
            return str(value)
        elif kind == 11:
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes)):
                raise SimulationError(f"{name} takes a (filename, bytes) tuple")
            attachment = self._attachment(channel_id, value[0], value[1])
            resolved.setdefault("attachments", {})[attachment["id"]] = {
                k: v for k, v in attachment.items() if k != "data"
            }
            return attachment["id"]
        else:
            raise SimulationError(f"{name}: cannot pass {value!r} for option type {kind}")
        choices = spec.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise SimulationError(f"{name}: {value!r} is not one of the offered choices")
        if kind in (4, 10) and not spec.get("min_value", value) <= value <= spec.get("max_value", value):
            raise SimulationError(f"{name}: {value} is outside the allowed range")
        return value

    def _build_click(
        self, member: SimMember, message: SimMessage, custom_id: str, values: list[str] | None
    ) -> dict[str, Any]:
        if message.deleted:
            raise SimulationError(f"message {message.id} was deleted")
        if message.visible_to is not None and message.visible_to != member.id:
            raise SimPermissionError(f"message {message.id} is ephemeral; {member.display_name} cannot see it")
        channel = self.channels.get(message.channel_id)
        if channel is None:
            raise SimulationError(f"the channel of message {message.id} no longer exists")
        if channel["type"] == DM:
            if int(channel["recipients"][0]["id"]) != member.id:
                raise SimPermissionError(f"{member.display_name} is not in that DM")
        elif not self.can_view(member, message.channel_id):
            raise SimPermissionError(f"{member.display_name} cannot see #{channel['name']}")
        component = next((c for c in message.iter_components() if c.get("custom_id") == custom_id), None)
        if component is None:
            available = [c["custom_id"] for c in message.iter_components() if c.get("custom_id")]
            raise SimulationError(f"message {message.id} has no component {custom_id!r}; it has {available}")
        if component.get("disabled"):
            raise SimulationError(f"component {custom_id!r} is disabled")
        kind = component["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind}
        if kind == 2:
            if values is not None:
                raise SimulationError(f"{custom_id!r} is a button; it takes no values")
            return data
        if kind not in _SELECT_TYPES:
            raise SimulationError(f"{custom_id!r} is a component of type {kind}, which cannot be clicked")
        values = list(values or [])
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise SimulationError(f"{custom_id!r} takes between {low} and {high} values, got {len(values)}")
        if kind == 3:
            offered = [o["value"] for o in component.get("options", [])]
            stray = [v for v in values if v not in offered]
            if stray:
                raise SimulationError(f"{custom_id!r} does not offer {stray}; it offers {offered}")
        else:
            data["resolved"] = self._resolve_select(values, message.channel_id)
        data["values"] = values
        return data

    def _resolve_select(self, values: list[str], channel_id: int) -> dict[str, dict[str, Any]]:
        resolved: dict[str, dict[str, Any]] = {}
        for value in values:
            snowflake = int(value)
            if snowflake in self.members:
                member = self.members[snowflake]
                resolved.setdefault("users", {})[value] = self.user_payload(member)
                resolved.setdefault("members", {})[value] = {
                    **self.member_payload(member, with_user=False),
                    "permissions": str(self.permissions_in(member, channel_id)),
                }
            elif snowflake in self.roles:
                resolved.setdefault("roles", {})[value] = self.roles[snowflake]
            elif snowflake in self.channels:
                channel = self.channels[snowflake]
                resolved.setdefault("channels", {})[value] = {
                    "id": value,
                    "name": channel.get("name"),
                    "type": channel["type"],
                    "permissions": str(self.permissions_in(self.bot_user, snowflake)),
                }
            else:
                raise SimulationError(f"select value {value} is not a member, role or channel")
        return resolved

    def _build_modal_submit(
        self, member: SimMember, custom_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], int, int | None]:
        shown = self._shown_modals.pop((member.id, custom_id), None)
        if shown is None:
            open_ids = [cid for (uid, cid) in self._shown_modals if uid == member.id]
            raise SimulationError(f"no modal {custom_id!r} is open for {member.display_name}; open: {open_ids}")
        modal, channel_id, source_id = shown
        remaining = dict(fields)

        def answer(component: dict[str, Any], label: str | None) -> dict[str, Any]:
            key = next((k for k in (component.get("custom_id"), label, component.get("label")) if k in remaining), None)
            value = remaining.pop(key) if key is not None else None
            if component["type"] == 4:
                text = "" if value is None else str(value)
                if not text and component.get("required", True):
                    raise SimulationError(f"modal {custom_id!r}: field {label or component['custom_id']!r} is required")
                too_short = bool(text) and len(text) < component.get("min_length", 0)
                if too_short or len(text) > component.get("max_length", 4000):
                    raise SimulationError(f"modal {custom_id!r}: field {label!r} has a disallowed length")
                return {"type": 4, "custom_id": component["custom_id"], "value": text}
            return {"type": component["type"], "custom_id": component["custom_id"], "values": list(value or [])}

        submitted: list[dict[str, Any]] = []
        for top in modal.get("components", []):
            if top["type"] == 1:
                row = [answer(c, c.get("label")) for c in top.get("components", []) if c.get("custom_id")]
                submitted.append({"type": 1, "components": row})
            elif top["type"] == 18 and top["component"].get("custom_id"):
                submitted.append({"type": 18, "component": answer(top["component"], top.get("label"))})
        if remaining:
            raise SimulationError(f"modal {custom_id!r} has no field(s) {sorted(remaining)}")
        return {"custom_id": custom_id, "components": submitted}, channel_id, source_id

    # -- the interaction webhook endpoints -------------------------------------------------

    def _pending_for(self, ctx: RequestContext, *, callback: bool) -> PendingInteraction:
        pending = self._pending.get(ctx.args["webhook_token"])
        if callback:
            if pending is None or pending.id != ctx.id("webhook_id"):
                raise http_error(404, 10062, "Unknown interaction")
            if self.clock.now - pending.created > _ACK_WINDOW:
                raise http_error(404, 10062, "Unknown interaction")
            return pending
        if pending is None or ctx.id("webhook_id") != self.application_id or pending.result.response_type is None:
            raise http_error(404, 10015, "Unknown Webhook")
        if self.clock.now - pending.created > _TOKEN_LIFETIME:
            raise http_error(401, 50027, "Invalid Webhook Token")
        return pending

    def _interaction_message(
        self, pending: PendingInteraction, body: dict[str, Any], files: list[tuple[int, str, bytes]]
    ) -> SimMessage:
        self._validate_message_body(body)
        flags = int(body.get("flags") or 0)
        message = self._store_message(
            pending.channel_id,
            self.bot_user.id,
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(pending.channel_id, body, files, []),
            flags=flags,
            interaction_id=pending.id,
            message_type=20 if pending.type == 2 else 0,
            visible_to=pending.user_id if flags & EPHEMERAL_FLAG else None,
        )
        pending.result.messages.append(message)
        if not message.ephemeral:
            self._emit("MESSAGE_CREATE", self.message_payload(message))
        return message

    @route("POST", "/interactions/{webhook_id}/{webhook_token}/callback")
    def interaction_callback(self, ctx: RequestContext) -> dict[str, Any]:
        pending = self._pending_for(ctx, callback=True)
        result = pending.result
        if result.response_type is not None:
            raise http_error(400, 40060, "Interaction has already been acknowledged.")
        body = ctx.body
        kind = int(body["type"])
        data = body.get("data") or {}
        message: SimMessage | None = None
        if kind == 4:
            message = pending.original = self._interaction_message(pending, data, ctx.files)
        elif kind == 5:
            flags = LOADING_FLAG | (int(data.get("flags") or 0) & EPHEMERAL_FLAG)
            message = pending.original = self._interaction_message(pending, {"flags": flags}, [])
            result.deferred = True
        elif kind in (6, 7):
            if pending.source_message_id is None:
                raise http_error(400, 40043, "Interaction callback type requires a message component interaction")
            message = pending.original = self._messages[pending.source_message_id]
            if kind == 6:
                result.deferred = True
            else:
                self._validate_message_body(data)
                self._apply_edit(message, replace(ctx, json=data))
                if message not in result.messages:
                    result.messages.append(message)
        elif kind == 8:
            if pending.type != 4:
                raise http_error(400, 40043, "Autocomplete results answer only an autocomplete interaction")
            limits.check_autocomplete(data, pending.option_type)
            result.choices = list(data.get("choices") or [])
        elif kind == 9:
            if pending.type == 5:
                raise http_error(400, 50035, "Invalid Form Body: a modal cannot open another modal")
            limits.check_modal(data)
            result.modal = data
            self._shown_modals[(pending.user_id, data["custom_id"])] = (
                data,
                pending.channel_id,
                pending.source_message_id,
            )
        else:
            raise http_error(400, 50035, f"Invalid Form Body: callback type {kind} is not simulated")
        result.response_type = kind
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(pending.id),
                "type": pending.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message.ephemeral),
            },
            "resource": {"type": kind},
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = str(message.id)
            answer["resource"]["message"] = self.message_payload(message)
        return answer

    def _finish_loading(self, pending: PendingInteraction, ctx: RequestContext) -> dict[str, Any]:
        """The first follow-up (or edit) after a thinking defer replaces the loading message."""
        original = pending.original
        assert original is not None  # only called when the original is loading
        original.flags &= ~LOADING_FLAG
        payload = self._apply_edit(original, ctx, mark_edited=False)
        return payload

    @route("POST", "/webhooks/{webhook_id}/{webhook_token}")
    def interaction_followup(self, ctx: RequestContext) -> dict[str, Any]:
        pending = self._pending_for(ctx, callback=False)
        if pending.original is not None and pending.original.flags & LOADING_FLAG:
            return self._finish_loading(pending, ctx)
        return self.message_payload(self._interaction_message(pending, ctx.body, ctx.files))

    def _webhook_message(self, pending: PendingInteraction, ctx: RequestContext) -> SimMessage:
        if ctx.args.get("message_id", "@original") == "@original":
            message = pending.original
        else:
            message = self._messages.get(int(ctx.args["message_id"]))
            if message is not None and message.interaction_id != pending.id and message is not pending.original:
                message = None
        if message is None or message.deleted:
            raise http_error(404, 10008, "Unknown Message")
        return message

    @route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    @route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
    def get_interaction_message(self, ctx: RequestContext) -> dict[str, Any]:
        pending = self._pending_for(ctx, callback=False)
        return self.message_payload(self._webhook_message(pending, ctx))

    @route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    @route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
    def edit_interaction_message(self, ctx: RequestContext) -> dict[str, Any]:
        pending = self._pending_for(ctx, callback=False)
        message = self._webhook_message(pending, ctx)
        self._validate_message_body(ctx.body)
        if message.flags & LOADING_FLAG:
            return self._finish_loading(pending, ctx)
        return self._apply_edit(message, ctx)

    @route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    @route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
    def delete_interaction_message(self, ctx: RequestContext) -> None:
        pending = self._pending_for(ctx, callback=False)
        self._delete(self._webhook_message(pending, ctx))

    def open_modals(self, user: SimMember | int) -> list[str]:
        """The custom_ids of the modals the bot has opened for this user and not yet submitted."""
        member_id = self.member(user).id
        return [cid for (uid, cid) in self._shown_modals if uid == member_id]
