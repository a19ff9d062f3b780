"""The `Chat` port over discord.py: the one place services' requests become Discord REST calls."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import discord

from bot.core.access import ChannelAccess, Level
from bot.services.chat import (
    Attachment,
    ChatError,
    ChatMessage,
    EventDetails,
    EventStatus,
    FileUpload,
    Offer,
    OfferKind,
)

#: Builds the Discord item for an offer of one café; each cog registers its own.
OfferItem = Callable[[int], discord.ui.Item[Any]]

# What a participant may do in their room; the rest of the server's channels are untouched.
_MEMBER = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, attach_files=True, add_reactions=True
)
_HIDDEN = discord.PermissionOverwrite(view_channel=False)
# Read back, but not write: a paused, recalled or closed room (and every channel once the café ends).
_READER = discord.PermissionOverwrite(
    view_channel=True, read_message_history=True, send_messages=False, add_reactions=False,
)
_LEVELS: Final = {Level.READ: _READER, Level.WRITE: _MEMBER}
_BOT = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, manage_channels=True,
    manage_permissions=True, embed_links=True, attach_files=True,
)


_ROLE_OVERWRITE: Final = 0
_MEMBER_OVERWRITE: Final = 1

Overwrites = dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]


def intents(*, members: bool = False) -> discord.Intents:
    """The least Blether needs: servers, their messages, reactions and DMs. Message content is privileged;
    so is `members`, which a host turns on only to offer the RSVP button to people who mark a
    café's event Interested (discord.py drops that event for a user it does not know)."""
    wanted = discord.Intents.none()
    wanted.members = members
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    # A facilitator's 📌 on a message marks it as a key point (raw reaction events; not privileged).
    wanted.guild_reactions = True
    # Not privileged: the café's mirrored events, and who marks them Interested.
    wanted.guild_scheduled_events = True
    return wanted


def to_chat_message(message: discord.Message) -> ChatMessage:
    reference = message.reference.message_id if message.reference and message.type is discord.MessageType.reply \
        else None
    return ChatMessage(
        id=message.id,
        channel_id=message.channel.id,
        author_id=message.author.id,
        author_is_bot=message.author.bot,
        content=message.content,
        created_at=message.created_at,
        reply_to_id=reference,
        attachments=tuple(Attachment(a.filename, a.content_type) for a in message.attachments),
        is_system=message.type not in (discord.MessageType.default, discord.MessageType.reply),
        edited_at=message.edited_at,
    )


#: What each kind of call needs, in the words of Discord's settings (channel-level "Manage
#: Permissions" is the server-level "Manage Roles"; hosts grant the latter).
_MAKE_CHANNELS: Final = ("Manage Channels", "Manage Roles")
_SET_ACCESS: Final = ("Manage Channels", "Manage Roles")
_POST: Final = ("View Channel", "Send Messages")
_POST_FILE: Final = ("View Channel", "Send Messages", "Attach Files")
_READ_HISTORY: Final = ("View Channel", "Read Message History")
_EVENTS: Final = ("Manage Events",)
#: Discord's numbers for an event held outside a voice or stage channel, visible to members only.
_EXTERNAL: Final = 3
_GUILD_ONLY: Final = 2
_PIN: Final = ("View Channel", "Manage Messages")


@contextmanager
def _refusals(channel_id: int | None = None, needs: Sequence[str] = ()) -> Iterator[None]:
    """Discord's refusals become the port's `ChatError`, with Discord's own code and message, the
    channel the call acted on and the permissions it needs (Discord's answer names neither)."""
    try:
        yield
    except discord.HTTPException as exc:
        raise ChatError(exc.text or str(exc), status=exc.status, code=exc.code, channel_id=channel_id,
                        needs=needs) from exc


