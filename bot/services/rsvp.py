"""Answering an invitation: I'll join, Can't come, the waitlist and its held places.

A café may have a capacity. Past it, a yes joins an ordered waitlist (the rule is
`bot/core/waitlist.py`); when a place frees, the first person waiting is offered it by DM (one
mention in the invitation's channel if their DMs are closed), and the place is held for them for
the café's hold time, or until the start if sooner. Telling them and ending the hold are durable
steps (`waitlist_offer`, `waitlist_hold`) stored with the offer itself, so a crash at any point
resumes: the place is never offered to two people, and nobody is offered it twice.

A latecomer to a running café is seated at once in the smallest room, capacity allowing. The
invitation is edited in place to show how many are coming and the places left, one edit per
burst of presses (`Debouncer`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.core import lifecycle
from bot.core.allocation import place_latecomer
from bot.core.errors import UserError
from bot.core.lifecycle import Action
from bot.core.models import Room, Session, Step
from bot.core.timeline import ACTIVE_STATES, FINAL_STATES
from bot.core.waitlist import DEFAULT_HOLD, Places, hold_until, join, offers_due
from bot.core.when import stamp
from bot.services.access import AccessService
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, place_offers
from bot.services.debounce import Debouncer
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.attendance import AttendanceRepo
from bot.store.steps import StepRepo
from bot.store.waitlist import HOLD_STEP, OFFER_STEP, Counts, WaitlistRepo, hold_of

log = logging.getLogger(__name__)

#: Presses within this much café time cost the invitation one edit.
EDIT_WINDOW = timedelta(seconds=1)


@dataclass(frozen=True)
class Rsvp:
    """The answer to I'll join: coming (and `seated` in a room now), or waiting at `position`."""

    session: Session
    seated: bool
    position: int | None = None

    @property
    def coming(self) -> bool:
        return self.position is None


@dataclass(frozen=True)
class CantCome:
    session: Session
    #: whether their answer freed a place (they were coming, or a place was held for them)
    freed: bool


