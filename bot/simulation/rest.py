"""The REST API of the simulated Discord: one handler per endpoint the bot uses.

Handlers check what Discord checks (the bot's permissions, message limits, who wrote a
message) and answer with Discord's status codes, because the bot's error handling is part
of what the tests exercise. State changes that Discord announces on the gateway are
emitted, so the bot's cache stays as true as it is against the real service.
"""

from __future__ import annotations

from typing import Any

from . import limits
from . import permissions as perm
from .models import SUPPRESS_EMBEDS_FLAG, SimMember, SimMessage
from .routing import RequestContext, http_error, route
from .scheduled_events import ScheduledEventRoutes
from .state import DM, GUILD_CATEGORY, normalise_text_channel_name

_APPLICATION_FLAGS = (1 << 15) | (1 << 19)  # members + message content intents enabled (limited)


class RestRoutes(ScheduledEventRoutes):
    """Answers ``discord.http.HTTPClient.request`` calls against the in-memory guild."""

    # -- lookups shared by handlers ---------------------------------------------------

    def _channel(self, channel_id: int) -> dict[str, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise http_error(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, ctx: RequestContext) -> None:
        if ctx.id("guild_id") != self.guild_id:
            raise http_error(404, 10004, "Unknown Guild")

    def _channel_message(self, channel_id: int, message_id: int) -> SimMessage:
        self._channel(channel_id)
        message = self._messages.get(message_id)
        if message is None or message.deleted or message.channel_id != channel_id or message.visible_to:
            raise http_error(404, 10008, "Unknown Message")
        return message

    def _member_or_404(self, user_id: int) -> SimMember:
        member = self.members.get(user_id)
        if member is None:
            raise http_error(404, 10007, "Unknown Member")
        return member

    def _bot_top_position(self) -> int:
        return max(int(self.roles[r]["position"]) for r in self.bot_user.role_ids)

    def _check_overwrite_grant(self, overwrites: list[dict[str, Any]], parent_id: int | None) -> None:
        """Discord lets a bot allow or deny only permissions it holds itself (in the server or the
        parent category), and only with Manage Roles. Each overwrite names its target and whether
        it is a role (0) or a member (1); `allow` and `deny` may be left out."""
        errors = limits.FormErrors()
        for index, overwrite in enumerate(overwrites):
            if not str(overwrite.get("id") or "").isdigit():
                errors.add(("permission_overwrites", index, "id"), "BASE_TYPE_REQUIRED", "This field is required")
            if overwrite.get("type") not in (0, 1, "0", "1"):
                errors.add(("permission_overwrites", index, "type"), "BASE_TYPE_CHOICES",
                           "Value must be one of {0, 1}.")
        errors.raise_if_any()
        have = self.guild_permissions(self.bot_user)
        if have & perm.ADMINISTRATOR:
            return
        if not have & perm.MANAGE_ROLES:
            raise http_error(403, 50013, "Missing Permissions")
        if parent_id is not None:
            have |= self.permissions_in(self.bot_user, parent_id)
        for overwrite in overwrites:
            bits = int(overwrite.get("allow", 0) or 0) | int(overwrite.get("deny", 0) or 0)
            if bits & ~have:
                raise http_error(403, 50013, "Missing Permissions")

    @staticmethod
    def _validate_message_body(body: dict[str, Any]) -> None:
        limits.check_message(body)

    def _attachments_from(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[int, str, bytes]],
        existing: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Resolve a payload's ``attachments`` list: kept old ones by id, new files by index."""
        by_index = {index: (name, data) for index, name, data in files}
        if "attachments" not in body:
            return existing + [self._attachment(channel_id, name, data) for _, name, data in files]
        old = {int(a["id"]): a for a in existing}
        result = []
        for entry in body.get("attachments") or []:
            key = int(entry["id"])
            if key in old:
                result.append(old[key])
            elif key in by_index:
                name, data = by_index.pop(key)
                result.append(self._attachment(channel_id, entry.get("filename") or name, data))
            else:
                raise http_error(400, 50035, f"Invalid Form Body: unknown attachment {key}")
        return result + [self._attachment(channel_id, name, data) for name, data in by_index.values()]

    # -- the bot itself and its application ------------------------------------------

    @route("GET", "/users/@me")
    def get_me(self, ctx: RequestContext) -> dict[str, Any]:
        return {
            **self.user_payload(self.bot_user),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "locale": "en-GB",
            "email": None,
        }

    @route("GET", "/oauth2/applications/@me")
    def get_application(self, ctx: RequestContext) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": self.bot_user.display_name,
            "icon": None,
            "description": "",
            "summary": "",
            "verify_key": "0" * 64,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self.user_payload(self.owner),
            "team": None,
            "flags": _APPLICATION_FLAGS,
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
            "bot": self.user_payload(self.bot_user),
        }

    @route("GET", "/users/{user_id}")
    def get_user(self, ctx: RequestContext) -> dict[str, Any]:
        member = self.members.get(ctx.id("user_id"))
        if member is None:
            raise http_error(404, 10013, "Unknown User")
        return self.user_payload(member)

    @route("POST", "/users/@me/channels")
    def open_dm(self, ctx: RequestContext) -> dict[str, Any]:
        user_id = int(ctx.body.get("recipient_id", 0))
        if user_id not in self.members:
            raise http_error(400, 50035, "Invalid Form Body: unknown recipient_id")
        return self.channels[self.dm_channel_id(user_id)]

    # -- guild ----------------------------------------------------------------------

    @route("GET", "/guilds/{guild_id}")
    def get_guild(self, ctx: RequestContext) -> dict[str, Any]:
        self._guild(ctx)
        return self.guild_payload()

    @route("GET", "/guilds/{guild_id}/channels")
    def get_guild_channels(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self._guild(ctx)
        return self.guild_channels()

    @route("POST", "/guilds/{guild_id}/channels")
    def create_guild_channel(self, ctx: RequestContext) -> dict[str, Any]:
        self._guild(ctx)
        body = ctx.body
        parent_id = int(body["parent_id"]) if body.get("parent_id") else None
        self._bot_needs(perm.MANAGE_CHANNELS, parent_id)
        if body.get("permission_overwrites"):
            self._check_overwrite_grant(body["permission_overwrites"], parent_id)
        return self.channels[self._create_channel(body)]

    @route("PATCH", "/guilds/{guild_id}/channels")
    def move_guild_channels(self, ctx: RequestContext) -> None:
        self._guild(ctx)
        self._bot_needs(perm.MANAGE_CHANNELS)
        for entry in ctx.json or []:
            channel = self._channel(int(entry["id"]))
            if "position" in entry and entry["position"] is not None:
                channel["position"] = int(entry["position"])
            if "parent_id" in entry:
                parent_id = int(entry["parent_id"]) if entry["parent_id"] else None
                self._check_parent(parent_id, channel)
                channel["parent_id"] = str(parent_id) if parent_id else None
            if entry.get("lock_permissions") and channel["parent_id"]:
                parent = self.channels[int(channel["parent_id"])]
                channel["permission_overwrites"] = [dict(o) for o in parent["permission_overwrites"]]
            self._emit("CHANNEL_UPDATE", channel)

    @route("GET", "/guilds/{guild_id}/roles")
    def get_roles(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self._guild(ctx)
        return list(self.roles.values())

    @route("POST", "/guilds/{guild_id}/roles")
    def create_role(self, ctx: RequestContext) -> dict[str, Any]:
        self._guild(ctx)
        self._bot_needs(perm.MANAGE_ROLES)
        body = ctx.body
        permissions = int(body.get("permissions") or 0)
        if permissions & ~self.guild_permissions(self.bot_user):
            raise http_error(403, 50013, "Missing Permissions")
        if len(self.roles) >= limits.GUILD_ROLES:
            raise http_error(400, 30005, f"Maximum number of guild roles reached ({limits.GUILD_ROLES})")
        role_id = self.add_role(str(body.get("name") or "new role"), permissions=permissions)
        role = self.roles[role_id]
        role.update({k: body[k] for k in ("color", "hoist", "mentionable") if k in body})
        return role

    @route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
    def delete_role(self, ctx: RequestContext) -> None:
        self._guild(ctx)
        role_id = ctx.id("role_id")
        role = self.roles.get(role_id)
        if role is None:
            raise http_error(404, 10011, "Unknown Role")
        self._bot_needs(perm.MANAGE_ROLES)
        if role_id == self.guild_id or role["managed"] or role["position"] >= self._bot_top_position():
            raise http_error(403, 50013, "Missing Permissions")
        del self.roles[role_id]
        for member in self.members.values():
            if role_id in member.role_ids:
                member.role_ids.remove(role_id)
        self._emit("GUILD_ROLE_DELETE", {"guild_id": str(self.guild_id), "role_id": str(role_id)})

    @route("GET", "/guilds/{guild_id}/members/{member_id}")
    def get_member(self, ctx: RequestContext) -> dict[str, Any]:
        self._guild(ctx)
        return self.member_payload(self._member_or_404(ctx.id("member_id")))

    @route("GET", "/guilds/{guild_id}/members")
    def list_members(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self._guild(ctx)
        if ctx.bot is not None and not ctx.bot.intents.members:
            # Listing members needs the privileged members intent.
            raise http_error(403, 50001, "Missing Access")
        after = int(ctx.params.get("after", 0) or 0)
        limit = int(ctx.params.get("limit", 1) or 1)
        members = sorted((m for m in self.members.values() if m.id > after), key=lambda m: m.id)
        return [self.member_payload(m) for m in members[:limit]]

    def _change_member_role(self, ctx: RequestContext, *, add: bool) -> None:
        self._guild(ctx)
        member = self._member_or_404(ctx.id("user_id"))
        role_id = ctx.id("role_id")
        role = self.roles.get(role_id)
        if role is None:
            raise http_error(404, 10011, "Unknown Role")
        self._bot_needs(perm.MANAGE_ROLES)
        if role_id == self.guild_id or role["managed"] or role["position"] >= self._bot_top_position():
            raise http_error(403, 50013, "Missing Permissions")
        if add and role_id not in member.role_ids:
            member.role_ids.append(role_id)
        elif not add and role_id in member.role_ids:
            member.role_ids.remove(role_id)
        else:
            return
        self._emit("GUILD_MEMBER_UPDATE", {**self.member_payload(member), "guild_id": str(self.guild_id)})

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    def add_member_role(self, ctx: RequestContext) -> None:
        self._change_member_role(ctx, add=True)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    def remove_member_role(self, ctx: RequestContext) -> None:
        self._change_member_role(ctx, add=False)

    # -- channels -------------------------------------------------------------------

    @route("GET", "/channels/{channel_id}")
    def get_channel(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        if channel["type"] != DM:
            self._bot_needs(perm.VIEW_CHANNEL, channel_id)
        return channel

    @route("PATCH", "/channels/{channel_id}")
    def edit_channel(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        if channel["type"] == DM:
            raise http_error(403, 50003, "Cannot execute action on a DM channel")
        self._bot_needs(perm.MANAGE_CHANNELS, channel_id)
        body = ctx.body
        new_name = self._channel_name(channel["type"], str(body["name"])) if "name" in body else None
        limits.check_channel_fields(body, new_name)
        if "parent_id" in body:
            parent_id = int(body["parent_id"]) if body["parent_id"] else None
            self._check_parent(parent_id, channel)
            channel["parent_id"] = str(parent_id) if parent_id else None
        if "permission_overwrites" in body:
            parent = int(channel["parent_id"]) if channel["parent_id"] else None
            self._check_overwrite_grant(body["permission_overwrites"] or [], parent)
            channel["permission_overwrites"] = [self._normalise_overwrite(o) for o in body["permission_overwrites"]]
        if body.get("lock_permissions") and channel["parent_id"]:
            parent_channel = self.channels[int(channel["parent_id"])]
            channel["permission_overwrites"] = [dict(o) for o in parent_channel["permission_overwrites"]]
        if new_name is not None:
            channel["name"] = new_name
        for key in ("topic", "position", "nsfw", "rate_limit_per_user"):
            if key in body:
                channel[key] = body[key]
        self._emit("CHANNEL_UPDATE", channel)
        return channel

    def _check_parent(self, parent_id: int | None, channel: dict[str, Any]) -> None:
        """A channel can move only into a category, and only one with room (50 channels)."""
        if parent_id is None or str(parent_id) == channel.get("parent_id"):
            return
        if channel["type"] == GUILD_CATEGORY or self._channel(parent_id)["type"] != GUILD_CATEGORY:
            raise http_error(400, 50035, "Invalid Form Body: parent_id is not a category")
        if self.category_size(parent_id) >= limits.CATEGORY_CHANNELS:
            raise limits.category_full()

    @staticmethod
    def _channel_name(channel_type: int, name: str) -> str:
        return name if channel_type == GUILD_CATEGORY else normalise_text_channel_name(name)

    @route("DELETE", "/channels/{channel_id}")
    def delete_channel(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        if channel["type"] == DM:
            return channel
        self._bot_needs(perm.MANAGE_CHANNELS, channel_id)
        # Discord announces the deletion while the bot can still see the channel.
        self._emit("CHANNEL_DELETE", channel)
        del self.channels[channel_id]
        for message_id in self._channel_messages.pop(channel_id, []):
            self._messages[message_id].deleted = True
        for other in self.channels.values():
            if other.get("parent_id") == str(channel_id):
                other["parent_id"] = None
                self._emit("CHANNEL_UPDATE", other)
        return channel

    @route("PUT", "/channels/{channel_id}/permissions/{target}")
    def put_overwrite(self, ctx: RequestContext) -> None:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        self._bot_needs(perm.VIEW_CHANNEL, channel_id)
        overwrite = {**ctx.body, "id": ctx.args["target"]}
        self._check_overwrite_grant([overwrite], int(channel["parent_id"]) if channel["parent_id"] else None)
        rest = [o for o in channel["permission_overwrites"] if o["id"] != ctx.args["target"]]
        channel["permission_overwrites"] = [*rest, self._normalise_overwrite(overwrite)]
        self._emit("CHANNEL_UPDATE", channel)

    @route("DELETE", "/channels/{channel_id}/permissions/{target}")
    def delete_overwrite(self, ctx: RequestContext) -> None:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        self._bot_needs(perm.VIEW_CHANNEL, channel_id)
        self._check_overwrite_grant([], None)
        channel["permission_overwrites"] = [
            o for o in channel["permission_overwrites"] if o["id"] != ctx.args["target"]
        ]
        self._emit("CHANNEL_UPDATE", channel)

    @route("POST", "/channels/{channel_id}/typing")
    def typing(self, ctx: RequestContext) -> None:
        channel_id = ctx.id("channel_id")
        if self._channel(channel_id)["type"] != DM:
            self._bot_needs(perm.SEND_MESSAGES, channel_id)

    # -- messages -------------------------------------------------------------------

    def _check_bot_can_post(self, channel_id: int, *, files: bool, reply: bool) -> None:
        channel = self._channel(channel_id)
        if channel["type"] == DM:
            recipient = self.members[int(channel["recipients"][0]["id"])]
            if not recipient.dms_open:
                raise http_error(403, 50007, "Cannot send messages to this user")
            return
        if channel["type"] == GUILD_CATEGORY:
            raise http_error(400, 50008, "Cannot send messages in a non-text channel")
        needed = perm.SEND_MESSAGES
        if files:
            needed |= perm.ATTACH_FILES
        if reply:
            needed |= perm.READ_MESSAGE_HISTORY
        self._bot_needs(needed, channel_id)

    @route("POST", "/channels/{channel_id}/messages")
    def create_message(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        body = ctx.body
        reference = body.get("message_reference") or {}
        reference_id = int(reference["message_id"]) if reference.get("message_id") else None
        self._check_bot_can_post(channel_id, files=bool(ctx.files), reply=reference_id is not None)
        self._validate_message_body(body)
        limits.check_files(ctx.files, limits.upload_limit(self.premium_tier))
        if not (body.get("content") or body.get("embeds") or ctx.files or body.get("components")):
            raise http_error(400, 50006, "Cannot send an empty message")
        if reference_id is not None:
            referenced = self._messages.get(reference_id)
            if referenced is None or referenced.deleted or referenced.channel_id != channel_id:
                if reference.get("fail_if_not_exists", True):
                    raise http_error(400, 50035, "Invalid Form Body: Unknown message")
                reference_id = None
        message = self._store_message(
            channel_id,
            self.bot_user.id,
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=self._attachments_from(channel_id, body, ctx.files, []),
            flags=int(body.get("flags") or 0),
            reference_id=reference_id,
        )
        payload = self.message_payload(message)
        self._emit("MESSAGE_CREATE", payload)
        return payload

    @route("GET", "/channels/{channel_id}/messages")
    def list_messages(self, ctx: RequestContext) -> list[dict[str, Any]]:
        channel_id = ctx.id("channel_id")
        channel = self._channel(channel_id)
        if channel["type"] != DM:
            self._bot_needs(perm.VIEW_CHANNEL, channel_id)
            if not perm.has(self.permissions_in(self.bot_user, channel_id), perm.READ_MESSAGE_HISTORY):
                return []
        return [self.message_payload(m) for m in self._history(channel_id, ctx.params)]

    def _history(self, channel_id: int, params: dict[str, Any]) -> list[SimMessage]:
        """Discord's paging of a channel's messages.

        ``limit`` is 1-100 (default 50). At most one of ``around``, ``before`` and
        ``after`` may be given. Every page comes newest first — ``after`` included: it
        holds the ``limit`` messages just after the id, and its first entry is the
        newest of them, which is why discord.py pages ``after`` onwards from ``data[0]``
        and reverses each page for ``oldest_first``. ``around`` holds ``limit // 2``
        messages before the id and ``limit // 2 + 1`` from the id on (so an even limit
        can return one more than asked, as discord.py's documentation warns).
        """
        errors = limits.FormErrors()
        limit = self._int_param(errors, params, "limit", 50)
        if limit is not None and not 1 <= limit <= 100:
            errors.add(["limit"], "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN",
                       "int value should be between 1 and 100")  # fmt: skip
        anchors = {key: self._int_param(errors, params, key, None) for key in ("around", "before", "after")}
        given = [key for key, value in anchors.items() if value is not None]
        if len(given) > 1:
            errors.add([given[1]], "BASE_TYPE_CHOICES", "around, before and after are mutually exclusive")
        errors.raise_if_any()
        assert limit is not None  # a default was given
        ascending = self.messages(channel_id)
        if anchors["around"] is not None:
            around, half = anchors["around"], limit // 2
            older = [m for m in ascending if m.id < around]
            newer = [m for m in ascending if m.id >= around]
            window = (older[-half:] if half else []) + newer[: half + 1]
            return list(reversed(window))
        if anchors["after"] is not None:
            after = anchors["after"]
            return list(reversed([m for m in ascending if m.id > after][:limit]))
        if anchors["before"] is not None:
            before = anchors["before"]
            ascending = [m for m in ascending if m.id < before]
        return list(reversed(ascending[-limit:]))

    @staticmethod
    def _int_param(errors: limits.FormErrors, params: dict[str, Any], key: str, default: int | None) -> int | None:
        value = params.get(key)
        if value is None:
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            errors.add([key], "NUMBER_TYPE_COERCE", f"Value \"{value}\" is not int.")
            return default

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    def get_message(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        if self._channel(channel_id)["type"] != DM:
            self._bot_needs(perm.VIEW_CHANNEL | perm.READ_MESSAGE_HISTORY, channel_id)
        return self.message_payload(self._channel_message(channel_id, ctx.id("message_id")))

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    def edit_message(self, ctx: RequestContext) -> dict[str, Any]:
        channel_id = ctx.id("channel_id")
        message = self._channel_message(channel_id, ctx.id("message_id"))
        if message.author_id != self.bot_user.id:
            raise http_error(403, 50005, "Cannot edit a message authored by another user")
        self._validate_message_body(ctx.body)
        payload = self._apply_edit(message, ctx)
        return payload

    def _apply_edit(self, message: SimMessage, ctx: RequestContext, *, mark_edited: bool = True) -> dict[str, Any]:
        """Apply an edit payload (REST or webhook) to a message and announce it if public."""
        body = ctx.body
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = list(body["components"] or [])
        limits.check_files(ctx.files, limits.upload_limit(self.premium_tier))
        if "attachments" in body or ctx.files:
            message.attachments = self._attachments_from(message.channel_id, body, ctx.files, message.attachments)
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & ~SUPPRESS_EMBEDS_FLAG) | (int(body["flags"]) & SUPPRESS_EMBEDS_FLAG)
        if mark_edited:
            self._mark_edited(message)
        payload = self.message_payload(message)
        if message.visible_to is None:
            self._emit("MESSAGE_UPDATE", payload)
        return payload

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    def delete_message(self, ctx: RequestContext) -> None:
        channel_id = ctx.id("channel_id")
        message = self._channel_message(channel_id, ctx.id("message_id"))
        if message.author_id != self.bot_user.id:
            self._bot_needs(perm.MANAGE_MESSAGES, channel_id)
        self._delete(message)

    def _delete(self, message: SimMessage) -> None:
        message.deleted = True
        if message.visible_to is not None:
            return
        event: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if self.channels.get(message.channel_id, {}).get("type") != DM:
            event["guild_id"] = str(self.guild_id)
        self._emit("MESSAGE_DELETE", event)

    @route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    def add_reaction(self, ctx: RequestContext) -> None:
        channel_id = ctx.id("channel_id")
        message = self._channel_message(channel_id, ctx.id("message_id"))
        if self.channels[channel_id]["type"] != DM:
            self._bot_needs(perm.ADD_REACTIONS | perm.READ_MESSAGE_HISTORY, channel_id)
        users = message.reactions.setdefault(ctx.args["emoji"], [])
        if self.bot_user.id not in users:
            users.append(self.bot_user.id)
            self._emit("MESSAGE_REACTION_ADD", self._reaction_event(message, ctx.args["emoji"], adding=True))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    def remove_reaction(self, ctx: RequestContext) -> None:
        message = self._channel_message(ctx.id("channel_id"), ctx.id("message_id"))
        users = message.reactions.get(ctx.args["emoji"], [])
        if self.bot_user.id in users:
            users.remove(self.bot_user.id)
            if not users:
                del message.reactions[ctx.args["emoji"]]
            self._emit("MESSAGE_REACTION_REMOVE", self._reaction_event(message, ctx.args["emoji"]))

    def _reaction_event(self, message: SimMessage, emoji: str, *, adding: bool = False,
                        user: SimMember | None = None) -> dict[str, Any]:
        """MESSAGE_REACTION_ADD/REMOVE as Discord sends them; an add in a server carries the member
        who reacted (a remove never does)."""
        who = user or self.bot_user
        event: dict[str, Any] = {
            "user_id": str(who.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "message_author_id": str(message.author_id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if self.channels.get(message.channel_id, {}).get("type") != DM:
            event["guild_id"] = str(self.guild_id)
            if adding:
                event["member"] = self.member_payload(who)
                event["burst_colors"] = []
        return event

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
    def pin(self, ctx: RequestContext) -> None:
        self._set_pinned(ctx, True)

    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
    def unpin(self, ctx: RequestContext) -> None:
        self._set_pinned(ctx, False)

    def _set_pinned(self, ctx: RequestContext, pinned: bool) -> None:
        channel_id = ctx.id("channel_id")
        message = self._channel_message(channel_id, ctx.id("message_id"))
        if self.channels[channel_id]["type"] != DM:
            self._bot_needs(perm.MANAGE_MESSAGES, channel_id)
        if pinned and not message.pinned and sum(
                m.pinned for m in self.messages(channel_id)) >= limits.CHANNEL_PINS:
            raise http_error(400, 30003, f"Maximum number of pins reached ({limits.CHANNEL_PINS})")
        message.pinned = pinned
        self._emit("MESSAGE_UPDATE", self.message_payload(message))

    # -- application commands -------------------------------------------------------

    def _command_scope(self, ctx: RequestContext) -> int | None:
        if ctx.id("application_id") != self.application_id:
            raise http_error(403, 50001, "Missing Access")
        if "guild_id" in ctx.args:
            self._guild(ctx)
            return self.guild_id
        return None

    def _command_payload(self, scope: int | None, data: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        """A registered command as Discord returns it; re-registering a name keeps its id."""
        command = {
            "type": 1,
            # Context-menu commands are sent without one; Discord returns it as an empty string.
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **data,
            "id": old["id"] if old else str(self.clock.snowflake()),
            "application_id": str(self.application_id),
            "version": str(self.clock.snowflake()),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        # Discord keeps the permission set and answers it as a string of digits, however it was sent.
        if command["default_member_permissions"] is not None:
            command["default_member_permissions"] = str(int(command["default_member_permissions"]))
        return command

    def _register_command(self, scope: int | None, data: dict[str, Any]) -> dict[str, Any]:
        limits.check_command(data)
        key = (data["name"], data.get("type", 1))
        others = [c for c in self.app_commands.get(scope, []) if (c["name"], c.get("type", 1)) != key]
        same_type = [c for c in others if c.get("type", 1) == key[1]]
        if len(same_type) >= limits.COMMANDS_PER_TYPE.get(key[1], len(same_type) + 1):
            raise http_error(400, 30032, "Maximum number of application commands reached")
        old = next((c for c in self.app_commands.get(scope, []) if c not in others), None)
        command = self._command_payload(scope, data, old)
        self.app_commands[scope] = [*others, command]
        return command

    @route("PUT", "/applications/{application_id}/commands")
    def bulk_global_commands(self, ctx: RequestContext) -> list[dict[str, Any]]:
        return self._bulk_commands(ctx)

    @route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    def bulk_guild_commands(self, ctx: RequestContext) -> list[dict[str, Any]]:
        return self._bulk_commands(ctx)

    def _bulk_commands(self, ctx: RequestContext) -> list[dict[str, Any]]:
        scope = self._command_scope(ctx)
        limits.check_commands(ctx.json)
        previous = {(c["name"], c.get("type", 1)): c for c in self.app_commands.get(scope, [])}
        result = [
            self._command_payload(scope, data, previous.get((data["name"], data.get("type", 1))))
            for data in ctx.json or []
        ]
        self.app_commands[scope] = result
        return result

    @route("GET", "/applications/{application_id}/commands")
    def list_global_commands(self, ctx: RequestContext) -> list[dict[str, Any]]:
        return list(self.app_commands.get(self._command_scope(ctx), []))

    @route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
    def list_guild_commands(self, ctx: RequestContext) -> list[dict[str, Any]]:
        return list(self.app_commands.get(self._command_scope(ctx), []))

    @route("POST", "/applications/{application_id}/commands")
    def upsert_global_command(self, ctx: RequestContext) -> dict[str, Any]:
        return self._register_command(self._command_scope(ctx), ctx.body)

    @route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
    def upsert_guild_command(self, ctx: RequestContext) -> dict[str, Any]:
        return self._register_command(self._command_scope(ctx), ctx.body)

    @route("DELETE", "/applications/{application_id}/commands/{command_id}")
    def delete_global_command(self, ctx: RequestContext) -> None:
        self._delete_command(ctx)

    @route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
    def delete_guild_command(self, ctx: RequestContext) -> None:
        self._delete_command(ctx)

    def _delete_command(self, ctx: RequestContext) -> None:
        scope = self._command_scope(ctx)
        commands = self.app_commands.get(scope, [])
        kept = [c for c in commands if c["id"] != ctx.args["command_id"]]
        if len(kept) == len(commands):
            raise http_error(404, 10063, "Unknown application command")
        self.app_commands[scope] = kept