class DiscordChat:
    """Implements `bot.services.chat.Chat` with discord.py calls."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._offer_items: dict[OfferKind, OfferItem] = {}

    def register_offer(self, kind: OfferKind, item: OfferItem) -> None:
        """A cog says how its offer looks on Discord (its DynamicItem builds itself from a café id)."""
        self._offer_items[kind] = item

    def _view(self, offers: Sequence[Offer]) -> discord.ui.View | None:
        if not offers:
            return None
        view = discord.ui.View(timeout=None)
        for offer in offers:
            build = self._offer_items.get(offer.kind)
            if build is None:
                raise RuntimeError(f"no cog offers {offer.kind.value!r}: is its extension loaded?")
            view.add_item(build(offer.session_id))
        return view

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise RuntimeError(f"Blether is not in server {guild_id}")
        return guild

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        assert isinstance(channel, discord.abc.Messageable)
        return channel

    def _staff(self, guild: discord.Guild, staff_roles: Sequence[int]) -> Overwrites:
        """Hidden from everyone, open to the bot and the staff roles by id (a role someone
        creates with the same name as a staff role gets nothing). A role deleted since setup is
        left out rather than failing the opening."""
        overwrites: Overwrites = {
            guild.default_role: _HIDDEN, guild.me: _BOT,
        }
        for role_id in staff_roles:
            role = guild.get_role(role_id)
            if role is not None and not role.is_default():
                overwrites[role] = _MEMBER
        return overwrites

    async def create_category(self, guild_id: int, name: str, *, staff_roles: Sequence[int]) -> int:
        with _refusals(needs=_MAKE_CHANNELS):
            guild = self._guild(guild_id)
            category = await guild.create_category(name[:100], overwrites=self._staff(guild, staff_roles),
                                                   reason="Blether café opening")
            return category.id

    def _overwrites(self, guild: discord.Guild, access: ChannelAccess) -> list[dict[str, Any]]:
        """The channel's whole overwrite list as Discord takes it: @everyone hidden, the bot's own,
        then each staff role (by id; one deleted since setup is left out) and each person."""
        def entry(target: int, kind: int, overwrite: discord.PermissionOverwrite) -> dict[str, Any]:
            allow, deny = overwrite.pair()
            return {"id": str(target), "type": kind, "allow": str(allow.value), "deny": str(deny.value)}

        listed = [entry(guild.id, _ROLE_OVERWRITE, _HIDDEN), entry(guild.me.id, _MEMBER_OVERWRITE, _BOT)]
        for role_id, level in access.roles:
            role = guild.get_role(role_id)
            if role is not None and not role.is_default():
                listed.append(entry(role_id, _ROLE_OVERWRITE, _LEVELS[level]))
        listed.extend(entry(member_id, _MEMBER_OVERWRITE, _LEVELS[level]) for member_id, level in access.members
                      if member_id != guild.me.id)
        return listed

    async def create_room(self, guild_id: int, category_id: int, name: str, *, access: ChannelAccess,
                          topic: str) -> int:
        """One call: the channel is born with its whole access, so nobody sees it before they should."""
        with _refusals(category_id, _MAKE_CHANNELS):
            guild = self._guild(guild_id)
            made = await self.client.http.create_channel(
                guild_id, discord.ChannelType.text.value, name=name, parent_id=category_id, topic=topic[:1024],
                permission_overwrites=self._overwrites(guild, access), reason="Blether breakout room")
            return int(made["id"])

    async def set_access(self, channel_id: int, access: ChannelAccess) -> None:
        """One channel edit carrying the whole overwrite list (Discord replaces the list)."""
        with _refusals(channel_id, _SET_ACCESS):
            channel = self.client.get_channel(channel_id)
            if not isinstance(channel, discord.abc.GuildChannel):
                raise ChatError("Unknown Channel", status=404, code=10003, channel_id=channel_id)
            await self.client.http.edit_channel(channel_id, reason="Blether room access",
                                                permission_overwrites=self._overwrites(channel.guild, access))

    async def edit_post(self, channel_id: int, message_id: int, text: str, *,
                        offers: Sequence[Offer] | None = None) -> bool:
        with _refusals(channel_id, _POST):
            try:
                message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
                mentions = discord.AllowedMentions.none()
                if offers is None:
                    await message.edit(content=text, allowed_mentions=mentions)
                else:
                    await message.edit(content=text, view=self._view(offers), allowed_mentions=mentions)
            except discord.NotFound:
                return False
            return True

    async def find_channel(self, guild_id: int, name: str, *, category_id: int | None) -> int | None:
        """From the gateway's cache: after a restart GUILD_CREATE lists every channel, so no REST call."""
        guild = self._guild(guild_id)
        wanted = name[:100] if category_id is None else name
        for channel in guild.channels:
            is_category = isinstance(channel, discord.CategoryChannel)
            if (category_id is None) != is_category or channel.name != wanted:
                continue
            if category_id is None or channel.category_id == category_id:
                return channel.id
        return None

    async def find_post(self, channel_id: int, text: str) -> int | None:
        """The last few messages only: a step resumes right after the crash, so its post is recent."""
        with _refusals():
            channel = await self._channel(channel_id)
            me = self.client.user
            async for seen in channel.history(limit=25):
                if me is not None and seen.author.id == me.id and seen.content == text:
                    return seen.id
            return None

    async def delete_channel(self, channel_id: int) -> None:
        with _refusals():
            try:
                await self.client.http.delete_channel(channel_id, reason="Blether: opening rolled back")
            except discord.NotFound:
                return

    async def post(self, channel_id: int, text: str, *, offers: Sequence[Offer] = (),
                   ping_roles: Sequence[int] = (), ping_users: Sequence[int] = ()) -> int:
        with _refusals(channel_id, _POST):
            channel = await self._channel(channel_id)
            view = self._view(offers)
            # The bot's default allows no mentions at all; a message lifts that only for the roles
            # and people it means to ping, never for @everyone or others that a typed label might contain.
            mentions = discord.AllowedMentions(everyone=False, replied_user=False,
                                               users=[discord.Object(id=u) for u in ping_users],
                                               roles=[discord.Object(id=r) for r in ping_roles]) \
                if ping_roles or ping_users else discord.AllowedMentions.none()
            sent = await (channel.send(text, view=view, allowed_mentions=mentions) if view
                          else channel.send(text, allowed_mentions=mentions))
            return sent.id

    async def edit(self, channel_id: int, message_id: int, text: str, *, offers: Sequence[Offer] = ()) -> None:
        """By ids (a partial message): no fetch first, one call."""
        with _refusals(channel_id, _POST):
            message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
            view = self._view(offers)
            mentions = discord.AllowedMentions.none()
            await (message.edit(content=text, view=view, allowed_mentions=mentions) if view is not None
                   else message.edit(content=text, allowed_mentions=mentions))

    @staticmethod
    def _event_payload(details: EventDetails) -> dict[str, Any]:
        return {
            "name": details.name[:100], "description": details.description[:1000],
            "scheduled_start_time": details.starts_at.isoformat(), "scheduled_end_time": details.ends_at.isoformat(),
            "entity_metadata": {"location": details.location[:100]},
        }

    async def create_event(self, guild_id: int, details: EventDetails) -> int:
        with _refusals(needs=_EVENTS):
            created = await self.client.http.create_guild_scheduled_event(
                guild_id, reason="Blether café scheduled", entity_type=_EXTERNAL, privacy_level=_GUILD_ONLY,
                **self._event_payload(details))
            return int(created["id"])

    async def edit_event(self, guild_id: int, event_id: int, *, details: EventDetails | None = None,
                         status: EventStatus | None = None) -> None:
        payload = self._event_payload(details) if details is not None else {}
        if status is not None:
            payload["status"] = int(status)
        with _refusals(needs=_EVENTS):
            await self.client.http.edit_scheduled_event(guild_id, event_id, reason="Blether café", **payload)
    async def pin(self, channel_id: int, message_id: int) -> None:
        """By id: the message need not be fetched first (one call)."""
        with _refusals(channel_id, _PIN):
            await self.client.http.pin_message(channel_id, message_id, reason="Blether: support for everyone")

    async def post_files(self, channel_id: int, text: str, files: Sequence[FileUpload]) -> int:
        with _refusals(channel_id, _POST_FILE):
            channel = await self._channel(channel_id)
            attached = [discord.File(io.BytesIO(f.data), filename=f.filename) for f in files]
            sent = await channel.send(text, files=attached)
            return sent.id

    async def dm(self, user_id: int, text: str, *, filename: str | None = None, data: bytes | None = None,
                 offers: Sequence[Offer] = ()) -> bool:
        with _refusals():
            try:
                # By id: no user lookup first (one call fewer per person in a reminder round).
                channel = await self.client.create_dm(discord.Object(id=user_id))
                kwargs: dict[str, Any] = {}
                if filename is not None and data is not None:
                    kwargs["file"] = discord.File(io.BytesIO(data), filename=filename)
                view = self._view(offers)
                if view is not None:
                    kwargs["view"] = view
                await channel.send(text, **kwargs)
            except (discord.Forbidden, discord.NotFound):
                return False
            return True

    async def channel_count(self, guild_id: int) -> int:
        return len(self._guild(guild_id).channels)

    async def history_after(self, channel_id: int, after_message_id: int | None) -> AsyncIterator[ChatMessage]:
        with _refusals(channel_id, _READ_HISTORY):
            channel = self.client.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                return
            after = discord.Object(id=after_message_id) if after_message_id else None
            async for seen in channel.history(limit=None, after=after, oldest_first=True):
                yield to_chat_message(seen)
