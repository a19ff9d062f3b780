"""The café floor: open the rooms, start each round, move people between tables.

Each step takes the café's lock, asks the lifecycle whether it may happen, then talks to the
chat and records what it did; a repeated click, a late timer or a restart therefore never
posts a round twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.core import lifecycle
from bot.core.allocation import allocate, room_count, rotate
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.lifecycle import Action
from bot.core.models import GuildConfig, Room, Session, Step
from bot.core.plan import render_async
from bot.core.timeline import StepKind, round_of, round_steps
from bot.core.when import stamp
from bot.services.cafes import Cafes
from bot.services.chat import room_offers
from bot.services.messages import message_async
from bot.services.steps import StepKinds

ConfigFor = Callable[[int], Awaitable[GuildConfig]]


class FloorService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes

    def register_steps(self, kinds: StepKinds, config_for: ConfigFor) -> None:
        async def open_step(step: Step) -> None:
            session = await self.cafes.require(step.cafe())
            ends = session.starts_at + timedelta(minutes=CafeFacts.of(session).plan.total_minutes)
            if self.cafes.clock.now() > ends:
                raise UserError(f"Café #{session.id} was due to open at its start time, but Blether was offline "
                                "until after it should have ended, so it was not opened. Schedule it again.")
            await self.open(step.cafe(), await config_for(session.guild_id), actor_id=None)

        async def round_step(step: Step) -> None:
            await self.start_round(step.cafe(), round_of(step.payload))

        kinds.register(StepKind.OPEN, open_step)
        kinds.register(StepKind.ROUND, round_step)

    async def open(self, session_id: int, config: GuildConfig, *, actor_id: int | None,
                   guild_id: int | None = None) -> Session:
        """Make the category, lobby and rooms, and start round 1."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.OPEN, cafe=session_id)
            opened = await self._open(session, config)
            if actor_id is not None:
                await self.cafes.audit.record(session.guild_id, session_id, actor_id, "open", "")
            return opened

    async def _open(self, session: Session, config: GuildConfig) -> Session:
        cafes, facts = self.cafes, CafeFacts.of(session)
        going = await cafes.people.going(session.id)
        split = allocate([p for p, _ in going], room_count(len(going), session.room_size))
        discord_of = dict(going)
        staff = [config.organiser_role, config.facilitator_role]
        category = await cafes.chat.create_category(
            session.guild_id, f"☕ {facts.plan.title} · {facts.local_start:%d %b %H:%M}", staff_roles=staff)
        lobby = await cafes.chat.create_room(
            session.guild_id, category, "lobby", members=[d for _, d in going], staff_roles=staff,
            topic=f"Everyone at café #{session.id}: arrive, say hello, and come back here between rounds.",
        )
        rooms: list[tuple[str, int]] = []
        for number, people in enumerate(split, start=1):
            name = f"room-{number}"
            channel = await cafes.chat.create_room(
                session.guild_id, category, name, members=[discord_of[p] for p in people], staff_roles=staff,
                topic=f"Breakout room {number} of café #{session.id}. Only this room's people and the hosts see it.",
            )
            rooms.append((name, channel))
        await cafes.sessions.record_opening(session.id, category_id=category, lobby_channel_id=lobby, rooms=rooms)
        context = facts.context()
        plan = facts.plan
        welcome = await message_async(
            "welcome", welcome=await render_async(plan.welcome, context), ground_rules=plan.ground_rules,
            consent_text=await render_async(plan.consent_text, context),
            signposting=await render_async(plan.signposting, context), rooms=len(rooms))
        await cafes.chat.post(lobby, welcome, offers=room_offers(session.id))
        stored_rooms = await cafes.sessions.rooms(session.id)
        await self._start_round(session.id, 1, assignments=[
            (person, stored_rooms[index].id) for index, people in enumerate(split) for person in people
        ])
        return await cafes.refreshed(session.id)

    async def next_round(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Move on now (a facilitator): the next round gets its full length."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.START_ROUND, cafe=session_id)
            if session.current_round >= session.round_count:
                raise UserError("This is the last round. Use `/cafe close` to end the café.")
            return await self._advance(session, session.current_round + 1, actor_id)

    async def start_round(self, session_id: int, number: int, actor_id: int | None = None) -> Session:
        """Start round `number` (the timer's way in); refused unless the café is open or running."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id)
            lifecycle.advance(session.state, Action.START_ROUND, cafe=session_id)
            return await self._advance(session, number, actor_id)

    async def _advance(self, session: Session, number: int, actor_id: int | None) -> Session:
        cafes = self.cafes
        if session.current_round >= number:
            raise UserError(f"Round {number} has already started.")
        previous = await cafes.sessions.assignments(session.id, session.current_round)
        rooms = await cafes.sessions.rooms(session.id)
        if CafeFacts.of(session).round(number).rotate and len(rooms) > 1:
            current = [[p for p, r in sorted(previous.items()) if r == room.id] for room in rooms]
            moved = rotate(current)
            assignments = [(person, rooms[index].id) for index, people in enumerate(moved) for person in people]
            await self._move_people(previous, dict(assignments), rooms)
        else:
            assignments = list(previous.items())
        await self._start_round(session.id, number, assignments=assignments)
        if actor_id is not None:
            await cafes.audit.record(session.guild_id, session.id, actor_id, "next_round", f"round={number}")
        return await cafes.refreshed(session.id)

    async def _move_people(self, before: dict[int, int], after: dict[int, int], rooms: Sequence[Room]) -> None:
        channel_of = {room.id: room.channel_id for room in rooms}
        for person, new_room in after.items():
            old_room = before.get(person)
            if old_room == new_room:
                continue
            discord_id = await self.cafes.people.discord_id(person)
            if discord_id is None:
                continue
            new_channel = channel_of.get(new_room)
            if new_channel is not None:
                await self.cafes.chat.set_members(new_channel, add=[discord_id], remove=[])
            old_channel = channel_of.get(old_room) if old_room is not None else None
            if old_channel is not None:
                await self.cafes.chat.set_members(old_channel, add=[], remove=[discord_id])

    async def _start_round(self, session_id: int, number: int, *, assignments: Sequence[tuple[int, int]]) -> None:
        cafes = self.cafes
        session = await cafes.refreshed(session_id)
        facts = CafeFacts.of(session)
        plan, round_plan = facts.plan, facts.round(number)
        rooms = await cafes.sessions.rooms(session_id)
        now = cafes.clock.now()
        posts = [(room, await render_async(round_plan.prompt, facts.context(round_number=number, room=room)))
                 for room in rooms]
        ends_at = now + timedelta(minutes=round_plan.minutes)
        await cafes.sessions.start_round(
            session_id, number,
            prompts=[(room.id, prompt) for room, prompt in posts],
            assignments=assignments,
            later_steps=round_steps(now, [r.minutes for r in plan.rounds], number),
            at=now,
        )
        for room, prompt in posts:
            if room.channel_id is None:
                continue
            await cafes.chat.post(
                room.channel_id,
                # Discord timestamps: each person sees the end in their own zone, and how long is left.
                await message_async("round", prompt=prompt, minutes=round_plan.minutes,
                                    ends=f"{stamp(ends_at, 't')} ({stamp(ends_at, 'R')})"),
                offers=room_offers(session_id) if number == 1 else (),
            )
        if session.lobby_channel_id is not None:
            await cafes.chat.post(
                session.lobby_channel_id,
                await message_async("round_lobby", number=number, total=len(plan.rounds), title=round_plan.title,
                        minutes=round_plan.minutes),
            )
        await cafes.timeline_changed(session_id)
