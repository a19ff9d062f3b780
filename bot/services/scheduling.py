"""Putting a café on the calendar: check a request, show it for confirmation, then create it
(once, or as a repeating series), invite, list, reschedule and cancel.

`/cafe schedule` never creates anything straight away: it makes a *draft* (every check done,
the time resolved to an instant) that the organiser confirms or changes. Drafts are kept in
memory, not in the store: they live for minutes (Discord lets an ephemeral reply be edited for
15), hold only the organiser's request, and a restart that forgets one loses nothing, since the
organiser is told to run the command again. Storing them would add a table whose rows are all
abandoned sooner or later.

A series is checked whole before anything is stored (each occurrence for the past, the year
ahead, overlaps and Discord's channel limits) and stored whole in one transaction; a move
(`/cafe reschedule`) is a draft too, confirmed with the same buttons.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import lifecycle
from bot.core.errors import UserError
from bot.core.lifecycle import Action
from bot.core.models import GuildConfig, Session
from bot.core.plan import Plan, PlanError
from bot.core.series import Repeat, SeriesError, make_repeat, occurrences
from bot.core.timeline import DEFAULT_REMINDERS, FINAL_STATES, plan_steps
from bot.core.waitlist import MAX_HOLD_MINUTES, MIN_HOLD_MINUTES
from bot.core.when import WhenError, describe, parse_start, parse_until, stamps
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, invitation_offers
from bot.services.events import EventMirror
from bot.services.messages import message_async
from bot.services.plans import PlanNotFound, load_plan
from bot.store.sessions import NewSession

log = logging.getLogger(__name__)

MAX_ROOM_SIZE = 25
#: A start further ahead than this is refused: plans and people change; schedule it nearer the time.
MAX_AHEAD = timedelta(days=366)
#: How long a draft waits for Confirm: an ephemeral reply's buttons work for Discord's 15 minutes.
DRAFT_LIFETIME = timedelta(minutes=15)
#: Discord's limits: channels in one category, channels in one server (categories included).
CATEGORY_CHANNELS = 50
SERVER_CHANNELS = 500
#: Largest capacity accepted at all (49 rooms of 25); the room check gives the exact reason.
MAX_CAPACITY = (CATEGORY_CHANNELS - 1) * MAX_ROOM_SIZE
# From chat only plan ids are accepted, never paths on the bot's host.
_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class ScheduleRequest:
    """What the organiser asked for, as typed (the time is resolved into the draft)."""

    guild_id: int
    actor_id: int
    channel_id: int
    plan_ref: str
    when: str
    series: str | None = None
    room_size: int | None = None
    capacity: int | None = None
    reminders: tuple[int, ...] = DEFAULT_REMINDERS
    #: how long a freed place is held for the next person waiting, in minutes (None: the default)
    hold_minutes: int | None = None
    #: weekly, fortnightly or days (every `every_days` days); None: one café
    repeat: str | None = None
    every_days: int | None = None
    count: int | None = None
    #: the last day of the series, as typed
    until: str | None = None


@dataclass(frozen=True)
class Draft:
    """A checked request waiting for Confirm: `key` is what the buttons carry."""

    key: str
    request: ScheduleRequest
    plan: Plan
    series: str
    room_size: int
    starts_at: datetime
    timezone: str
    rooms: int
    overlaps: tuple[Session, ...]
    expires_at: datetime
    #: every start, the first included (one for a single café)
    starts: tuple[datetime, ...] = ()
    repeat: Repeat | None = None
    #: the café a move (`/cafe reschedule`) is for; None for a new café
    move_of: Session | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.plan.total_minutes)


@dataclass(frozen=True)
class Scheduled:
    session: Session
    when: str
    #: every café made (a series: all of them, in order; else just `session`)
    sessions: tuple[Session, ...] = ()
    #: a move of an existing café (`/cafe reschedule`), not a new one
    moved: bool = False
    #: for a move: whether its invitation could be edited to the new time
    invitation_edited: bool = True


@dataclass(frozen=True)
class Listed:
    session: Session
    #: plain text in the server's zone (for places Discord shows no timestamps: autocomplete)
    when: str
    #: the start as Discord timestamps, shown in each reader's own zone
    stamp: str
    going: int


@dataclass(frozen=True)
class ListedGroup:
    """Cafés shown together: a series' occurrences, or one café on its own."""

    title: str
    items: tuple[Listed, ...]

    @property
    def is_series(self) -> bool:
        return len(self.items) > 1 or (bool(self.items) and self.items[0].session.repeat_of is not None)



