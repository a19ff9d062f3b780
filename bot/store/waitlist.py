"""A café's waitlist and the answers around it: who waits, in what order, whose place is held.

Each change that times something (an offer to send, a hold to end) stores its step in the same
transaction, so a crash can never leave a held place without the step that passes it on, nor a
step without its place. Rows leave when their wait ends: nothing is kept of a wait that is over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.core.timeline import Misfire, PlannedStep
from bot.store.db import Tx, db_time
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows
from bot.store.steps import insert_one, payload_text

#: The step that tells an offered person (due at once) and the step that ends their hold.
OFFER_STEP = "waitlist_offer"
HOLD_STEP = "waitlist_hold"
#: A waitlist step's payload key: the waitlist row it is about (an id, never a person's).
HOLD = "hold"


def hold_payload(row_id: int) -> dict[str, object]:
    return {HOLD: row_id}


def hold_of(payload: Mapping[str, object]) -> int:
    row = payload.get(HOLD)
    if isinstance(row, bool) or not isinstance(row, int):
        raise ValueError(f"a waitlist step needs a waitlist row in its payload, not {row!r}")
    return row


@dataclass(frozen=True)
class Counts:
    """A café's answers as numbers: coming, can't come, places held, people waiting."""

    going: int
    not_going: int
    held: int
    waiting: int


@dataclass(frozen=True)
class Offered:
    """One offered place: whose, for which café, until when, and whether they have been told."""

    row_id: int
    session_id: int
    participant_id: int
    discord_user_id: int
    hold_until: datetime
    sent: bool


@dataclass(frozen=True)
class Answer:
    """What a person's answer was before they changed it."""

    was_going: bool
    was_waiting: bool
    was_offered: bool


@dataclass(frozen=True)
class Queued:
    """A place on the waitlist as organisers see it: position and state, never a name."""

    position: int
    offered_until: datetime | None


