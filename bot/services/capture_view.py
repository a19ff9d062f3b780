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

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.consent import LedgerEntry
from bot.core.models import Session
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo


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

    async def cafe_of_channel(self, channel_id: int) -> CafeOfChannel | None:
        known = self._cafes.get(channel_id)
        if known is not None or channel_id in self._not_cafes:
            return known
        generation = self._generation
        session = await self.sessions.session_by_channel(channel_id)
        if session is None:
            if generation == self._generation:
                self._not_cafes.add(channel_id)
            return None
        room = await self.sessions.room_by_channel(channel_id)
        starts = await self.sessions.round_starts(session.id)
        cafe = CafeOfChannel(session, room.id if room is not None and room.session_id == session.id else None,
                             tuple(at for _, at in starts), tuple(number for number, _ in starts))
        if generation == self._generation:
            self._cafes[channel_id] = cafe
        return cafe

    async def participant(self, discord_user_id: int) -> int | None:
        known = self._participants.get(discord_user_id)
        if known is not None:
            return known
        generation = self._generation
        person = await self.people.participant_id(discord_user_id)
        if person is not None and generation == self._generation:
            self._participants[discord_user_id] = person
        return person

    async def pseudonym(self, session: Session, participant_id: int, discord_user_id: int) -> str:
        key = (session.guild_id, session.series, participant_id)
        known = self._pseudonyms.get(key)
        if known is not None:
            return known
        generation = self._generation
        code = await self.people.pseudonym(session.guild_id, session.series, participant_id, discord_user_id,
                                           self.key)
        if generation == self._generation:
            self._pseudonyms[key] = code
        return code

    async def ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry]:
        key = (session_id, participant_id)
        known = self._ledgers.get(key)
        if known is not None:
            return known
        generation = self._generation
        entries = await self.people.ledger(session_id, participant_id)
        if generation == self._generation:
            self._ledgers[key] = entries
        return entries

    @property
    def generation(self) -> int:
        """Moves on with every change the view hears of."""
        return self._generation

    def cached_ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry] | None:
        """The ledger as the view holds it now (None: dropped since, read it again)."""
        return self._ledgers.get((session_id, participant_id))

    def consent_changed(self, session_id: int, participant_id: int) -> None:
        self._generation += 1
        self._ledgers.pop((session_id, participant_id), None)

    def cafe_changed(self, session_id: int) -> None:
        self._generation += 1
        self._not_cafes.clear()
        for channel_id in [c for c, cafe in self._cafes.items() if cafe.session.id == session_id]:
            del self._cafes[channel_id]

    def clear(self) -> None:
        self._generation += 1
        self._cafes.clear()
        self._not_cafes.clear()
        self._participants.clear()
        self._pseudonyms.clear()
        self._ledgers.clear()
