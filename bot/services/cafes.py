"""The café's life: schedule → open rooms → rounds → close.

Every step reads the session from the store first and acts only if the state allows it, so a
repeated click, a late scheduler job or a restart can never post a round twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.allocation import allocate, place_latecomer, room_count, rotate
from bot.core.clock import Clock, to_iso
from bot.core.errors import UserError
from bot.core.models import GuildConfig, Room, Session, Step
from bot.core.plan import Plan, PlanError, render, template_context
from bot.core.timeline import ACTIVE_STATES, FINAL_STATES, SessionState, StepKind, plan_steps, round_of, round_steps
from bot.core.when import WhenError, describe, parse_start
from bot.services.chat import Button, ButtonStyle, Chat
from bot.services.messages import message
from bot.services.plans import DEFAULT_PLANS_DIR, PlanNotFound, load_plan
from bot.services.steps import StepKinds
from bot.store.audit import AuditRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

log = logging.getLogger(__name__)

RSVP_ID = "blether:rsvp:{session_id}"
CONSENT_ID = "blether:consent:{session_id}"
SUPPORT_ID = "blether:support:{session_id}"

MAX_ROOM_SIZE = 25
# From chat only plan ids are accepted, never paths on the bot's host.
_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def rsvp_buttons(session_id: int) -> list[Button]:
    return [
        Button("I'll join", RSVP_ID.format(session_id=session_id), ButtonStyle.SUCCESS),
        Button("My consent choices", CONSENT_ID.format(session_id=session_id), ButtonStyle.SECONDARY),
    ]


def room_buttons(session_id: int) -> list[Button]:
    return [
        Button("My consent choices", CONSENT_ID.format(session_id=session_id), ButtonStyle.SECONDARY),
        Button("I need support", SUPPORT_ID.format(session_id=session_id), ButtonStyle.DANGER),
    ]


@dataclass(frozen=True)
class SupportCall:
    session: Session
    room_name: str | None
    signposting: str


@dataclass(frozen=True)
class Scheduled:
    session: Session
    when: str


def plan_of(session: Session) -> Plan:
    return Plan.from_snapshot(session.plan_snapshot)


class CafeService:
    def __init__(
        self,
        db: Database,
        chat: Chat,
        clock: Clock,
        *,
        plans_dir: Path = DEFAULT_PLANS_DIR,
        on_timeline_change: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.chat = chat
        self.clock = clock
        self.plans_dir = plans_dir
        self.sessions = SessionRepo(db)
        self.people = PeopleRepo(db)
        self.audit = AuditRepo(db)
        self._on_timeline_change = on_timeline_change
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, session_id: int) -> asyncio.Lock:
        """One step at a time per café: a facilitator's click and the timer can land together,
        and each step reads the state, talks to Discord, then writes; two at once would
        post a round twice."""
        return self._locks.setdefault(session_id, asyncio.Lock())

    def set_timeline_listener(self, listener: Callable[[int], Awaitable[None]]) -> None:
        """The scheduler listens, so the jobs follow the steps stored for a session."""
        self._on_timeline_change = listener

    async def _timeline_changed(self, session_id: int) -> None:
        if self._on_timeline_change is not None:
            await self._on_timeline_change(session_id)

    # --- schedule ---------------------------------------------------------------------------

    async def schedule(
        self,
        config: GuildConfig,
        actor_id: int,
        *,
        plan_ref: str,
        when: str,
        series: str | None = None,
        room_size: int | None = None,
    ) -> Scheduled:
        """Check everything first; only then write the session, its rounds and steps in one go."""
        if not _PLAN_ID.fullmatch(plan_ref.strip()):
            raise UserError(f"{plan_ref[:40]!r} is not a plan name. Pick one from the list, e.g. "
                            "`whats-next-for-recovery`.")
        try:
            plan = await load_plan(plan_ref.strip(), self.plans_dir)
        except PlanNotFound as exc:
            raise UserError(str(exc)) from exc
        except PlanError as exc:
            raise UserError(f"The plan {plan_ref!r} has problems; an organiser can fix them in its plan.yaml "
                            f"(check with `blether plans check`):\n{exc}") from exc
        now = self.clock.now()
        try:
            starts_at = parse_start(when, config.timezone, now)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        size = room_size if room_size is not None else plan.room_size
        if not 2 <= size <= MAX_ROOM_SIZE:
            raise UserError(f"Room size must be between 2 and {MAX_ROOM_SIZE} people (you gave {size}).")
        label = (series or plan.id).strip()
        if not label or len(label) > 80:
            raise UserError("The series name must be 1 to 80 characters.")
        steps = plan_steps(starts_at, [r.minutes for r in plan.rounds], now)
        session_id = await self.sessions.create(
            guild_id=config.guild_id,
            series=label,
            plan_id=plan.id,
            plan_title=plan.title,
            plan_snapshot=plan.to_snapshot(),
            starts_at=starts_at,
            timezone=config.timezone,
            room_size=size,
            rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
            steps=steps,
            actor_id=actor_id,
        )
        session = await self.sessions.get(session_id)
        assert session is not None
        await self._timeline_changed(session_id)
        return Scheduled(session, describe(starts_at, config.timezone))

    def announcement(self, session: Session) -> str:
        plan = plan_of(session)
        return message(
            "announcement",
            session=session,
            plan=plan,
            when=describe(session.starts_at, session.timezone),
            minutes=plan.total_minutes,
        )

    async def publish(self, session: Session, channel_id: int) -> int:
        """Post the invitation with its RSVP buttons where the organiser scheduled it."""
        message_id = await self.chat.post(channel_id, self.announcement(session), buttons=rsvp_buttons(session.id))
        await self.sessions.set_announcement(session.id, channel_id, message_id)
        return message_id

    async def require(self, session_id: int, guild_id: int | None = None) -> Session:
        session = await self.sessions.get(session_id)
        if session is None or (guild_id is not None and session.guild_id != guild_id):
            raise UserError(f"There is no café #{session_id} on this server. `/cafe list` shows the cafés.")
        return session

    # --- RSVP --------------------------------------------------------------------------------

    async def rsvp(self, session_id: int, discord_user_id: int, guild_id: int | None = None) -> tuple[Session, bool]:
        """Say yes to a café; a latecomer to a running café is placed in the smallest room.

        Returns the session and whether the person has a room now (a second click re-grants
        access, in case the first grant failed half-way).
        """
        session = await self.require(session_id, guild_id)
        if session.state in FINAL_STATES or session.state is SessionState.CLOSING:
            raise UserError("This café has ended, so it can't be joined any more.")
        participant_id = await self.people.rsvp(session_id, discord_user_id, going=True)
        if session.state not in ACTIVE_STATES or session.current_round < 1:
            return session, False
        current = await self.sessions.assignments(session_id, session.current_round)
        rooms = await self.sessions.rooms(session_id)
        if participant_id in current:
            seated = next(room for room in rooms if room.id == current[participant_id])
            await self._grant(session, seated, discord_user_id)
            return session, True
        by_room = [[p for p, r in current.items() if r == room.id] for room in rooms]
        room = rooms[place_latecomer(by_room)]
        await self.sessions.assign(session_id, session.current_round, participant_id, room.id)
        await self._grant(session, room, discord_user_id)
        return session, True

    async def _grant(self, session: Session, room: Room, discord_user_id: int) -> None:
        if room.channel_id is not None:
            await self.chat.set_members(room.channel_id, add=[discord_user_id], remove=[])
        if session.lobby_channel_id is not None:
            await self.chat.set_members(session.lobby_channel_id, add=[discord_user_id], remove=[])

    # --- open and rounds ----------------------------------------------------------------------

    async def open(self, session_id: int, config: GuildConfig) -> Session:
        """Make the category, lobby and rooms, and start round 1."""
        async with self._lock(session_id):
            return await self._open(session_id, config)

    async def _open(self, session_id: int, config: GuildConfig) -> Session:
        session = await self.require(session_id)
        if session.state is not SessionState.SCHEDULED:
            raise UserError(f"Café #{session_id} is already {session.state.value}; it can only be opened once.")
        plan = plan_of(session)
        going = await self.people.going(session_id)
        split = allocate([p for p, _ in going], room_count(len(going), session.room_size))
        discord_of = dict(going)
        staff = [config.organiser_role, config.facilitator_role]
        local = session.starts_at.astimezone(ZoneInfo(session.timezone))
        category = await self.chat.create_category(
            session.guild_id, f"☕ {plan.title} · {local:%d %b %H:%M}", staff_roles=staff
        )
        lobby = await self.chat.create_room(
            session.guild_id, category, "lobby", members=[d for _, d in going], staff_roles=staff,
            topic=f"Everyone at café #{session_id}: arrive, say hello, and come back here between rounds.",
        )
        rooms: list[tuple[str, int]] = []
        for number, people in enumerate(split, start=1):
            name = f"room-{number}"
            channel = await self.chat.create_room(
                session.guild_id, category, name, members=[discord_of[p] for p in people], staff_roles=staff,
                topic=f"Breakout room {number} of café #{session_id}. Only this room's people and the hosts see it.",
            )
            rooms.append((name, channel))
        await self.sessions.record_opening(session_id, category_id=category, lobby_channel_id=lobby, rooms=rooms)
        context = template_context(cafe_title=plan.title, starts_at_local=local, timezone=session.timezone)
        await self.chat.post(
            lobby,
            message(
                "welcome",
                welcome=render(plan.welcome, context),
                ground_rules=plan.ground_rules,
                consent_text=render(plan.consent_text, context),
                signposting=render(plan.signposting, context),
                rooms=len(rooms),
            ),
            buttons=room_buttons(session_id),
        )
        stored_rooms = await self.sessions.rooms(session_id)
        await self._start_round(session_id, 1, assignments=[
            (person, stored_rooms[index].id) for index, people in enumerate(split) for person in people
        ])
        refreshed = await self.sessions.get(session_id)
        assert refreshed is not None
        return refreshed

    async def next_round(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Move on now (a facilitator), or when the round's time is up (the scheduler)."""
        async with self._lock(session_id):
            session = await self.require(session_id, guild_id)
            if session.state not in ACTIVE_STATES:
                raise UserError(f"Café #{session_id} is {session.state.value}, so there is no round to move on from.")
            if session.current_round >= session.round_count:
                raise UserError("This is the last round. Use `/cafe close` to end the café.")
            return await self._advance(session_id, session.current_round + 1, actor_id)

    async def start_round(self, session_id: int, number: int, actor_id: int | None = None) -> Session:
        """Start round `number` (the timer's way in); refused unless the café is open or running."""
        async with self._lock(session_id):
            return await self._advance(session_id, number, actor_id)

    async def _advance(self, session_id: int, number: int, actor_id: int | None) -> Session:
        session = await self.require(session_id)
        if session.state not in ACTIVE_STATES:
            raise UserError(f"Café #{session_id} is {session.state.value}; round {number} can't start.")
        if session.current_round >= number:
            raise UserError(f"Round {number} has already started.")
        previous = await self.sessions.assignments(session_id, session.current_round)
        rooms = await self.sessions.rooms(session_id)
        plan = plan_of(session)
        round_plan = plan.rounds[number - 1]
        if round_plan.rotate and len(rooms) > 1:
            current = [[p for p, r in sorted(previous.items()) if r == room.id] for room in rooms]
            moved = rotate(current)
            assignments = [(person, rooms[index].id) for index, people in enumerate(moved) for person in people]
            await self._move_people(previous, dict(assignments), rooms)
        else:
            assignments = list(previous.items())
        await self._start_round(session_id, number, assignments=assignments)
        if actor_id is not None:
            await self.audit.record(session.guild_id, session_id, actor_id, "next_round", f"round={number}")
        refreshed = await self.sessions.get(session_id)
        assert refreshed is not None
        return refreshed

    async def _move_people(self, before: dict[int, int], after: dict[int, int], rooms: Sequence[Room]) -> None:
        channel_of = {room.id: room.channel_id for room in rooms}
        for person, new_room in after.items():
            old_room = before.get(person)
            if old_room == new_room:
                continue
            discord_id = await self.people.discord_id(person)
            if discord_id is None:
                continue
            new_channel = channel_of.get(new_room)
            if new_channel is not None:
                await self.chat.set_members(new_channel, add=[discord_id], remove=[])
            old_channel = channel_of.get(old_room) if old_room is not None else None
            if old_channel is not None:
                await self.chat.set_members(old_channel, add=[], remove=[discord_id])

    async def _start_round(self, session_id: int, number: int, *, assignments: Sequence[tuple[int, int]]) -> None:
        session = await self.require(session_id)
        plan = plan_of(session)
        round_plan = plan.rounds[number - 1]
        rooms = await self.sessions.rooms(session_id)
        local = session.starts_at.astimezone(ZoneInfo(session.timezone))
        now = self.clock.now()
        posts: list[tuple[Room, str]] = []
        for room in rooms:
            context = template_context(
                cafe_title=plan.title, starts_at_local=local, timezone=session.timezone, round_number=number,
                round_title=round_plan.title, round_minutes=round_plan.minutes, round_total=len(plan.rounds),
                room_name=room.name, room_number=room.number,
            )
            posts.append((room, render(round_plan.prompt, context)))
        ends_at = now + timedelta(minutes=round_plan.minutes)
        await self.sessions.start_round(
            session_id, number,
            prompts=[(room.id, prompt) for room, prompt in posts],
            assignments=assignments,
            later_steps=round_steps(now, [r.minutes for r in plan.rounds], number),
            at=now,
        )
        for room, prompt in posts:
            if room.channel_id is None:
                continue
            await self.chat.post(
                room.channel_id,
                message("round", prompt=prompt, minutes=round_plan.minutes,
                        ends=describe(ends_at, session.timezone).split(" at ")[-1]),
                buttons=room_buttons(session_id) if number == 1 else (),
            )
        if session.lobby_channel_id is not None:
            await self.chat.post(
                session.lobby_channel_id,
                message("round_lobby", number=number, total=len(plan.rounds), title=round_plan.title,
                        minutes=round_plan.minutes),
            )
        await self._timeline_changed(session_id)

    # --- close and cancel ---------------------------------------------------------------------

    async def close(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Post the closing words and signposting, lock every channel, stop capture."""
        async with self._lock(session_id):
            return await self._close(session_id, actor_id, guild_id)

    async def _close(self, session_id: int, actor_id: int | None, guild_id: int | None) -> Session:
        session = await self.require(session_id, guild_id)
        if session.state in FINAL_STATES:
            raise UserError(f"Café #{session_id} is already {session.state.value}.")
        if session.state is SessionState.SCHEDULED:
            raise UserError(f"Café #{session_id} hasn't opened yet. Use `/cafe cancel` to call it off.")
        await self.sessions.set_state(session_id, SessionState.CLOSING)
        plan = plan_of(session)
        local = session.starts_at.astimezone(ZoneInfo(session.timezone))
        rooms = await self.sessions.rooms(session_id)
        channels = [(room.channel_id, room.name, room.number) for room in rooms if room.channel_id is not None]
        if session.lobby_channel_id is not None:
            channels.append((session.lobby_channel_id, "lobby", 0))
        for channel_id, name, number in channels:
            context = template_context(
                cafe_title=plan.title, starts_at_local=local, timezone=session.timezone,
                room_name=name, room_number=number,
            )
            await self.chat.post(
                channel_id,
                message("closing", closing=render(plan.closing, context),
                        signposting=render(plan.signposting, context)),
            )
        await self.sessions.set_state(session_id, SessionState.CLOSED)
        for channel_id, _, _ in channels:
            await self.chat.lock(channel_id)
        await self.audit.record(session.guild_id, session_id, actor_id, "close", "")
        await self._timeline_changed(session_id)
        refreshed = await self.sessions.get(session_id)
        assert refreshed is not None
        return refreshed

    async def cancel(self, session_id: int, actor_id: int, guild_id: int) -> Session:
        async with self._lock(session_id):
            return await self._cancel(session_id, actor_id, guild_id)

    async def _cancel(self, session_id: int, actor_id: int, guild_id: int) -> Session:
        session = await self.require(session_id, guild_id)
        if session.state is not SessionState.SCHEDULED:
            raise UserError(f"Café #{session_id} is {session.state.value}; only a café that hasn't opened can be "
                            "cancelled. Use `/cafe close` to end a running one.")
        await self.sessions.set_state(session_id, SessionState.CANCELLED)
        await self.audit.record(session.guild_id, session_id, actor_id, "cancel", "")
        if session.announce_channel_id is not None:
            await self.chat.post(session.announce_channel_id, message("cancelled", session=session))
        await self._timeline_changed(session_id)
        refreshed = await self.sessions.get(session_id)
        assert refreshed is not None
        return refreshed

    async def remind(self, session_id: int) -> None:
        session = await self.require(session_id)
        if session.announce_channel_id is None:
            return
        going = await self.people.going(session_id)
        await self.chat.post(
            session.announce_channel_id,
            message("reminder", session=session, when=describe(session.starts_at, session.timezone),
                    going=len(going)),
        )

    async def list(self, guild_id: int) -> list[tuple[Session, str, int]]:
        sessions = await self.sessions.list_for_guild(guild_id)
        result = []
        for session in sessions:
            going = await self.people.going(session.id)
            result.append((session, describe(session.starts_at, session.timezone), len(going)))
        return result

    async def latest_for(self, discord_user_id: int, guild_id: int | None) -> int | None:
        """The café a person most likely means: the newest one they said they'd join here."""
        person = await self.people.participant_id(discord_user_id)
        if person is None or guild_id is None:
            return None
        row = await self.db.fetch_one(
            "SELECT s.id FROM sessions s JOIN rsvps r ON r.session_id = s.id "
            "WHERE r.participant_id = ? AND s.guild_id = ? ORDER BY s.starts_at DESC LIMIT 1",
            (person, str(guild_id)),
        )
        return int(row[0]) if row else None

    async def support_request(self, session_id: int, discord_user_id: int, channel_id: int | None) -> SupportCall:
        """Note that someone asked for help: who, where, when — never what they said."""
        session = await self.require(session_id)
        room = await self.sessions.room_by_channel(channel_id) if channel_id is not None else None
        async with self.db.transaction() as conn:
            person = await self.people.ensure_participant(conn, discord_user_id)
            await conn.execute(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at) VALUES (?, ?, ?, ?)",
                (session_id, room.id if room else None, person, to_iso(self.clock.now())),
            )
        plan = plan_of(session)
        local = session.starts_at.astimezone(ZoneInfo(session.timezone))
        signposting = render(plan.signposting, template_context(
            cafe_title=plan.title, starts_at_local=local, timezone=session.timezone))
        return SupportCall(session, room.name if room else None, signposting)

    def now(self) -> datetime:
        return self.clock.now()

    def register_steps(self, kinds: StepKinds, config_for: Callable[[int], Awaitable[GuildConfig]]) -> None:
        """The café's own timed work: reminder, open, each round, close."""

        async def open_step(step: Step) -> None:
            session = await self.require(step.cafe())
            if self.clock.now() > session.starts_at + timedelta(minutes=plan_of(session).total_minutes):
                raise UserError(f"Café #{session.id} was due to open at its start time, but Blether was offline "
                                "until after it should have ended, so it was not opened. Schedule it again.")
            await self.open(session.id, await config_for(session.guild_id))

        async def remind_step(step: Step) -> None:
            await self.remind(step.cafe())

        async def round_step(step: Step) -> None:
            await self.start_round(step.cafe(), round_of(step.payload))

        async def close_step(step: Step) -> None:
            await self.close(step.cafe(), actor_id=None)

        kinds.register(StepKind.REMINDER, remind_step)
        kinds.register(StepKind.OPEN, open_step)
        kinds.register(StepKind.ROUND, round_step)
        kinds.register(StepKind.CLOSE, close_step)