class RsvpService:
    def __init__(self, cafes: Cafes, *, edit_window: timedelta = EDIT_WINDOW) -> None:
        self.cafes = cafes
        self.waitlist = WaitlistRepo(cafes.db)
        self.steps = StepRepo(cafes.db)
        self.invitations = Debouncer(cafes.clock, edit_window, self._show_counts)
        self.attendance = AttendanceRepo(cafes.db)
        self.access = AccessService(cafes)

    def register_steps(self, kinds: StepKinds) -> None:
        kinds.register(OFFER_STEP, self._tell_offer)
        kinds.register(HOLD_STEP, self._end_hold)

    # ---- I'll join -----------------------------------------------------------------------

    async def rsvp(self, session_id: int, discord_user_id: int, guild_id: int | None = None, *,
                   can_host: bool = False) -> Rsvp:
        """Say yes to a café. Coming: `seated` is whether the person has a room now (a second click
        re-grants access, in case the first grant failed half-way). Past capacity: their place on
        the waitlist (a second click tells it again). A person holding an offered place takes it.
        Someone who `can_host` (holds the facilitator or organiser role) and is coming offers to
        host a table; the opening chooses the hosts.

        Takes the café's lock: a yes that lands while the rooms are being made or people moved
        waits for that step, then seats the person in the rooms it left behind."""
        await self.cafes.require(session_id, guild_id)
        async with self.cafes.lock(session_id):
            answered = await self._rsvp(session_id, discord_user_id, can_host)
        self.invitations.poke(session_id)
        return answered

    async def _rsvp(self, session_id: int, discord_user_id: int, can_host: bool) -> Rsvp:
        cafes = self.cafes
        session = await cafes.refreshed(session_id)
        lifecycle.advance(session.state, Action.RSVP, cafe=session_id)
        person = await cafes.people.participant_id(discord_user_id)
        if person is not None and not await cafes.people.is_going(session_id, person):
            offered = await self.waitlist.offered_to(session_id, person)
            if offered is not None:
                if await self.waitlist.take(offered.row_id, person, cafes.clock.now()):
                    await cafes.timeline_changed(session_id)
                    return await self._seat(session, person, discord_user_id, can_host)
                raise UserError(f"The place held for you passed {stamp(offered.hold_until, 'R')} and is going to "
                                "the next person waiting. Press **I'll join** again in a minute to rejoin the "
                                "waitlist.")
            position = await self.waitlist.position(session_id, person)
            if position is not None:
                return Rsvp(session, False, position)
        if person is None or not await cafes.people.is_going(session_id, person):
            counts = await self.waitlist.counts(session_id)
            outcome = join(_places(session, counts))
            if not outcome.seated:
                person = await self.waitlist.wait(session_id, discord_user_id)
                return Rsvp(session, False, await self.waitlist.position(session_id, person))
            person, _ = await self.waitlist.answer(session_id, discord_user_id, going=True)
        return await self._seat(session, person, discord_user_id, can_host)

    async def _seat(self, session: Session, participant_id: int, discord_user_id: int, can_host: bool) -> Rsvp:
        """A person coming to a running café gets a room now: the smallest one."""
        cafes = self.cafes
        if can_host:
            await self.attendance.offer_to_host(session.id, participant_id)
        if session.state not in ACTIVE_STATES or session.current_round < 1:
            return Rsvp(session, False)
        current = await cafes.sessions.assignments(session.id, session.current_round)
        rooms = await cafes.sessions.rooms(session.id)
        if participant_id in current:
            seated = next(room for room in rooms if room.id == current[participant_id])
            await self._grant(session, seated, discord_user_id)
            return Rsvp(session, True)
        by_room = [[p for p, r in current.items() if r == room.id] for room in rooms]
        room = rooms[place_latecomer(by_room)]
        await cafes.sessions.assign(session.id, session.current_round, participant_id, room.id)
        await self._grant(session, room, discord_user_id)
        return Rsvp(session, True)

    async def _grant(self, session: Session, room: Room, discord_user_id: int) -> None:
        """The person's room and the lobby get their whole access again (one call each), now with them in."""
        await self.access.repo.mark_stale(session.id, rooms=[room.id], lobby=True)
        await self.access.apply(session.id)

    # ---- Can't come ----------------------------------------------------------------------

    async def cant_come(self, session_id: int, discord_user_id: int, guild_id: int | None = None) -> CantCome:
        """Record that the person can't come. A place they had (or had held for them) is freed and
        offered to the first person waiting. Audited as counts only: who said it is theirs alone."""
        await self.cafes.require(session_id, guild_id)
        async with self.cafes.lock(session_id):
            session = await self.cafes.refreshed(session_id)
            lifecycle.advance(session.state, Action.RSVP, cafe=session_id)
            _, before = await self.waitlist.answer(session_id, discord_user_id, going=False)
            freed = before.was_going or before.was_offered
            if freed:
                await self._refill(session)
            counts = await self.waitlist.counts(session_id)
            await self.cafes.audit.record(session.guild_id, session_id, None, "cant_come",
                                          f"coming={counts.going} cant_come={counts.not_going} "
                                          f"waiting={counts.waiting + counts.held}")
        self.invitations.poke(session_id)
        return CantCome(session, freed)

    # ---- Take my place -------------------------------------------------------------------

    async def take_place(self, session_id: int, discord_user_id: int) -> Rsvp:
        """The offered person takes the place held for them, while it is held."""
        session = await self.cafes.require(session_id)
        async with self.cafes.lock(session_id):
            session = await self.cafes.refreshed(session_id)
            lifecycle.advance(session.state, Action.RSVP, cafe=session_id)
            person = await self.cafes.people.participant_id(discord_user_id)
            if person is not None and await self.cafes.people.is_going(session_id, person):
                return await self._seat(session, person, discord_user_id, False)
            offered = await self.waitlist.offered_to(session_id, person) if person is not None else None
            if offered is None or person is None or not await self.waitlist.take(offered.row_id, person,
                                                                                  self.cafes.clock.now()):
                raise UserError(f"That place at café #{session_id} is no longer held for you: it passed to the "
                                "next person waiting. Press **I'll join** on the invitation to join the waitlist "
                                "again.")
            taken = await self._seat(session, person, discord_user_id, False)
            await self.cafes.timeline_changed(session_id)
        self.invitations.poke(session_id)
        return taken

    # ---- offering freed places -----------------------------------------------------------

    async def refill(self, session_id: int) -> None:
        """Offer any free places to the people waiting (after an erasure freed one, say)."""
        async with self.cafes.lock(session_id):
            await self._refill(await self.cafes.refreshed(session_id))
        self.invitations.poke(session_id)

    async def _refill(self, session: Session) -> None:
        """Under the café's lock. Idempotent: it offers only places free now to people waiting now,
        so running it again (a resumed step) offers nothing twice."""
        if session.state in FINAL_STATES:
            return
        counts = await self.waitlist.counts(session.id)
        due = offers_due(_places(session, counts))
        if due == 0:
            return
        ends_at = session.starts_at + timedelta(minutes=self.cafes.facts(session).plan.total_minutes)
        until = hold_until(self.cafes.clock.now(), session.starts_at, ends_at, hold_for(session))
        told = await self.waitlist.make_offers(session.id, await self.waitlist.first_waiting(session.id, due), until)
        for step_id in told:
            # Told at once rather than at the scheduler's next turn; the step record makes it
            # once-only, and one a crash interrupts is resumed on restart.
            step = await self.steps.claim(step_id)
            if step is None:
                continue
            try:
                skipped = await self._tell_offer(step)
            except Exception:
                log.exception("telling café #%s's waitlist of a place failed; the timer retries", session.id)
                await self.steps.release(step_id)
                continue
            await self.steps.finish(step_id, "skipped" if skipped else "done", skipped or "")
        await self.cafes.timeline_changed(session.id)

    async def _tell_offer(self, step: Step) -> str | None:
        """Tell the person of the place held for them: by DM, else one mention in the invitation's channel."""
        offered = await self.waitlist.offer(hold_of(step.payload))
        if offered is None:
            return "the wait ended before the offer was sent"
        if offered.sent:
            return "the offer was sent already"
        session = await self.cafes.refreshed(offered.session_id)
        words = {"session": session, "when": self.cafes.facts(session).stamp,
                 "until": stamp(offered.hold_until, "t"), "until_relative": stamp(offered.hold_until, "R")}
        if not await self.cafes.chat.dm(offered.discord_user_id, await message_async("place_offer", **words),
                                        offers=place_offers(session.id)):
            if session.announce_channel_id is None:
                return "their DMs are closed and the café has no invitation channel"
            mention = f"<@{offered.discord_user_id}>"
            await self.cafes.chat.post(session.announce_channel_id,
                                       await message_async("place_offer_mention", mention=mention, **words),
                                       offers=place_offers(session.id), ping_users=[offered.discord_user_id])
        await self.waitlist.mark_sent(offered.row_id)
        return None

    async def _end_hold(self, step: Step) -> str | None:
        """The hold is over: the place passes to the next person waiting. Resumed after a crash
        it passes it on if that had not happened yet, and offers nothing twice."""
        session_id = step.cafe()
        async with self.cafes.lock(session_id):
            lapsed = await self.waitlist.lapse(hold_of(step.payload), step.due_at)
            await self._refill(await self.cafes.refreshed(session_id))
        self.invitations.poke(session_id)
        return None if lapsed else "the place was taken or given up before the hold ended"

    async def cafe_closed(self, session: Session) -> None:
        """After the close: the waitlist goes (its steps were cancelled with the café's others)."""
        await self.waitlist.clear(session.id)

    # ---- the invitation ------------------------------------------------------------------

    async def invitation_text(self, session: Session) -> str:
        """The invitation as it stands: the café, then how many are coming and the places left."""
        facts = self.cafes.facts(session)
        counts = await self.waitlist.counts(session.id)
        return await message_async("announcement", session=session, plan=facts.plan, when=facts.stamp,
                                   minutes=facts.plan.total_minutes, counts=InvitationCounts.of(session, counts))

    async def _show_counts(self, session_id: int) -> None:
        """The debounced edit: one PATCH of the stored invitation, whatever restarts came between."""
        session = await self.cafes.sessions.get(session_id)
        if session is None or session.announce_channel_id is None or session.announce_message_id is None:
            return
        try:
            await self.cafes.chat.edit(session.announce_channel_id, session.announce_message_id,
                                       await self.invitation_text(session))
        except ChatError as exc:
            log.warning("could not update café #%s's invitation: %s", session_id, exc)

    async def latest_for(self, discord_user_id: int, guild_id: int) -> int | None:
        """The café a person most likely means: the newest one they said they'd join here."""
        person = await self.cafes.people.participant_id(discord_user_id)
        if person is None:
            return None
        return await self.cafes.sessions.latest_joined(person, guild_id)


@dataclass(frozen=True)
class InvitationCounts:
    """What the invitation shows: coming, places left (None: no limit), waiting (held places count)."""

    going: int
    places_left: int | None
    waiting: int

    @classmethod
    def of(cls, session: Session, counts: Counts) -> InvitationCounts:
        return cls(counts.going, _places(session, counts).places_left, counts.waiting + counts.held)


def _places(session: Session, counts: Counts) -> Places:
    return Places(session.capacity, counts.going, counts.held, counts.waiting)


def hold_for(session: Session) -> timedelta:
    """The café's own hold time, or the default."""
    return timedelta(minutes=session.hold_minutes) if session.hold_minutes else DEFAULT_HOLD

