"""An organiser's whole picture of one café (`/cafe show`): times, state, answers, waitlist,
consent, reminders and rooms, as numbers and positions.

Nobody is named: the waitlist shows positions (and whose place is held until when), consent
shows how many gave, declined or withdrew it, never who. Organisers need the shape of a café
to run it; who said no is nobody's business but theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.consent import LedgerEntry, state_at
from bot.core.models import Room, Session
from bot.core.timeline import ACTIVE_STATES, BEFORE, StepKind
from bot.services.cafes import Cafes
from bot.services.rsvp import InvitationCounts, hold_for
from bot.store.picture import consent_ledgers, room_sizes
from bot.store.steps import StepRepo
from bot.store.waitlist import Counts, Queued, WaitlistRepo


@dataclass(frozen=True)
class ConsentCounts:
    given: int
    declined: int
    withdrawn: int

    @classmethod
    def of(cls, ledgers: Sequence[Sequence[LedgerEntry]]) -> ConsentCounts:
        """Each person's standing now: recording on; withdrawn (and not back on); or declined."""
        states = [state_at(ledger) for ledger in ledgers]
        decided = [s for s in states if s.decided]
        given = sum(1 for s in decided if s.recording)
        withdrawn = sum(1 for s in decided if not s.recording and s.withdrawn)
        return cls(given, len(decided) - given - withdrawn, withdrawn)


@dataclass(frozen=True)
class Reminder:
    minutes_before: int
    due_at: datetime
    status: str


@dataclass(frozen=True)
class RoomLine:
    room: Room
    people: int


@dataclass(frozen=True)
class Picture:
    session: Session
    ends_at: datetime
    counts: Counts
    shown: InvitationCounts
    queue: list[Queued]
    hold: timedelta
    consent: ConsentCounts
    reminders: list[Reminder]
    rooms: list[RoomLine]


class OverviewService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.waitlist = WaitlistRepo(cafes.db)
        self.steps = StepRepo(cafes.db)

    async def picture(self, session_id: int, guild_id: int) -> Picture:
        session = await self.cafes.require(session_id, guild_id)
        counts = await self.waitlist.counts(session_id)
        reminders = [Reminder(_minutes(step.payload.get(BEFORE)), step.due_at, step.status)
                     for step in await self.steps.for_session(session_id) if step.kind == StepKind.REMINDER]
        rooms: list[RoomLine] = []
        if session.state in ACTIVE_STATES:
            sizes = await room_sizes(self.cafes.db, session_id, max(session.current_round, 1))
            rooms = [RoomLine(room, sizes.get(room.id, 0)) for room in await self.cafes.sessions.rooms(session_id)]
        return Picture(
            session=session,
            ends_at=session.starts_at + timedelta(minutes=self.cafes.facts(session).plan.total_minutes),
            counts=counts, shown=InvitationCounts.of(session, counts), queue=await self.waitlist.queue(session_id),
            hold=hold_for(session), consent=ConsentCounts.of(await consent_ledgers(self.cafes.db, session_id)),
            reminders=reminders, rooms=rooms,
        )


def _minutes(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
