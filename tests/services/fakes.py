"""An in-memory `Chat` that records every call, for service tests without Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.services.chat import Chat, ChatMessage, Offer


@dataclass
class FakeChat:
    """Channels are numbered from a snowflake-sized base; `calls` lists (method, args) in order."""

    calls: list[tuple[str, tuple[object, ...]]] = field(default_factory=list)
    members: dict[int, set[int]] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    posts: list[tuple[int, str, tuple[Offer, ...]]] = field(default_factory=list)
    history: dict[int, list[ChatMessage]] = field(default_factory=dict)
    dm_refused: set[int] = field(default_factory=set)
    #: how many channels the server already has
    channels: int = 3
    _next_id: int = 900_000_000_000_000_000

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def create_category(self, guild_id: int, name: str, *, staff_roles: Sequence[str]) -> int:
        self.calls.append(("create_category", (guild_id, name, tuple(staff_roles))))
        return self._new_id()

    async def create_room(
        self, guild_id: int, category_id: int, name: str, *, members: Sequence[int], staff_roles: Sequence[str],
        topic: str,
    ) -> int:
        channel = self._new_id()
        self.calls.append(("create_room", (guild_id, category_id, name, tuple(members))))
        self.members[channel] = set(members)
        return channel

    async def set_members(self, channel_id: int, *, add: Sequence[int], remove: Sequence[int]) -> None:
        self.calls.append(("set_members", (channel_id, tuple(add), tuple(remove))))
        self.members.setdefault(channel_id, set()).update(add)
        self.members[channel_id].difference_update(remove)

    async def lock(self, channel_id: int) -> None:
        self.calls.append(("lock", (channel_id,)))
        self.locked.add(channel_id)

    async def post(self, channel_id: int, text: str, *, offers: Sequence[Offer] = ()) -> int:
        self.calls.append(("post", (channel_id,)))
        self.posts.append((channel_id, text, tuple(offers)))
        return self._new_id()

    async def post_file(self, channel_id: int, text: str, filename: str, data: bytes) -> int:
        self.calls.append(("post_file", (channel_id, filename)))
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
