"""Putting a café on the calendar: check a request, show it for confirmation, then create it,
invite, remind, list and cancel.

`/cafe schedule` never creates anything straight away: it makes a *draft* (every check done,
the time resolved to an instant) that the organiser confirms or changes. Drafts are kept in
memory, not in the store: they live for minutes (Discord lets an ephemeral reply be edited for
15), hold only the organiser's request, and a restart that forgets one loses nothing, since the
organiser is told to run the command again. Storing them would add a table whose rows are all
abandoned sooner or later.
"""

from __future__ import annotations

import asyncio
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
from bot.core.timeline import DEFAULT_REMINDERS, FINAL_STATES, plan_steps
from bot.core.when import WhenError, describe, parse_start, stamps
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, invitation_offers
from bot.services.messages import message_async
from bot.services.plans import PlanNotFound, load_plan

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

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.plan.total_minutes)


@dataclass(frozen=True)
class Scheduled:
    session: Session
    when: str


@dataclass(frozen=True)
class Listed:
    session: Session
    #: plain text in the server's zone (for places Discord shows no timestamps: autocomplete)
    when: str
    #: the start as Discord timestamps, shown in each reader's own zone
    stamp: str
    going: int


class SchedulingService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self._drafts: dict[str, Draft] = {}

    # ---- drafts: check, show, change, confirm ------------------------------------------------

    async def draft(self, config: GuildConfig, request: ScheduleRequest) -> Draft:
        """Every check, with the time resolved; nothing is written. Kept for Confirm/Change."""
        self._forget_expired()
        draft = await self._check(config, request, key=secrets.token_urlsafe(6))
        self._drafts[draft.key] = draft
        return draft

    async def redraft(self, config: GuildConfig, key: str, actor_id: int, when: str) -> Draft:
        """**Change**: the same request with another time, under the same key."""
        old = self._draft(key, actor_id, config.guild_id)
        draft = await self._check(config, replace(old.request, when=when), key=key)
        self._drafts[key] = draft
        return draft

    async def confirm(self, config: GuildConfig, key: str, actor_id: int) -> Scheduled:
        """**Confirm**: create the café the draft describes (an overlap shown in it counts as
        confirmed), then post the invitation where the command was run."""
        draft = self._draft(key, actor_id, config.guild_id)
        now = self.cafes.clock.now()
        if draft.starts_at <= now:
            self._drafts.pop(key, None)
            raise UserError(f"{describe(draft.starts_at, draft.timezone)} has passed while this waited. Run "
                            "`/cafe schedule` again with a later time.")
        await self._check_rooms(config.guild_id, draft.rooms)
        self._drafts.pop(key, None)
        scheduled = await self._create(draft, now)
        try:
            await self.publish(scheduled.session, draft.request.channel_id)
        except ChatError as exc:
            await self.cancel(scheduled.session.id, actor_id, config.guild_id, announce=False)
            raise UserError("I couldn't post the invitation in this channel, so the café was not scheduled. Give "
                            "Blether View Channel and Send Messages here, or schedule it from another channel."
                            ) from exc
        return scheduled

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

    async def _check(self, config: GuildConfig, request: ScheduleRequest, *, key: str) -> Draft:
        plan = await self._plan(request.plan_ref)
        now = self.cafes.clock.now()
        try:
            # dateparser is CPU work: off the event loop.
            starts_at = await asyncio.to_thread(parse_start, request.when, config.timezone, now)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        if starts_at - now > MAX_AHEAD:
            raise UserError(f"{describe(starts_at, config.timezone)} is more than a year ahead. Schedule cafés up to "
                            "a year in advance.")
        size = request.room_size if request.room_size is not None else plan.room_size
        if not 2 <= size <= MAX_ROOM_SIZE:
            raise UserError(f"Room size must be between 2 and {MAX_ROOM_SIZE} people (you gave {size}).")
        if request.capacity is not None and not 1 <= request.capacity <= MAX_CAPACITY:
            raise UserError(f"Capacity must be between 1 and {MAX_CAPACITY} people (you gave {request.capacity}).")
        label = (request.series or plan.id).strip()
        if not label or len(label) > 80:
            raise UserError("The series name must be 1 to 80 characters.")
        rooms = math.ceil(request.capacity / size) if request.capacity else 1
        if rooms + 1 > CATEGORY_CHANNELS:
            raise UserError(
                f"{request.capacity} people in rooms of {size} need {rooms} rooms and a lobby in one category, but "
                f"Discord allows {CATEGORY_CHANNELS} channels in a category. Use bigger rooms or a smaller capacity.")
        await self._check_rooms(config.guild_id, rooms)
        ends_at = starts_at + timedelta(minutes=plan.total_minutes)
        overlaps = tuple(s for s in await self.cafes.sessions.list_for_guild(config.guild_id)
                         if s.state not in FINAL_STATES and s.starts_at < ends_at
                         and starts_at < s.starts_at + timedelta(minutes=self.cafes.facts(s).plan.total_minutes))
        return Draft(key=key, request=request, plan=plan, series=label, room_size=size, starts_at=starts_at,
                     timezone=config.timezone, rooms=rooms, overlaps=overlaps, expires_at=now + DRAFT_LIFETIME)

    async def _check_rooms(self, guild_id: int, rooms: int) -> None:
        """A café opens a category, a lobby and its rooms; all must fit under Discord's 500."""
        existing = await self.cafes.chat.channel_count(guild_id)
        if existing + rooms + 2 > SERVER_CHANNELS:
            raise UserError(
                f"This server has {existing} channels; the café needs {rooms + 2} more (a category, a lobby and "
                f"{rooms} room(s)) and Discord allows {SERVER_CHANNELS} in a server. Delete some channels first.")

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
        """The session, its rounds and steps in one go."""
        plan, request = draft.plan, draft.request
        session_id = await self.cafes.sessions.create(
            guild_id=request.guild_id, series=draft.series, plan_id=plan.id, plan_title=plan.title,
            plan_snapshot=plan.to_snapshot(), starts_at=draft.starts_at, timezone=draft.timezone,
            room_size=draft.room_size, rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
            steps=plan_steps(draft.starts_at, [r.minutes for r in plan.rounds], now, request.reminders),
            actor_id=request.actor_id, capacity=request.capacity, reminders=request.reminders,
        )
        session = await self.cafes.refreshed(session_id)
        await self.cafes.timeline_changed(session_id)
        return Scheduled(session, self.cafes.facts(session).stamp)

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
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            state = lifecycle.advance(session.state, Action.CANCEL, cafe=session_id)
            await self.cafes.sessions.set_state(session_id, state)
            await self.cafes.audit.record(session.guild_id, session_id, actor_id, "cancel", "")
            if announce and session.announce_channel_id is not None:
                await self.cafes.chat.post(session.announce_channel_id,
                                           await message_async("cancelled", session=session))
            await self.cafes.timeline_changed(session_id)
            return await self.cafes.refreshed(session_id)

    async def list(self, guild_id: int) -> list[Listed]:
        sessions = await self.cafes.sessions.list_for_guild(guild_id)
        return [Listed(s, self.cafes.facts(s).when, self.cafes.facts(s).stamp, len(await self.cafes.people.going(s.id)))
                for s in sessions]


def overlap_names(sessions: Sequence[Session]) -> str:
    return ", ".join(f"#{s.id} {s.plan_title} ({stamps(s.starts_at)})" for s in sessions)