class WaitlistRepo(PersonalData):
    """The waitlist is the person's own row (their wait in a café); the RSVP answers live in
    `rsvps` (PeopleRepo), which this repository writes only inside its own transactions."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"waitlist": ("participant_id",)}

    # ---- reading -------------------------------------------------------------------------

    async def counts(self, session_id: int) -> Counts:
        row = await self.db.fetch_one(
            """
            SELECT (SELECT COUNT(*) FROM rsvps WHERE session_id = $1 AND status = 'going'),
                   (SELECT COUNT(*) FROM rsvps WHERE session_id = $1 AND status = 'not_going'),
                   (SELECT COUNT(*) FROM waitlist WHERE session_id = $1 AND status = 'offered'),
                   (SELECT COUNT(*) FROM waitlist WHERE session_id = $1 AND status = 'waiting')
            """, (session_id,))
        assert row is not None
        return Counts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def position(self, session_id: int, participant_id: int) -> int | None:
        """1 for the next person to be offered a place; None if the person is not waiting."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM waitlist w JOIN waitlist mine ON mine.session_id = w.session_id "
            "WHERE mine.session_id = $1 AND mine.participant_id = $2 AND mine.status = 'waiting' "
            "AND w.status = 'waiting' AND w.id <= mine.id", (session_id, participant_id))
        return int(row[0]) if row is not None and int(row[0]) > 0 else None

    async def offered_to(self, session_id: int, participant_id: int) -> Offered | None:
        row = await self.db.fetch_one(
            "SELECT w.id FROM waitlist w WHERE w.session_id = $1 AND w.participant_id = $2 AND w.status = 'offered'",
            (session_id, participant_id))
        return await self.offer(int(row[0])) if row is not None else None

    async def offer(self, row_id: int) -> Offered | None:
        """An offered place by its row; None once its wait has ended (taken, lapsed, left, erased)."""
        row = await self.db.fetch_one(
            "SELECT w.id, w.session_id, w.participant_id, p.discord_user_id, w.hold_until, w.offer_sent "
            "FROM waitlist w JOIN participants p ON p.id = w.participant_id WHERE w.id = $1 AND w.status = 'offered'",
            (row_id,))
        if row is None:
            return None
        return Offered(int(row[0]), int(row[1]), int(row[2]), int(row[3]), db_time(row[4]), bool(row[5]))

    async def queue(self, session_id: int) -> list[Queued]:
        """Offered places first (they are ahead of everyone waiting), then the queue in order."""
        rows = await self.db.fetch_all(
            "SELECT status, hold_until FROM waitlist WHERE session_id = $1 "
            "ORDER BY CASE status WHEN 'offered' THEN 0 ELSE 1 END, id", (session_id,))
        queued: list[Queued] = []
        for number, row in enumerate(rows, start=1):
            queued.append(Queued(number, db_time(row[1]) if row[0] == "offered" else None))
        return queued

    async def first_waiting(self, session_id: int, count: int) -> list[int]:
        """The row ids of the first `count` people waiting, in order."""
        rows = await self.db.fetch_all(
            "SELECT id FROM waitlist WHERE session_id = $1 AND status = 'waiting' ORDER BY id LIMIT $2",
            (session_id, count))
        return [int(r[0]) for r in rows]

    # ---- changing ------------------------------------------------------------------------

    async def wait(self, session_id: int, discord_user_id: int) -> int:
        """Put the person at the end of the queue (a second ask keeps their place); an earlier
        "can't come" is replaced. Returns their participant id."""
        async with self.db.transaction() as tx:
            person = await PeopleRepo(self.db).ensure_participant(tx, discord_user_id)
            await tx.execute(
                "DELETE FROM rsvps WHERE session_id = $1 AND participant_id = $2 AND status = 'not_going'",
                (session_id, person))
            await tx.execute(
                "INSERT INTO waitlist (session_id, participant_id, joined_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (session_id, participant_id) DO NOTHING",
                (session_id, person, self.db.now()))
        return person

    async def make_offers(self, session_id: int, row_ids: Sequence[int], hold_until: datetime) -> list[int]:
        """Hold a place for each of these people until `hold_until`, with the step that tells
        them (due now) and the step that passes the place on; returns the telling steps' ids.
        A row no longer waiting is left alone (no place is ever offered twice)."""
        now = self.db.clock.now()
        told: list[int] = []
        async with self.db.transaction() as tx:
            for row_id in row_ids:
                changed = await tx.execute(
                    "UPDATE waitlist SET status = 'offered', hold_until = $1, offer_sent = 0 "
                    "WHERE id = $2 AND session_id = $3 AND status = 'waiting'",
                    (hold_until, row_id, session_id))
                if changed != 1:
                    continue
                payload = hold_payload(row_id)
                told.append(await insert_one(tx, session_id,
                                             PlannedStep(OFFER_STEP, now, Misfire.RUN_IF_RUNNING, payload)))
                await insert_one(tx, session_id, PlannedStep(HOLD_STEP, hold_until, Misfire.RUN_IF_RUNNING, payload))
        return told

    async def mark_sent(self, row_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE waitlist SET offer_sent = 1 WHERE id = $1", (row_id,))

    async def take(self, row_id: int, participant_id: int, now: datetime) -> bool:
        """The offered person takes their place while it is still held: they are coming, and the
        step that would pass it on is cancelled. False when the hold has ended or is someone else's."""
        async with self.db.transaction() as tx:
            held = await tx.fetch_one(
                "SELECT session_id, hold_until FROM waitlist WHERE id = $1 AND participant_id = $2 "
                "AND status = 'offered'", (row_id, participant_id))
            if held is None or db_time(held[1]) <= now:
                return False
            await tx.execute("DELETE FROM waitlist WHERE id = $1", (row_id,))
            await _cancel_steps(tx, row_id, self.db.now())
            await _answer(tx, int(held[0]), participant_id, "going", self.db.now())
        return True

    async def lapse(self, row_id: int, due_at: datetime) -> bool:
        """The hold that ends at `due_at` is over: the row goes (the person may ask again, at the
        end of the queue). False if the place was taken or left already."""
        async with self.db.transaction() as tx:
            gone = await tx.execute("DELETE FROM waitlist WHERE id = $1 AND status = 'offered' AND hold_until = $2",
                                    (row_id, due_at))
            if gone == 1:
                await _cancel_steps(tx, row_id, self.db.now())
            return gone == 1

    async def answer(self, session_id: int, discord_user_id: int, *, going: bool) -> tuple[int, Answer]:
        """Record a yes or a "can't come" and leave the waitlist; says what the answer was before."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            person = await PeopleRepo(self.db).ensure_participant(tx, discord_user_id)
            said = await tx.fetch_one("SELECT status FROM rsvps WHERE session_id = $1 AND participant_id = $2",
                                      (session_id, person))
            waiting = await tx.fetch_one(
                "SELECT id, status FROM waitlist WHERE session_id = $1 AND participant_id = $2", (session_id, person))
            if waiting is not None:
                await tx.execute("DELETE FROM waitlist WHERE id = $1", (int(waiting[0]),))
                await _cancel_steps(tx, int(waiting[0]), now)
            await _answer(tx, session_id, person, "going" if going else "not_going", now)
        before = Answer(was_going=said is not None and said[0] == "going",
                        was_waiting=waiting is not None and waiting[1] == "waiting",
                        was_offered=waiting is not None and waiting[1] == "offered")
        return person, before

    async def clear(self, session_id: int) -> int:
        """A café that has ended keeps no waitlist: nobody can take a place in it any more."""
        async with self.db.transaction() as tx:
            return await tx.execute("DELETE FROM waitlist WHERE session_id = $1", (session_id,))

    # ---- the personal-data contract ---------------------------------------------------------

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their waits go; a place held for them is then free (the café's next change offers it on)."""
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        gone = await tx.execute(f"DELETE FROM waitlist WHERE participant_id = $1 AND {in_scope}",
                                (person.participant_id, *params))
        return {"waitlist": gone}

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        rows = await self.db.fetch_all(
            f"SELECT session_id, status, joined_at, hold_until FROM waitlist WHERE participant_id = $1 AND {in_scope} "
            "ORDER BY session_id", (person.participant_id, *params))
        return {"waitlist": [dict(r) for r in rows]}

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all("SELECT session_id FROM waitlist WHERE participant_id = $1",
                                  (person.participant_id,))
        return {int(r[0]) for r in rows}


async def _answer(tx: Tx, session_id: int, participant_id: int, status: str, now: datetime) -> None:
    await tx.execute(
        "INSERT INTO rsvps (session_id, participant_id, status, responded_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (session_id, participant_id) DO UPDATE SET status = excluded.status, "
        "responded_at = excluded.responded_at",
        (session_id, participant_id, status, now))


async def _cancel_steps(tx: Tx, row_id: int, now: datetime) -> None:
    """A wait that ended takes its pending steps with it (a step already running finds no row)."""
    await tx.execute(
        "UPDATE scheduled_steps SET status = 'cancelled', finished_at = $1, note = 'the wait ended' "
        "WHERE kind IN ($2, $3) AND payload = $4 AND status = 'pending'",
        (now, OFFER_STEP, HOLD_STEP, payload_text(hold_payload(row_id))))