class SchedulingService:
    def __init__(self, cafes: Cafes, events: EventMirror | None = None) -> None:
        self.cafes = cafes
        #: the cafés' mirror on Discord's events list (None: not mirrored, e.g. in service tests)
        self.events = events
        self._drafts: dict[str, Draft] = {}

    # ---- drafts: check, show, change, confirm ------------------------------------------------

    async def draft(self, config: GuildConfig, request: ScheduleRequest) -> Draft:
        """Every check, with the time resolved; nothing is written. Kept for Confirm/Change."""
        self._forget_expired()
        draft = await self._check(config, request, key=secrets.token_urlsafe(6))
        self._drafts[draft.key] = draft
        return draft

    async def draft_move(self, config: GuildConfig, session_id: int, actor_id: int, channel_id: int,
                         when: str) -> Draft:
        """`/cafe reschedule`: the café at another time, checked and shown; nothing moves until Confirm."""
        self._forget_expired()
        session = await self.cafes.require(session_id, config.guild_id)
        request = ScheduleRequest(config.guild_id, actor_id, channel_id, session.plan_id, when, session.series,
                                  session.room_size, session.capacity, session.reminders)
        draft = await self._check_move(config, session, request, key=secrets.token_urlsafe(6))
        self._drafts[draft.key] = draft
        return draft

    async def redraft(self, config: GuildConfig, key: str, actor_id: int, when: str) -> Draft:
        """**Change**: the same request with another time, under the same key."""
        old = self._draft(key, actor_id, config.guild_id)
        request = replace(old.request, when=when)
        if old.move_of is not None:
            session = await self.cafes.require(old.move_of.id, config.guild_id)
            draft = await self._check_move(config, session, request, key=key)
        else:
            draft = await self._check(config, request, key=key)
        self._drafts[key] = draft
        return draft

    async def confirm(self, config: GuildConfig, key: str, actor_id: int) -> Scheduled:
        """**Confirm**: create the café(s) the draft describes (an overlap shown in it counts as
        confirmed), then post each invitation where the command was run; or, for a move, move it."""
        draft = self._draft(key, actor_id, config.guild_id)
        now = self.cafes.clock.now()
        if draft.starts_at <= now:
            self._drafts.pop(key, None)
            again = "`/cafe reschedule`" if draft.move_of is not None else "`/cafe schedule`"
            raise UserError(f"{describe(draft.starts_at, draft.timezone)} has passed while this waited. Run "
                            f"{again} again with a later time.")
        if draft.move_of is not None:
            self._drafts.pop(key, None)
            return await self._move(draft.move_of.id, draft, actor_id)
        await self._check_rooms(config.guild_id, draft.rooms, len(draft.starts), draft.starts, draft.timezone)
        self._drafts.pop(key, None)
        scheduled = await self._create(draft, now)
        published: list[Session] = []
        try:
            for session in scheduled.sessions:
                await self.publish(session, draft.request.channel_id)
                published.append(session)
        except ChatError as exc:
            await self._cancel(scheduled.sessions, actor_id)
            raise UserError("I couldn't post the invitation in this channel, so the café was not scheduled. Give "
                            "Blether View Channel and Send Messages here, or schedule it from another channel."
                            ) from exc
        made = tuple([await self.cafes.refreshed(s.id) for s in published])
        if self.events is not None:
            await self.events.created(made)
        return replace(scheduled, session=made[0], sessions=made)

    def pending(self, key: str, actor_id: int, guild_id: int) -> Draft:
        """The draft a button names, if it is still waiting and this organiser's."""
        return self._draft(key, actor_id, guild_id)

    def discard(self, key: str) -> None:
        self._drafts.pop(key, None)

    def _draft(self, key: str, actor_id: int, guild_id: int) -> Draft:
        self._forget_expired()
        draft = self._drafts.get(key)
        if draft is None or draft.request.guild_id != guild_id:
            raise UserError("This schedule request has expired (they last 15 minutes, and not across a restart of "
                            "the bot). Run `/cafe schedule` again.")
        if draft.request.actor_id != actor_id:
            raise UserError("Only the organiser who asked for this café can confirm or change it.")
        return draft

    def _forget_expired(self) -> None:
        now = self.cafes.clock.now()
        for key in [k for k, d in self._drafts.items() if d.expires_at <= now]:
            del self._drafts[key]

    async def _start(self, config: GuildConfig, when: str, now: datetime) -> datetime:
        try:
            # dateparser is CPU work: off the event loop.
            starts_at = await asyncio.to_thread(parse_start, when, config.timezone, now)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        if starts_at - now > MAX_AHEAD:
            raise UserError(f"{describe(starts_at, config.timezone)} is more than a year ahead. Schedule cafés up to "
                            "a year in advance.")
        return starts_at

    async def _series(self, config: GuildConfig, request: ScheduleRequest, starts_at: datetime,
                      now: datetime) -> tuple[tuple[datetime, ...], Repeat | None]:
        """Every start of the request: one, or a series checked occurrence by occurrence."""
        if request.repeat is None:
            if request.count is not None or request.until is not None or request.every_days is not None:
                raise UserError("`count`, `until` and `every_days` go with `repeat`: choose weekly, fortnightly or "
                                "every N days too, or leave them out for one café.")
            return (starts_at,), None
        until = None
        if request.until is not None:
            try:
                until = await asyncio.to_thread(parse_until, request.until, config.timezone, now)
            except WhenError as exc:
                raise UserError(f"`until`: {exc}") from exc
        try:
            repeat = make_repeat(request.repeat, every_days=request.every_days, count=request.count, until=until)
            return tuple(occurrences(starts_at, config.timezone, repeat, latest=now + MAX_AHEAD)), repeat
        except SeriesError as exc:
            raise UserError(str(exc)) from exc

    async def _check(self, config: GuildConfig, request: ScheduleRequest, *, key: str) -> Draft:
        plan = await self._plan(request.plan_ref)
        now = self.cafes.clock.now()
        starts_at = await self._start(config, request.when, now)
        starts, repeat = await self._series(config, request, starts_at, now)
        size = request.room_size if request.room_size is not None else plan.room_size
        if not 2 <= size <= MAX_ROOM_SIZE:
            raise UserError(f"Room size must be between 2 and {MAX_ROOM_SIZE} people (you gave {size}).")
        if request.capacity is not None and not 1 <= request.capacity <= MAX_CAPACITY:
            raise UserError(f"Capacity must be between 1 and {MAX_CAPACITY} people (you gave {request.capacity}).")
        if request.hold_minutes is not None and not MIN_HOLD_MINUTES <= request.hold_minutes <= MAX_HOLD_MINUTES:
            raise UserError(f"A held place must be held for {MIN_HOLD_MINUTES} to {MAX_HOLD_MINUTES} minutes (you "
                            f"gave {request.hold_minutes}).")
        label = (request.series or plan.id).strip()
        if not label or len(label) > 80:
            raise UserError("The series name must be 1 to 80 characters.")
        rooms = math.ceil(request.capacity / size) if request.capacity else 1
        if rooms + 1 > CATEGORY_CHANNELS:
            raise UserError(
                f"{request.capacity} people in rooms of {size} need {rooms} rooms and a lobby in one category, but "
                f"Discord allows {CATEGORY_CHANNELS} channels in a category. Use bigger rooms or a smaller capacity.")
        await self._check_rooms(config.guild_id, rooms, len(starts), starts, config.timezone)
        overlaps = await self._overlaps(config.guild_id, starts, plan.total_minutes, excluding=None)
        return Draft(key=key, request=request, plan=plan, series=label, room_size=size, starts_at=starts[0],
                     timezone=config.timezone, rooms=rooms, overlaps=overlaps, expires_at=now + DRAFT_LIFETIME,
                     starts=starts, repeat=repeat)

    async def _check_move(self, config: GuildConfig, session: Session, request: ScheduleRequest, *,
                          key: str) -> Draft:
        lifecycle.advance(session.state, Action.RESCHEDULE, cafe=session.id)
        plan = self.cafes.facts(session).plan
        now = self.cafes.clock.now()
        starts_at = await self._start(config, request.when, now)
        overlaps = await self._overlaps(config.guild_id, (starts_at,), plan.total_minutes, excluding=session.id)
        return Draft(key=key, request=request, plan=plan, series=session.series, room_size=session.room_size,
                     starts_at=starts_at, timezone=config.timezone, rooms=0, overlaps=overlaps,
                     expires_at=now + DRAFT_LIFETIME, starts=(starts_at,), move_of=session)

    async def _overlaps(self, guild_id: int, starts: Sequence[datetime], minutes: int,
                        excluding: int | None) -> tuple[Session, ...]:
        """This server's live cafés that any of `starts` would overlap."""
        length = timedelta(minutes=minutes)
        found: list[Session] = []
        for other in await self.cafes.sessions.list_for_guild(guild_id):
            if other.state in FINAL_STATES or other.id == excluding:
                continue
            other_end = other.starts_at + timedelta(minutes=self.cafes.facts(other).plan.total_minutes)
            if any(other.starts_at < start + length and start < other_end for start in starts):
                found.append(other)
        return tuple(found)

    async def _check_rooms(self, guild_id: int, rooms: int, cafes: int = 1, starts: Sequence[datetime] = (),
                           timezone: str = "UTC") -> None:
        """A café opens a category, a lobby and its rooms; all must fit under Discord's 500. The
        channels of a series' earlier cafés stay (locked, readable), so each occurrence counts them."""
        existing = await self.cafes.chat.channel_count(guild_id)
        per_cafe = rooms + 2
        for number in range(1, cafes + 1):
            if existing + number * per_cafe <= SERVER_CHANNELS:
                continue
            if cafes == 1:
                raise UserError(
                    f"This server has {existing} channels; the café needs {per_cafe} more (a category, a lobby and "
                    f"{rooms} room(s)) and Discord allows {SERVER_CHANNELS} in a server. Delete some channels first.")
            when = f", {describe(starts[number - 1], timezone)}," if len(starts) >= number else ""
            raise UserError(
                f"Café {number} of the series{when} would not fit: this server has {existing} channels, each café "
                f"adds {per_cafe} (a category, a lobby and {rooms} room(s)) and keeps them afterwards, and Discord "
                f"allows {SERVER_CHANNELS} in a server. Choose a smaller `count`, or delete some channels first.")

    async def _plan(self, plan_ref: str) -> Plan:
        if not _PLAN_ID.fullmatch(plan_ref.strip()):
            raise UserError(f"{plan_ref[:40]!r} is not a plan name. Pick one from the list, e.g. "
                            "`whats-next-for-recovery`.")
        try:
            # The café runs at the plan's pace: its snapshot and steps carry the paced minutes.
            return (await load_plan(plan_ref.strip(), self.cafes.plans_dir)).paced()
        except PlanNotFound as exc:
            raise UserError(str(exc)) from exc
        except PlanError as exc:
            raise UserError(f"The plan {plan_ref!r} has problems; an organiser can fix them in its plan.yaml "
                            f"(check with `blether plans check`):\n{exc}") from exc

    async def _create(self, draft: Draft, now: datetime) -> Scheduled:
        """Every session of the draft, each with its rounds and steps, in one transaction."""
        plan, request = draft.plan, draft.request
        spec = NewSession(
            guild_id=request.guild_id, series=draft.series, plan_id=plan.id, plan_title=plan.title,
            plan_snapshot=plan.to_snapshot(), timezone=draft.timezone, room_size=draft.room_size,
            rounds=tuple((r.id, r.title, r.minutes, r.rotate) for r in plan.rounds), actor_id=request.actor_id,
            capacity=request.capacity, reminders=tuple(request.reminders),
            hold_minutes=request.hold_minutes)
        minutes = [r.minutes for r in plan.rounds]
        starts = draft.starts or (draft.starts_at,)
        ids = await self.cafes.sessions.create_run(
            spec, [(start, plan_steps(start, minutes, now, request.reminders)) for start in starts],
            repeat=draft.repeat is not None)
        for session_id in ids:
            await self.cafes.timeline_changed(session_id)
        sessions = tuple([await self.cafes.refreshed(i) for i in ids])
        return Scheduled(sessions[0], self.cafes.facts(sessions[0]).stamp, sessions)

    async def _move(self, session_id: int, draft: Draft, actor_id: int) -> Scheduled:
        """Move a café that hasn't opened: its start, its steps (durably), its invitation, its event."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, draft.request.guild_id)
            lifecycle.advance(session.state, Action.RESCHEDULE, cafe=session_id)
            plan = self.cafes.facts(session).plan
            now = self.cafes.clock.now()
            steps = plan_steps(draft.starts_at, [r.minutes for r in plan.rounds], now, session.reminders)
            await self.cafes.sessions.reschedule(session_id, draft.starts_at, steps, actor_id)
            await self.cafes.timeline_changed(session_id)
            moved = await self.cafes.refreshed(session_id)
        edited = True
        if moved.announce_channel_id is not None and moved.announce_message_id is not None:
            try:
                await self.cafes.chat.edit(moved.announce_channel_id, moved.announce_message_id,
                                           await self.announcement(moved), offers=invitation_offers(moved.id))
            except ChatError:
                log.warning("café #%s moved, but its invitation could not be edited", session_id)
                edited = False
        if self.events is not None:
            await self.events.moved(moved)
        return Scheduled(moved, self.cafes.facts(moved).stamp, (moved,), moved=True, invitation_edited=edited)

    # ---- without a draft (service callers and tests) -----------------------------------------

    async def schedule(
        self, config: GuildConfig, actor_id: int, *, plan_ref: str, when: str, series: str | None = None,
        room_size: int | None = None, capacity: int | None = None, reminders: Sequence[int] = DEFAULT_REMINDERS,
        allow_overlap: bool = False,
    ) -> Scheduled:
        """Check everything, then create at once (no invitation): the path without buttons. An
        overlap is refused unless `allow_overlap` says the caller confirmed it."""
        request = ScheduleRequest(config.guild_id, actor_id, 0, plan_ref, when, series, room_size, capacity,
                                  tuple(reminders))
        draft = await self._check(config, request, key="")
        if draft.overlaps and not allow_overlap:
            raise UserError(f"This café would overlap café(s) {overlap_names(draft.overlaps)} on this server.")
        return await self._create(draft, self.cafes.clock.now())

    # ---- the invitation, cancelling, listing --------------------------------------------------

    async def announcement(self, session: Session) -> str:
        facts = self.cafes.facts(session)
        return await message_async("announcement", session=session, plan=facts.plan, when=facts.stamp,
                                   minutes=facts.plan.total_minutes)

    async def publish(self, session: Session, channel_id: int) -> int:
        """Post the invitation with what people can press, where the organiser scheduled it."""
        message_id = await self.cafes.chat.post(channel_id, await self.announcement(session),
                                                offers=invitation_offers(session.id))
        await self.cafes.sessions.set_announcement(session.id, channel_id, message_id)
        return message_id

    async def cancel(self, session_id: int, actor_id: int, guild_id: int, *, announce: bool = True) -> Session:
        """Call off one café (one occurrence of a series: the others stay)."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.CANCEL, cafe=session_id)
            await self._cancel([session], actor_id)
        if announce and session.announce_channel_id is not None:
            await self.cafes.chat.post(session.announce_channel_id, await message_async("cancelled", session=session))
        return await self.cafes.refreshed(session_id)

    async def cancel_rest(self, session_id: int, actor_id: int, guild_id: int) -> list[Session]:
        """Call off this café and every later one of its series that hasn't opened, together."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.CANCEL, cafe=session_id)
            run = [s for s in await self.cafes.sessions.run_from(session)
                   if lifecycle.allowed(s.state, Action.CANCEL)]
            await self._cancel(run, actor_id)
        if session.announce_channel_id is not None:
            text = await message_async("cancelled", session=session) if len(run) == 1 else (
                f"The rest of the series **{session.plan_title}** is cancelled: {len(run)} cafés, from "
                f"{stamps(run[0].starts_at)} to {stamps(run[-1].starts_at)}. Nothing was recorded. Sorry for any "
                "disappointment.")
            await self.cafes.chat.post(session.announce_channel_id, text)
        return [await self.cafes.refreshed(s.id) for s in run]

    async def _cancel(self, sessions: Sequence[Session], actor_id: int) -> None:
        ids = [s.id for s in sessions]
        await self.cafes.sessions.cancel_all(ids)
        for session in sessions:
            await self.cafes.audit.record(session.guild_id, session.id, actor_id, "cancel", "")
            await self.cafes.timeline_changed(session.id)
        if self.events is not None:
            await self.events.cancelled(sessions)

    async def list(self, guild_id: int) -> list[Listed]:
        sessions = await self.cafes.sessions.list_for_guild(guild_id)
        return [Listed(s, self.cafes.facts(s).when, self.cafes.facts(s).stamp, len(await self.cafes.people.going(s.id)))
                for s in sessions]

    async def list_grouped(self, guild_id: int) -> Sequence[ListedGroup]:
        """The cafés with a series' occurrences together, in the order of each group's first start."""
        groups: dict[int, list[Listed]] = {}
        for item in await self.list(guild_id):
            groups.setdefault(item.session.repeat_of or -item.session.id, []).append(item)
        return [ListedGroup(items[0].session.plan_title, tuple(items)) for items in groups.values()]


def overlap_names(sessions: Sequence[Session]) -> str:
    return ", ".join(f"#{s.id} {s.plan_title} ({stamps(s.starts_at)})" for s in sessions)
