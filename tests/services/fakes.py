"""An in-memory `Chat` that records every call, for service tests without Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.core.access import ChannelAccess, Level
from bot.services.chat import Chat, ChatMessage, EventDetails, EventStatus, FileUpload, Offer


@dataclass
class FakeChat:
    """Channels are numbered from a snowflake-sized base; `calls` lists (method, args) in order."""

    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)
    members: dict[int, set[int]] = field(default_factory=dict)
    #: channels whose people can read but not write (the café ended, or the room is paused or closed)
    locked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    access: dict[int, ChannelAccess] = field(default_factory=dict)
    posts: list[tuple[int, str, tuple[Offer, ...]]] = field(default_factory=list)
    history: dict[int, list[ChatMessage]] = field(default_factory=dict)
    dm_refused: set[int] = field(default_factory=set)
    #: (channel id, message id, new text, offers) of every edit, in order
    edits: list[tuple[int, int, str, tuple[Offer, ...]]] = field(default_factory=list)
    #: (category id or None for a category, name) → channel id, for `find_channel`
    made: dict[tuple[int | None, str], int] = field(default_factory=dict)
    #: (channel id, text) → message id, for `find_post`
    posted: dict[tuple[int, str], int] = field(default_factory=dict)
    #: how many channels the server already has
    channels: int = 3
    _next_id: int = 900_000_000_000_000_000

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def create_category(self, guild_id: int, name: str, *, staff_roles: Sequence[int]) -> int:
        self.calls.append(("create_category", (guild_id, name, tuple(staff_roles))))
        self.made[(None, name)] = category = self._new_id()
        return category

    async def create_room(self, guild_id: int, category_id: int, name: str, *, access: ChannelAccess,
                          topic: str) -> int:
        channel = self._new_id()
        members = tuple(m for m, _ in access.members)
        self.calls.append(("create_room", (guild_id, category_id, name, members)))
        self.access[channel] = access
        self.members[channel] = set(members)
        self.made[(category_id, name)] = channel
        return channel

    async def set_access(self, channel_id: int, access: ChannelAccess) -> None:
        self.calls.append(("set_access", (channel_id, tuple(m for m, _ in access.members))))
        self.access[channel_id] = access
        self.members[channel_id] = {m for m, _ in access.members}
        if access.members and all(level is Level.READ for _, level in access.members):
            self.locked.add(channel_id)
        else:
            self.locked.discard(channel_id)

    async def edit_post(self, channel_id: int, message_id: int, text: str, *,
                        offers: Sequence[Offer] | None = None) -> bool:
        self.calls.append(("edit_post", (channel_id, message_id)))
        self.edits.append((channel_id, message_id, text, tuple(offers or ())))
        return True

    async def find_channel(self, guild_id: int, name: str, *, category_id: int | None) -> int | None:
        self.calls.append(("find_channel", (guild_id, name, category_id)))
        return self.made.get((category_id, name))

    async def find_post(self, channel_id: int, text: str) -> int | None:
        self.calls.append(("find_post", (channel_id,)))
        return self.posted.get((channel_id, text))

    async def delete_channel(self, channel_id: int) -> None:
        self.calls.append(("delete_channel", (channel_id,)))
        self.made = {key: made for key, made in self.made.items() if made != channel_id}

    async def post(self, channel_id: int, text: str, *, offers: Sequence[Offer] = (),
                   ping_roles: Sequence[int] = (), ping_users: Sequence[int] = ()) -> int:
        self.calls.append(("post", (channel_id, *ping_roles, *ping_users)))
        self.posts.append((channel_id, text, tuple(offers)))
        self.posted[(channel_id, text)] = message = self._new_id()
        return message

    async def edit(self, channel_id: int, message_id: int, text: str, *, offers: Sequence[Offer] = ()) -> None:
        self.calls.append(("edit", (channel_id, message_id)))
        self.edits.append((channel_id, message_id, text, tuple(offers)))

    async def create_event(self, guild_id: int, details: EventDetails) -> int:
        self.calls.append(("create_event", (guild_id, details.starts_at)))
        return self._new_id()

    async def edit_event(self, guild_id: int, event_id: int, *, details: EventDetails | None = None,
                         status: EventStatus | None = None) -> None:
        self.calls.append(("edit_event", (guild_id, event_id, status)))
    async def pin(self, channel_id: int, message_id: int) -> None:
        self.calls.append(("pin", (channel_id, message_id)))
        self.pinned.add(message_id)

    async def post_files(self, channel_id: int, text: str, files: Sequence[FileUpload]) -> int:
        self.calls.append(("post_files", (channel_id, tuple(f.filename for f in files))))
        return self._new_id()

    async def dm(self, user_id: int, text: str, *, filename: str | None = None, data: bytes | None = None,
                 offers: Sequence[Offer] = ()) -> bool:
        self.calls.append(("dm", (user_id, filename)))
        return user_id not in self.dm_refused

    async def channel_count(self, guild_id: int) -> int:
        return self.channels


    async def history_after(self, channel_id: int, after_message_id: int | None) -> AsyncIterator[ChatMessage]:
        self.calls.append(("history_after", (channel_id, after_message_id)))
        for msg in sorted(self.history.get(channel_id, []), key=lambda m: m.id):
            if after_message_id is None or msg.id > after_message_id:
                yield msg

    def write(self, msg: ChatMessage) -> None:
        """Someone writes in a channel (whether or not the bot is there to see it)."""
        self.history.setdefault(msg.channel_id, []).append(msg)

    def replace(self, msg: ChatMessage) -> None:
        """An edit changes what history returns."""
        self.history[msg.channel_id] = [msg if m.id == msg.id else m for m in self.history[msg.channel_id]]

    def forget(self, channel_id: int, message_id: int) -> None:
        self.history[channel_id] = [m for m in self.history.get(channel_id, []) if m.id != message_id]

    def named(self, method: str) -> list[tuple[object, ...]]:
        return [args for name, args in self.calls if name == method]


@dataclass
class FixedClock:
    """Café time that moves only when a test moves it."""

    moment: datetime = field(default_factory=lambda: datetime(2030, 1, 5, 18, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def to_wall(self, moment: datetime) -> datetime:
        return moment

    def wall_seconds(self, cafe_seconds: float) -> float:
        return cafe_seconds

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


#: Checked by mypy in `make test`: the fake cannot drift from the `Chat` port it stands in for.
_FAKE_IS_A_CHAT: type[Chat] = FakeChat
