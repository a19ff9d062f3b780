"""The café floor: open the rooms, start each round, move people between tables.

Each step takes the café's lock, asks the lifecycle whether it may happen, then talks to the
chat, writing down each effect as it happens (the category, each room with its channel, each
person's access, each prompt with its message id). A step a crash interrupted is therefore
resumed on restart: what is recorded is not done again, and what Discord did but the store never
heard of is looked up rather than repeated. The timer and a person's command take the same step
record, so the two never do the same thing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.core import lifecycle
from bot.core.access import FloorState, categories_needed, category_of, lobby_access, room_access, room_for_channels
from bot.core.allocation import choose_hosts, room_count, rotate_tables, seat
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.floor import warning_step
from bot.core.lifecycle import Action
from bot.core.models import GuildConfig, Room, Session, Step
from bot.core.plan import MAX_MESSAGE_CHARS, render_async
from bot.core.timeline import SessionState, StepKind, round_of, round_payload, round_steps
from bot.core.when import stamp
from bot.services.access import AccessService, together
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, room_offers, welcome_offers
from bot.services.messages import message_async
from bot.services.steps import StepKinds, failure_reason
from bot.services.tables import TablesService
from bot.store.attendance import AttendanceRepo
from bot.store.steps import StepRepo

ConfigFor = Callable[[int], Awaitable[GuildConfig]]
#: Told, as a round's effects are carried out, that every started round before it has ended: the
#: café's id, that round's number, and whether a crash is being resumed. Must be idempotent.
RoundsEnded = Callable[[int, int, bool], Awaitable[None]]


class FloorService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.steps = StepRepo(cafes.db)
        #: what else happens when rounds end (the summaries' offers); wired in the composition root
        self.on_rounds_ended: list[RoundsEnded] = []
        self.attendance = AttendanceRepo(cafes.db)
        self.tables = TablesService(cafes)
        self.access = AccessService(cafes)

    def register_steps(self, kinds: StepKinds, config_for: ConfigFor) -> None:
        async def open_step(step: Step) -> str | None:
            session = await self.cafes.require(step.cafe())
            resuming = await self.steps.interrupted(step.id)
            return await self._open_step(session, await config_for(session.guild_id), resuming)

        async def round_step(step: Step) -> str | None:
            return await self._round_step(step.cafe(), round_of(step.payload), await self.steps.interrupted(step.id))

        kinds.register(StepKind.OPEN, open_step)
        kinds.register(StepKind.ROUND, round_step)

    # -- opening -------------------------------------------------------------------------------

    async def open(self, session_id: int, config: GuildConfig, *, actor_id: int | None,
                   guild_id: int | None = None) -> Session:
        """Make the category, lobby and rooms, and start round 1 (an organiser, by hand). The
        scheduled open step is taken, so the timer does not open the café again later; an opening
        a crash left half-made is finished, not made a second time."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            left = await self._opening_left(session)
            if left == "finish":
                await self._finish_round(session_id, 1, resuming=True)
                return await self.cafes.refreshed(session_id)
            if left is None:
                lifecycle.advance(session.state, Action.OPEN, cafe=session_id)
            step = await self.steps.claim_for(session_id, StepKind.OPEN, {})
            resuming = step is not None and await self.steps.interrupted(step.id)
            try:
                opened = await self._open(session, config, resuming=resuming)
            except Exception:
                if step is not None:
                    await self.steps.release(step.id)
                raise
            if step is not None:
                await self.steps.finish(step.id, "done", "opened by hand")
            if actor_id is not None:
                await self.cafes.audit.record(session.guild_id, session_id, actor_id, "open", "")
            return opened

    async def _open_step(self, session: Session, config: GuildConfig, resuming: bool) -> str | None:
        async with self.cafes.lock(session.id):
            session = await self.cafes.refreshed(session.id)
            left = await self._opening_left(session)
            if left == "finish":
                await self._finish_round(session.id, 1, resuming=resuming)
                return None
            if left is None:
                return f"the café is already {session.state.value}"
            ends = session.starts_at + timedelta(minutes=CafeFacts.of(session).plan.total_minutes)
            if session.state is SessionState.SCHEDULED and self.cafes.clock.now() > ends:
                await self._roll_back(session)
                raise UserError(f"Café #{session.id} was due to open at its start time, but Blether was offline "
                                "until after it should have ended, so it was not opened (anything it had begun to "
                                "make was removed). Schedule it again.")
            await self._open(session, config, resuming=resuming)
            return None

    async def _opening_left(self, session: Session) -> str | None:
        """What of an opening is still to do: "open" (channels, welcome or round 1's start, each
        skipped where recorded), "finish" (round 1 started but not all its posts are in), or None."""
        if session.state is SessionState.SCHEDULED:
            return "open"
        if session.state is SessionState.OPEN and session.current_round == 0:
            return "open"
        if session.state is SessionState.RUNNING and session.current_round == 1 \
                and not await self.cafes.sessions.round_complete(session.id, 1):
            return "finish"
        return None

    async def _roll_back(self, session: Session) -> None:
        """An opening that cannot go on leaves nothing behind: its channels go (rooms and lobby
        first, then the categories, all concurrently), and so do its records."""
        rooms = await self.cafes.sessions.rooms(session.id)
        categories = set((await self.access.repo.categories(session.id)).values()) | {session.category_id}
        chat = self.cafes.chat
        await together(chat.delete_channel(c) for c in [r.channel_id for r in rooms] + [session.lobby_channel_id]
                       if c is not None)
        await together(chat.delete_channel(c) for c in categories if c is not None)
        await self.access.repo.forget_categories(session.id)
        await self.cafes.sessions.forget_opening(session.id)

    def _category_name(self, session: Session, number: int = 1) -> str:
        facts = CafeFacts.of(session)
        more = f" ({number})" if number > 1 else ""
        return f"☕ {facts.plan.title} · {facts.local_start:%d %b %H:%M} · #{session.id}{more}"

    async def _open(self, session: Session, config: GuildConfig, *, resuming: bool) -> Session:
        """Each effect is recorded as it happens; one already recorded (or found on Discord) is skipped.
        If Discord refuses part-way, what was made is removed and the refusal is raised (the step's
        failure reaches the hosts); a crash part-way is finished on restart instead."""
        cafes = self.cafes
        facts = await cafes.facts_for(session)
        store, chat, guild = cafes.sessions, cafes.chat, session.guild_id
        going = await cafes.people.going(session.id)
        rooms = await store.rooms(session.id)
        if not rooms:
            # Who sits where: hosts first (the organiser's, then facilitators who joined), then the
            # table plan and people's choices, each while the table has room in an even split.
            people = [p for p, _ in going]
            topics = facts.plan.table_topics()
            tables = len(topics) or room_count(len(going), session.room_size)
            asked = await self.tables.for_opening(session.id, going)
            offered = set(people)
            hosts = choose_hosts(tables, asked.named_hosts,
                                 [p for p in await self.attendance.host_offers(session.id) if p in offered],
                                 fixed=asked.wishes.fixed)
            split = await asyncio.to_thread(seat, people, tables, asked.wishes, hosts=hosts, seed=session.id)
            refusal = room_for_channels(await chat.channel_count(guild), len(split))
            if refusal is not None:
                raise UserError(f"Café #{session.id} was not opened: {refusal}")
            await store.plan_rooms(session.id, [f"room-{n}" for n in range(1, len(split) + 1)],
                                   [(person, n) for n, people in enumerate(split, start=1) for person in people],
                                   hosts=[(person, table + 1) for table, person in hosts.items()],
                                   topics=topics)
            rooms = await store.rooms(session.id)
        try:
            lobby = await self._make_channels(session, config, rooms)
        except ChatError as exc:
            await self._roll_back(await cafes.refreshed(session.id))
            raise UserError(f"Café #{session.id} could not open: {failure_reason(exc)} What had been made was "
                            "removed; once that is fixed, open it with `/cafe open`.") from exc
        rooms = await store.rooms(session.id)
        if await store.welcome_message(session.id) is None:
            context, plan = facts.context(), facts.plan
            welcome = await message_async(
                "welcome", welcome=await render_async(plan.welcome, context), ground_rules=plan.ground_rules,
                consent_text=await render_async(plan.consent_text, context),
                signposting=await render_async(plan.signposting, context), rooms=len(rooms),
                accessible=plan.welcome_accessible)
            posted = (await chat.find_post(lobby, welcome) if resuming else None) \
                or await chat.post(lobby, welcome, offers=welcome_offers(session.id))
            await store.set_welcome_message(session.id, posted)
            await cafes.lobby_welcomed(session, lobby, resuming=resuming)
        elif resuming:
            await cafes.lobby_welcomed(session, lobby, resuming=True)
        await store.mark_opened(session.id)
        seats = await store.assignments(session.id, 1)
        await self._begin_round(session.id, 1, assignments=list(seats.items()))
        await self._finish_round(session.id, 1, resuming=resuming)
        opened = await cafes.refreshed(session.id)
        await cafes.opened(opened)
        return opened

    async def _make_channels(self, session: Session, config: GuildConfig, rooms: Sequence[Room]) -> int:
        """The categories, the lobby and every room, each made with its whole access in the one
        create call, the rooms concurrently; each is recorded as soon as it exists. The lobby's id."""
        cafes = self.cafes
        store, chat, guild = cafes.sessions, cafes.chat, session.guild_id
        staff = config.staff_role_ids
        made = await self.access.repo.categories(session.id)
        if session.category_id is not None:
            made.setdefault(1, session.category_id)

        async def category(number: int) -> None:
            name = self._category_name(session, number)
            channel = await chat.find_channel(guild, name, category_id=None) \
                or await chat.create_category(guild, name, staff_roles=staff)
            await self.access.repo.add_category(session.id, number, channel)
            if number == 1:
                await store.set_category(session.id, channel)
            made[number] = channel

        await together(category(n) for n in range(1, categories_needed(len(rooms)) + 1) if n not in made)
        state = FloorState(staff_roles=staff)
        lobby = session.lobby_channel_id
        if lobby is None:
            going = [d for _, d in await cafes.people.going(session.id)]
            lobby = await chat.find_channel(guild, "lobby", category_id=made[1]) or await chat.create_room(
                guild, made[1], "lobby", access=lobby_access(state, going),
                topic=f"Everyone at café #{session.id}: arrive, say hello, and come back here between rounds.",
            )
            await store.set_lobby(session.id, lobby)
        seated = await self.access.repo.seated(session.id, 1)
        topics = CafeFacts.of(session).plan.table_topics()

        async def room(made_room: Room) -> None:
            parent = made[category_of(made_room.number)]
            channel = await chat.find_channel(guild, made_room.name, category_id=parent) or await chat.create_room(
                guild, parent, made_room.name,
                access=room_access(state, [d for r, d in seated if r == made_room.id]),
                topic=(f"Table topic: {topics[made_room.number - 1]}. " if made_room.number <= len(topics) else "")
                + f"Breakout room {made_room.number} of café #{session.id}. Only this room's people and the hosts "
                "see it.",
            )
            await store.set_room_channel(made_room.id, channel)

        await together(room(r) for r in rooms if r.channel_id is None)
        return lobby

    # -- rounds --------------------------------------------------------------------------------

    async def next_round(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Move on now (a facilitator): the next round gets its full length. A round that a crash or
        Discord left part-done is finished first, and that is all this does."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.START_ROUND, cafe=session_id)
            current = session.current_round
            if current >= 1 and not await self.cafes.sessions.round_complete(session_id, current):
                await self._finish_round(session_id, current, resuming=True)
                return await self.cafes.refreshed(session_id)
            if current >= session.round_count:
                raise UserError("This is the last round. Use `/floor close` to end the café.")
            number = current + 1
            step = await self.steps.claim_for(session_id, StepKind.ROUND, round_payload(number))
            resuming = step is not None and await self.steps.interrupted(step.id)
            try:
                moved = await self._advance(session, number, resuming=resuming)
            except Exception:
                if step is not None:
                    await self.steps.release(step.id)
                raise
            if step is not None:
                await self.steps.finish(step.id, "done", "moved on by hand")
            if actor_id is not None:
                await self.cafes.audit.record(session.guild_id, session_id, actor_id, "next_round", f"round={number}")
            return moved

    async def start_round(self, session_id: int, number: int, actor_id: int | None = None) -> Session:
        """Start round `number` now, or finish it if it started and a crash cut it short."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id)
            lifecycle.advance(session.state, Action.START_ROUND, cafe=session_id)
            if session.current_round > number:
                raise UserError(f"Round {number} has already started.")
            if session.current_round == number:
                if await self.cafes.sessions.round_complete(session_id, number):
                    raise UserError(f"Round {number} has already started.")
                await self._finish_round(session_id, number, resuming=True)
                return await self.cafes.refreshed(session_id)
            moved = await self._advance(session, number, resuming=False)
            if actor_id is not None:
                await self.cafes.audit.record(session.guild_id, session_id, actor_id, "next_round", f"round={number}")
            return moved

    async def _round_step(self, session_id: int, number: int, resuming: bool) -> str | None:
        """The timer's round: quietly nothing to do if the café never opened, has moved past it, or
        is ending; the rest of the round if a crash cut it short."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id)
            if not lifecycle.allowed(session.state, Action.START_ROUND):
                return f"the café is {session.state.value}"
            if session.current_round > number:
                return "a later round has already started"
            if session.current_round == number:
                if await self.cafes.sessions.round_complete(session_id, number):
                    return "round already started"
                await self._finish_round(session_id, number, resuming=resuming)
                return None
            await self._advance(session, number, resuming=resuming)
            return None

    async def _advance(self, session: Session, number: int, *, resuming: bool) -> Session:
        """Finish the current round if it is part-done, then decide round `number` (who sits where,
        its prompts: one write) and carry it out effect by effect."""
        cafes = self.cafes
        current = session.current_round
        if current >= 1 and not await cafes.sessions.round_complete(session.id, current):
            await self._finish_round(session.id, current, resuming=True)
        previous = await cafes.sessions.assignments(session.id, current)
        rooms = await cafes.sessions.rooms(session.id)
        if CafeFacts.of(session).round(number).rotate and len(rooms) > 1:
            # The whole café so far, so the rotation avoids every pairing already made, not only
            # the last round's; hosts stay at their table.
            history = []
            for earlier in range(1, current + 1):
                seats = previous if earlier == current else await cafes.sessions.assignments(session.id, earlier)
                history.append([[p for p, r in sorted(seats.items()) if r == room.id] for room in rooms])
            index_of = {room.id: index for index, room in enumerate(rooms)}
            hosts = {index_of[room_id]: person for room_id, person in (await self.attendance.hosts(session.id)).items()
                     if room_id in index_of}
            asked = (await self.tables.for_opening(session.id, await cafes.people.going(session.id))).wishes
            moved = await asyncio.to_thread(rotate_tables, history, hosts=hosts, apart=asked.apart,
                                            together=asked.together, seed=session.id * 1000 + number)
            assignments = [(person, rooms[index].id) for index, people in enumerate(moved) for person in people]
        else:
            assignments = list(previous.items())
        await self._begin_round(session.id, number, assignments=assignments)
        await self._finish_round(session.id, number, resuming=resuming)
        return await cafes.refreshed(session.id)

    async def _begin_round(self, session_id: int, number: int, *, assignments: Sequence[tuple[int, int]]) -> None:
        """The round's decision, in one write: it has started, who sits where, each room's prompt
        text, and the later steps re-timed. Nothing has reached Discord yet."""
        cafes = self.cafes
        session = await cafes.refreshed(session_id)
        facts = await cafes.facts_for(session)
        round_plan = facts.round(number)
        rooms = await cafes.sessions.rooms(session_id)
        now = cafes.clock.now()
        prompts = [(room.id, await render_async(round_plan.prompt, facts.context(round_number=number, room=room)))
                   for room in rooms]
        later = round_steps(now, [r.minutes for r in facts.plan.rounds], number)
        warning = warning_step(number, now + timedelta(minutes=round_plan.minutes),
                               await self.warning_minutes(session), now)
        await cafes.sessions.start_round(
            session_id, number, prompts=prompts, assignments=assignments,
            later_steps=[*later, *([warning] if warning is not None else [])], at=now,
        )

    async def warning_minutes(self, session: Session) -> int:
        """How long before a round's end its rooms are warned: the café's setting, else its plan's."""
        stored = (await self.access.repo.state(session.id)).warning_minutes
        return stored if stored is not None else CafeFacts.of(session).plan.warning_minutes

    async def _finish_round(self, session_id: int, number: int, *, resuming: bool) -> None:
        """Carry out a started round's effects not yet recorded: each person's access, each room's
        prompt, the lobby's notice. With `resuming`, a post Discord may have made before a crash is
        looked up first; the post's words are the same every time (the end time is the round's
        recorded start plus its length), so it is found."""
        cafes = self.cafes
        store, chat = cafes.sessions, cafes.chat
        session = await cafes.refreshed(session_id)
        for listener in self.on_rounds_ended:
            await listener(session_id, number, resuming)
        facts = await cafes.facts_for(session)
        round_plan = facts.round(number)
        rooms = {room.id: room for room in await store.rooms(session_id)}
        # Round 1's post is each room's welcome: it carries the signposting and the support button.
        support = await cafes.signposting(facts) if number == 1 else ""
        started = await store.round_started_at(session_id, number) or cafes.clock.now()
        ends_at = started + timedelta(minutes=round_plan.minutes)
        # Discord timestamps: each person sees the end in their own zone, and how long is left. From
        # the round's stored start, so a resumed round posts the very same words and finds its post.
        ends = f"{stamp(ends_at, 't')} ({stamp(ends_at, 'R')})"
        previous = await store.assignments(session_id, number - 1) if number > 1 else {}
        seated = await store.assignments(session_id, number)
        hosts = await self.attendance.hosts(session_id)
        await self.access.apply(session_id)
        for room_id, prompt, message_id in await store.round_posts(session_id, number):
            channel = rooms[room_id].channel_id
            if message_id is not None or channel is None:
                continue
            # Named by mention, which Discord shows as each person's server name to those who can see
            # the room; the post pings nobody (Chat.post), and no name is ever stored.
            host = hosts.get(room_id)
            host_id = await cafes.people.discord_id(host) if host is not None else None
            joined = [d for p, r in sorted(seated.items()) if r == room_id and p != host and number > 1
                      and round_plan.rotate and previous.get(p) != room_id
                      and (d := await cafes.people.discord_id(p)) is not None]
            host_mention = f"<@{host_id}>" if host_id is not None else ""
            names = ", ".join(f"<@{d}>" for d in joined)
            count = f"{len(joined)} {'person' if len(joined) == 1 else 'people'}" if joined else ""
            text = await message_async("round", prompt=prompt, minutes=round_plan.minutes, ends=ends,
                                       host=host_mention, joined=count, content_note=round_plan.content_note,
                                       support=support, accessible=round_plan.accessible)
            # Name the newcomers if the names fit in one message beside the prompt; else count them.
            if names and len(text) - len(count) + len(names) <= MAX_MESSAGE_CHARS - 10:
                text = await message_async("round", prompt=prompt, minutes=round_plan.minutes, ends=ends,
                                           host=host_mention, joined=names, content_note=round_plan.content_note,
                                           support=support, accessible=round_plan.accessible)
            posted = (await chat.find_post(channel, text) if resuming else None) or await chat.post(
                channel, text, offers=room_offers(session_id) if number == 1 else ())
            await store.set_prompt_message(session_id, number, room_id, posted)
        if session.lobby_channel_id is not None and await store.lobby_notice(session_id, number) is None:
            text = await message_async("round_lobby", number=number, total=len(facts.plan.rounds),
                                       title=round_plan.title, minutes=round_plan.minutes)
            posted = (await chat.find_post(session.lobby_channel_id, text) if resuming else None) \
                or await chat.post(session.lobby_channel_id, text)
            await store.set_lobby_notice(session_id, number, posted)
        await cafes.timeline_changed(session_id)
