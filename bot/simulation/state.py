"""The in-memory guild: who is in it, its roles and rooms, every message, and their payloads.

Everything here is stored the way Discord stores it (roles and channels as their API
payloads, messages as ``SimMessage``), so the same data answers REST calls, builds
gateway events and serves test assertions without translation layers drifting apart.
Changes that Discord would announce on the gateway go through ``_emit``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from . import limits
from . import permissions as perm
from .clock import SimClock
from .models import SimMember, SimMessage, SimPermissionError, SimulationError
from .routing import http_error

GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

Emit = Callable[[str, dict[str, Any]], None]


def normalise_text_channel_name(name: str) -> str:
    """Discord lower-cases text channel names and turns spaces into dashes."""
    return re.sub(r"\s+", "-", name.strip().lower())


class GuildState:
    """One guild, its bot, and the DMs the bot has with its members."""

    def __init__(self, *, seed: int, guild_name: str, start_time: datetime | None, emit: Emit) -> None:
        self.clock = SimClock(seed=seed, start=start_time)
        self._emit = emit
        self.guild_id: int = self.clock.snowflake()
        self.guild_name = guild_name
        #: The server's boost level: it sets the upload limit (see ``limits.upload_limit``).
        self.premium_tier = 0
        self.roles: dict[int, dict[str, Any]] = {}
        self.members: dict[int, SimMember] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._messages: dict[int, SimMessage] = {}
        self._dm_channels: dict[int, int] = {}
        #: registered application commands: None for global, else the guild id
        self.app_commands: dict[int | None, list[dict[str, Any]]] = {None: []}
        self._cdn: dict[str, bytes] = {}
        #: interaction id -> metadata Discord attaches to the messages answering it
        self._interaction_meta: dict[int, dict[str, Any]] = {}

        self.bot_role_id = 0  # set just below; roles added later are placed under it
        self._add_role_payload("@everyone", perm.DEFAULT_EVERYONE, role_id=self.guild_id)
        self.owner: SimMember = self._new_member("Guild Owner", bot=False)
        self.bot_user: SimMember = self._new_member("Blether", bot=True)
        self.application_id: int = self.bot_user.id
        self.bot_role_id = self._add_role_payload(
            "Blether", perm.DEFAULT_BOT, managed=True, tags={"bot_id": str(self.bot_user.id)}
        )
        self.bot_user.role_ids.append(self.bot_role_id)
        self.general_channel_id = self._create_channel({"name": "general", "type": GUILD_TEXT})

    # -- time -------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.clock.now

    @now.setter
    def now(self, value: datetime) -> None:
        self.clock.now = value

    def advance(self, seconds: float) -> datetime:
        """Move the simulated clock forward (timestamps and new snowflakes follow it)."""
        return self.clock.advance(seconds)

    # -- building the guild -------------------------------------------------------------

    def _add_role_payload(
        self,
        name: str,
        permissions: int,
        *,
        role_id: int | None = None,
        managed: bool = False,
        tags: dict[str, Any] | None = None,
    ) -> int:
        role_id = role_id or self.clock.snowflake()
        if role_id == self.guild_id:
            position = 0
        else:
            # New roles go just under the bot's role, which stays on top so it can manage them.
            bot_role = self.roles.get(self.bot_role_id)
            position = len(self.roles)
            if bot_role is not None:
                position = bot_role["position"]
                bot_role["position"] += 1
        role: dict[str, Any] = {
            "id": str(role_id),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }
        if tags:
            role["tags"] = tags
        self.roles[role_id] = role
        return role_id

    def add_role(self, name: str, *, permissions: int = 0) -> int:
        """Create a role (placed just below the bot's role) and return its id."""
        role_id = self._add_role_payload(name, permissions)
        self._emit("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": self.roles[role_id]})
        return role_id

    def set_role_permissions(self, role: int | str, permissions: int) -> None:
        """Change what a role may do (the bot's role included, to test missing permissions)."""
        role_id = self.role_id(role)
        self.roles[role_id]["permissions"] = str(permissions)
        self._emit("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": self.roles[role_id]})

    def rename_role(self, role: int | str, name: str) -> None:
        """Rename a role (its id, and so what it may do in Blether, stays)."""
        role_id = self.role_id(role)
        self.roles[role_id]["name"] = name
        self._emit("GUILD_ROLE_UPDATE", {"guild_id": str(self.guild_id), "role": self.roles[role_id]})

    def role_id(self, role: int | str) -> int:
        """A role's id from its id or its name."""
        if isinstance(role, int):
            if role not in self.roles:
                raise SimulationError(f"no role with id {role}")
            return role
        for role_id, payload in self.roles.items():
            if payload["name"] == role:
                return role_id
        raise SimulationError(f"no role named {role!r}")

    def _new_member(self, name: str, *, bot: bool, roles: Iterable[int | str] = ()) -> SimMember:
        member = SimMember(
            id=self.clock.snowflake(),
            name=re.sub(r"\s+", "_", name.strip().lower()),
            display_name=name,
            bot=bot,
            role_ids=[self.role_id(r) for r in roles],
            joined_at=self.clock.now,
        )
        self.members[member.id] = member
        return member

    def add_member(self, name: str, *, roles: Iterable[int | str] = (), bot: bool = False) -> SimMember:
        """A new member of the guild; ``roles`` by id or name."""
        member = self._new_member(name, bot=bot, roles=roles)
        self._emit("GUILD_MEMBER_ADD", {**self.member_payload(member), "guild_id": str(self.guild_id)})
        return member

    def member(self, who: SimMember | int) -> SimMember:
        member_id = who.id if isinstance(who, SimMember) else who
        try:
            return self.members[member_id]
        except KeyError:
            raise SimulationError(f"no member with id {member_id}") from None

    def add_category(self, name: str, *, overwrites: list[dict[str, Any]] | None = None) -> int:
        """A channel category; returns its id."""
        return self._create_channel({"name": name, "type": GUILD_CATEGORY, "permission_overwrites": overwrites})

    def add_text_channel(
        self,
        name: str,
        *,
        category_id: int | None = None,
        topic: str | None = None,
        overwrites: list[dict[str, Any]] | None = None,
    ) -> int:
        """A text channel (as a server admin would create it); returns its id."""
        data: dict[str, Any] = {"name": name, "type": GUILD_TEXT, "parent_id": category_id, "topic": topic}
        if overwrites is not None:
            data["permission_overwrites"] = overwrites
        return self._create_channel(data)

    def _create_channel(self, data: dict[str, Any]) -> int:
        channel_type = int(data.get("type", GUILD_TEXT))
        if channel_type not in (GUILD_TEXT, GUILD_CATEGORY):
            raise http_error(400, 50035, f"Invalid Form Body: channel type {channel_type} is not simulated")
        parent_id = int(data["parent_id"]) if data.get("parent_id") else None
        if parent_id is not None and self.channels.get(parent_id, {}).get("type") != GUILD_CATEGORY:
            raise http_error(400, 50035, "Invalid Form Body: parent_id is not a category")
        name = str(data.get("name") or "")
        if channel_type == GUILD_TEXT:
            name = normalise_text_channel_name(name)
        limits.check_channel_fields(data, name)
        if parent_id is not None and self.category_size(parent_id) >= limits.CATEGORY_CHANNELS:
            raise limits.category_full()
        if len(self.guild_channels()) >= limits.GUILD_CHANNELS:
            raise http_error(400, 30013, f"Maximum number of guild channels reached ({limits.GUILD_CHANNELS})")
        overwrites = data.get("permission_overwrites")
        if overwrites is None and parent_id is not None:
            # Created without overwrites inside a category: Discord syncs it with the category.
            overwrites = [dict(o) for o in self.channels[parent_id]["permission_overwrites"]]
        same_type = [c for c in self.channels.values() if c["type"] == channel_type]
        position = data.get("position")
        if position is None:
            position = max((c["position"] for c in same_type), default=-1) + 1
        channel_id = self.clock.snowflake()
        channel: dict[str, Any] = {
            "id": str(channel_id),
            "type": channel_type,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": int(position),
            "permission_overwrites": [self._normalise_overwrite(o) for o in overwrites or []],
            "nsfw": bool(data.get("nsfw", False)),
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
        }
        if channel_type == GUILD_TEXT:
            channel.update(
                topic=data.get("topic"),
                last_message_id=None,
                rate_limit_per_user=int(data.get("rate_limit_per_user") or 0),
            )
        self.channels[channel_id] = channel
        self._channel_messages[channel_id] = []
        self._emit("CHANNEL_CREATE", channel)
        return channel_id

    def category_size(self, category_id: int) -> int:
        """How many channels sit in a category (Discord allows 50)."""
        return sum(1 for c in self.channels.values() if c.get("parent_id") == str(category_id))

    def _normalise_overwrite(self, overwrite: dict[str, Any]) -> dict[str, Any]:
        target = int(overwrite["id"])
        default_type = 0 if target in self.roles else 1
        return {
            "id": str(target),
            "type": int(overwrite.get("type", default_type)),
            "allow": str(int(overwrite.get("allow", 0) or 0)),
            "deny": str(int(overwrite.get("deny", 0) or 0)),
        }

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """The first guild channel with this name (as Discord stores it: lower-case, dashes)."""
        for channel in self.channels.values():
            if channel.get("name") in (name, normalise_text_channel_name(name)) and channel["type"] != DM:
                return channel
        return None

    def dm_channel_id(self, user: SimMember | int) -> int:
        """The DM channel between the bot and a member, opened if needed (as Discord does)."""
        member = self.member(user)
        channel_id = self._dm_channels.get(member.id)
        if channel_id is None:
            channel_id = self.clock.snowflake()
            self.channels[channel_id] = {
                "id": str(channel_id),
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.user_payload(member)],
            }
            self._channel_messages[channel_id] = []
            self._dm_channels[member.id] = channel_id
        return channel_id

    # -- permissions ---------------------------------------------------------------------

    def guild_permissions(self, who: SimMember | int) -> int:
        member = self.member(who)
        return perm.base_permissions(
            guild_id=self.guild_id,
            owner_id=self.owner.id,
            member_id=member.id,
            role_ids=member.role_ids,
            roles=self.roles,
        )

    def permissions_in(self, who: SimMember | int, channel_id: int) -> int:
        """A member's effective permissions in a channel, computed the way Discord does."""
        member = self.member(who)
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SimulationError(f"no channel with id {channel_id}")
        if channel["type"] == DM:
            return perm.VIEW_CHANNEL | perm.SEND_MESSAGES | perm.READ_MESSAGE_HISTORY | perm.ATTACH_FILES
        return perm.apply_overwrites(
            self.guild_permissions(member),
            guild_id=self.guild_id,
            member_id=member.id,
            role_ids=member.role_ids,
            channel=channel,
        )

    def can_view(self, member: SimMember | int, channel_id: int) -> bool:
        """Whether the member sees the channel at all (room privacy)."""
        return perm.has(self.permissions_in(member, channel_id), perm.VIEW_CHANNEL)

    def can_send(self, member: SimMember | int, channel_id: int) -> bool:
        """Whether the member can post in the channel."""
        return perm.has(self.permissions_in(member, channel_id), perm.VIEW_CHANNEL | perm.SEND_MESSAGES)

    def _bot_needs(self, needed: int, channel_id: int | None = None) -> None:
        """Raise Discord's 403 when the bot lacks a permission."""
        if channel_id is None:
            have = self.guild_permissions(self.bot_user)
        else:
            have = self.permissions_in(self.bot_user, channel_id)
            if not have & perm.VIEW_CHANNEL:
                raise http_error(403, 50001, "Missing Access")
        if not perm.has(have, needed):
            raise http_error(403, 50013, "Missing Permissions")

    # -- messages ---------------------------------------------------------------------

    def messages(self, channel_id: int) -> list[SimMessage]:
        """A channel's (or DM's) messages, oldest first, without deleted ones."""
        return [self._messages[i] for i in self._channel_messages.get(channel_id, []) if not self._messages[i].deleted]

    def dm_messages(self, user: SimMember | int) -> list[SimMessage]:
        """What the bot sent this user by DM, oldest first."""
        channel_id = self._dm_channels.get(self.member(user).id)
        if channel_id is None:
            return []
        return [m for m in self.messages(channel_id) if m.author_id == self.bot_user.id]

    def message(self, message_id: int) -> SimMessage:
        """Any message the simulation knows (ephemeral replies included)."""
        try:
            return self._messages[message_id]
        except KeyError:
            raise SimulationError(f"no message with id {message_id}") from None

    def _store_message(
        self,
        channel_id: int,
        author_id: int,
        *,
        content: str = "",
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        flags: int = 0,
        reference_id: int | None = None,
        interaction_id: int | None = None,
        message_type: int | None = None,
        visible_to: int | None = None,
    ) -> SimMessage:
        message = SimMessage(
            id=self.clock.snowflake(),
            channel_id=channel_id,
            author_id=author_id,
            content=content,
            embeds=list(embeds or []),
            components=list(components or []),
            attachments=list(attachments or []),
            flags=flags,
            reference_id=reference_id,
            type=message_type if message_type is not None else (19 if reference_id else 0),
            timestamp=self.clock.now,
            interaction_id=interaction_id,
            visible_to=visible_to,
        )
        self._messages[message.id] = message
        if visible_to is None:
            self._channel_messages[channel_id].append(message.id)
            self.channels[channel_id]["last_message_id"] = str(message.id)
        return message

    def _attachment(
        self, channel_id: int, filename: str, data: bytes, content_type: str | None = None
    ) -> dict[str, Any]:
        attachment_id = self.clock.snowflake()
        url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
        self._cdn[url] = data
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
            "data": data,
        }

    def cdn_get(self, url: str) -> bytes:
        """The bytes behind an attachment URL (what ``Attachment.read()`` downloads)."""
        base = url.split("?", 1)[0].replace("media.discordapp.net", "cdn.discordapp.com")
        try:
            return self._cdn[base]
        except KeyError:
            raise http_error(404, 0, "Not Found") from None

    # -- payloads ----------------------------------------------------------------------

    def user_payload(self, member: SimMember) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(member.id),
            "username": member.name,
            "discriminator": "0",
            "global_name": member.display_name,
            "avatar": None,
            "public_flags": 0,
        }
        if member.bot:
            data["bot"] = True
        return data

    def member_payload(self, member: SimMember, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.role_ids],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": self.clock.iso(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user_payload(member)
        return data

    def guild_payload(self) -> dict[str, Any]:
        """The guild object (REST shape, without members and channels)."""
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner.id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "nsfw_level": 0,
            "application_id": None,
            "system_channel_id": str(self.general_channel_id) if self.general_channel_id in self.channels else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": self.premium_tier,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-GB",
            "max_members": 500000,
            "max_video_channel_users": 25,
            "nsfw": False,
            "incidents_data": None,
        }

    def guild_channels(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c["type"] != DM]

    def message_payload(self, message: SimMessage, *, with_reference: bool = True) -> dict[str, Any]:
        """The message object Discord would send for this message (REST or gateway)."""
        author = self.members[message.author_id]
        channel = self.channels.get(message.channel_id, {"type": DM})
        in_guild = channel["type"] != DM
        mentioned = [self.members[int(i)] for i in _USER_MENTION.findall(message.content) if int(i) in self.members]
        data: dict[str, Any] = {
            "id": str(message.id),
            "channel_id": str(message.channel_id),
            "type": message.type,
            "author": self.user_payload(author),
            "content": message.content,
            "timestamp": self.clock.iso(message.timestamp),
            "edited_timestamp": self.clock.iso(message.edited_timestamp) if message.edited_timestamp else None,
            "tts": False,
            "mention_everyone": "@everyone" in message.content,
            "mentions": [
                {**self.user_payload(m), **({"member": self.member_payload(m, with_user=False)} if in_guild else {})}
                for m in mentioned
            ],
            "mention_roles": [r for r in _ROLE_MENTION.findall(message.content) if int(r) in self.roles],
            "attachments": [{k: v for k, v in a.items() if k != "data"} for a in message.attachments],
            "embeds": message.embeds,
            "components": message.components,
            "pinned": message.pinned,
            "flags": message.flags,
        }
        if in_guild:
            data["guild_id"] = str(self.guild_id)
        if message.reactions:
            data["reactions"] = [
                {
                    "emoji": {"id": None, "name": emoji},
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": self.bot_user.id in users,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for emoji, users in message.reactions.items()
            ]
        meta = self._interaction_meta.get(message.interaction_id or 0)
        if meta is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
            data["interaction_metadata"] = meta
        elif in_guild:
            data["member"] = self.member_payload(author, with_user=False)
        if message.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(message.reference_id),
                "channel_id": str(message.channel_id),
                **({"guild_id": str(self.guild_id)} if in_guild else {}),
            }
            if with_reference:
                referenced = self._messages.get(message.reference_id)
                data["referenced_message"] = (
                    self.message_payload(referenced, with_reference=False)
                    if referenced is not None and not referenced.deleted
                    else None
                )
        return data

    def _mark_edited(self, message: SimMessage) -> None:
        message.edited = True
        message.edited_timestamp = self.clock.now

    def _user_can_post(self, member: SimMember, channel_id: int, *, attachments: bool) -> None:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SimulationError(f"no channel with id {channel_id}")
        if channel["type"] == GUILD_CATEGORY:
            raise SimulationError(f"{channel['name']} is a category; nobody can post in it")
        if not self.can_view(member, channel_id):
            raise SimPermissionError(f"{member.display_name} cannot see #{channel.get('name', channel_id)}")
        if not self.can_send(member, channel_id):
            raise SimPermissionError(f"{member.display_name} cannot send messages in #{channel.get('name')}")
        if attachments and not perm.has(self.permissions_in(member, channel_id), perm.ATTACH_FILES):
            raise SimPermissionError(f"{member.display_name} cannot attach files in #{channel.get('name')}")
