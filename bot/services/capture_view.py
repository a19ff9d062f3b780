"""What the capture path needs to judge a live message, held in memory and dropped on every change.

A message in a busy room would otherwise read the café, its room, its rounds, the author's
participant id, pseudonym and consent ledger from the store: a dozen round trips to the database
thread for each line someone types. The view keeps the answers, and whatever changes one of them
says so through `bot.store.changes` (`CaptureChanges`, implemented by `CaptureService`), from
the repository method that makes the write:

- a consent choice or withdrawal (`PeopleRepo.append_consent`, in its transaction; and
  `ConsentService` once the transaction has ended): that person's ledger in that café;
- a café's state, rooms, lobby or rounds (`SessionRepo`): that café, and which channels belong
  to a café;
- an erasure (`PeopleRepo.erase_person`, `release_identity`): everything, as people, pseudonyms
  and ledgers may be gone.

A room move changes where a person sits, not which room a channel is, so it does not touch the
view (capture files a message under the room of its channel). A new write that changes any of
these calls `notify(db)` the same way. The store stays the judge of last resort: a batch's INSERT
re-checks the ledger under the write lock (`ContributionRepo.store_batch`).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from bot.core.consent import LedgerEntry
from bot.core.models import Session
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class CafeOfChannel:
    """The café a channel belongs to, its room (None for the lobby), and when its rounds began."""

    session: Session
    room_id: int | None
    round_starts: tuple[datetime, ...] = field(default=())
    round_numbers: tuple[int, ...] = field(default=())

    def round_at(self, moment: datetime) -> int:
        """The round running at `moment`, or the café's current one before any began."""
        index = bisect_right(self.round_starts, moment)
        return self.round_numbers[index - 1] if index else self.session.current_round


class CaptureView:
    """Answers from the store, kept until a change drops them. Only what exists is kept (a channel
    that is no café's is asked again; a person not yet a participant too), except that channels
    known to be no café's are remembered until any café changes."""

    def __init__(self, sessions: SessionRepo, people: PeopleRepo, pseudonym_key: bytes) -> None:
        self.sessions = sessions
        self.people = people
        self.key = pseudonym_key
        self._cafes: dict[int, CafeOfChannel] = {}  # channel id → its café
        self._not_cafes: set[int] = set()
        self._participants: dict[int, int] = {}  # Discord id → participant id
        self._pseudonyms: dict[tuple[int, str, int], str] = {}
        self._ledgers: dict[tuple[int, int], list[LedgerEntry]] = {}
        # Bumped by every change: a read that began before one is not kept.
        self._generation = 0
        # Reads under way, shared by whoever asks the same meanwhile; a change empties it.
        self._inflight: dict[tuple[int, object], asyncio.Future[object]] = {}

    async def _once(self, cache: dict[K, V], key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        """The cached answer, or one read shared by everyone asking for it meanwhile (a burst from a
        cold view would otherwise read the same row once per message). What a read returns is kept
        only if nothing changed while it ran; a change also stops later askers joining it."""
        known = cache.get(key)
        if known is not None:
            return known
        flight_key = (id(cache), key)
        pending = self._inflight.get(flight_key)
        if pending is not None:
            return cast("V | None", await asyncio.shield(pending))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._inflight[flight_key] = future
        generation = self._generation
        try:
            value = await load()
        except BaseException as exc:
            if self._inflight.get(flight_key) is future:
                del self._inflight[flight_key]
            if isinstance(exc, Exception):
                future.set_exception(exc)
                future.exception()  # those waiting get it; nobody else needs to be told
            else:
                future.cancel()
            raise
        if self._inflight.get(flight_key) is future:
            del self._inflight[flight_key]
        if value is not None and generation == self._generation:
            cache[key] = value
        future.set_result(value)
        return value

    async def cafe_of_channel(self, channel_id: int) -> CafeOfChannel | None:
        if channel_id in self._not_cafes:
            return None
        generation = self._generation
        cafe = await self._once(self._cafes, channel_id, lambda: self._read_cafe(channel_id))
        if cafe is None and generation == self._generation:
            self._not_cafes.add(channel_id)
        return cafe

    async def _read_cafe(self, channel_id: int) -> CafeOfChannel | None:
        session = await self.sessions.session_by_channel(channel_id)
        if session is None:
            return None
        room = await self.sessions.room_by_channel(channel_id)
        starts = await self.sessions.round_starts(session.id)
        return CafeOfChannel(session, room.id if room is not None and room.session_id == session.id else None,
                             tuple(at for _, at in starts), tuple(number for number, _ in starts))

    async def participant(self, discord_user_id: int) -> int | None:
        return await self._once(self._participants, discord_user_id,
                                lambda: self.people.participant_id(discord_user_id))

    async def pseudonym(self, session: Session, participant_id: int, discord_user_id: int) -> str:
        code = await self._once(
            self._pseudonyms, (session.guild_id, session.series, participant_id),
            lambda: self.people.pseudonym(session.guild_id, session.series, participant_id, discord_user_id,
                                          self.key))
        assert code is not None, "a pseudonym is always given"
        return code

    async def ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry]:
        entries = await self._once(self._ledgers, (session_id, participant_id),
                                   lambda: self.people.ledger(session_id, participant_id))
        return entries if entries is not None else []

    @property
    def generation(self) -> int:
        """Moves on with every change the view hears of."""
        return self._generation

    def cached_ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry] | None:
        """The ledger as the view holds it now (None: dropped since, read it again)."""
        return self._ledgers.get((session_id, participant_id))

    def consent_changed(self, session_id: int, participant_id: int) -> None:
        self._generation += 1
        self._inflight.clear()
        self._ledgers.pop((session_id, participant_id), None)

    def cafe_changed(self, session_id: int) -> None:
        self._generation += 1
        self._inflight.clear()
        self._not_cafes.clear()
        for channel_id in [c for c, cafe in self._cafes.items() if cafe.session.id == session_id]:
            del self._cafes[channel_id]

    def clear(self) -> None:
        self._generation += 1
        self._inflight.clear()
        self._cafes.clear()
        self._not_cafes.clear()
        self._participants.clear()
        self._pseudonyms.clear()
        self._ledgers.clear()
