"""The facilitators' live controls: move the café on, stretch or pause a round, talk to every room,
warn of the end, move a person, close one room, recall everyone to the lobby and send them out.

Each control takes the café's lock, checks the café is this server's and running, writes its
decision (the store is the truth), then applies room access from that state (one edit per channel
that changes, bot/services/access.py) and posts what people need to read. Every control is audited
with the facilitator's id and no one's words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.core.floor import (
    HOLD,
    MAX_EXTENSION,
    TIMED_KINDS,
    round_end,
    time_left,
    warning_payload,
    warning_step,
)
from bot.core.models import Session, Step
from bot.core.plan import MAX_WARNING_MINUTES
from bot.core.timeline import ROUND, SessionState, StepKind, round_of
from bot.core.when import stamp
from bot.services.access import AccessService, together
from bot.services.cafes import Cafes
from bot.services.closing import ClosingService
from bot.services.floor import FloorService
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.floor import FloorRepo
from bot.store.steps import StepRepo

#: Discord allows 2000 characters in a message; a broadcast leaves room for its heading.
MAX_BROADCAST: int = 1800


@dataclass(frozen=True)
class Done:
    """What a control did, for the facilitator's reply."""

    session: Session
    said: str


def ends_words(ends_at: datetime) -> str:
    """The end as Discord timestamps: each reader's own time, and a live countdown."""
    return f"{stamp(ends_at, 't')} ({stamp(ends_at, 'R')})"


class ControlsService:
    def __init__(self, cafes: Cafes, floor: FloorService, closing: ClosingService) -> None:
        self.cafes = cafes
        self.floor = floor
        self.closing = closing
        self.access = AccessService(cafes)
        self.repo = FloorRepo(cafes.db)
        self.steps = StepRepo(cafes.db)
        #: what else happens at a recall's plenary (the summaries written so far go to the lobby);
        #: called under the café's lock, wired in the composition root
        self.on_recalled: list[Callable[[int], Awaitable[object]]] = []

    def register_steps(self, kinds: StepKinds) -> None:
        async def warning(step: Step) -> str | None:
            return await self._warn(step.cafe(), round_of(step.payload))

        kinds.register(StepKind.WARNING, warning)

    # -- shared -----------------------------------------------------------------------------------

    async def _running(self, session_id: int, guild_id: int | None, *, paused_ok: bool = False) -> Session:
        session = await self.cafes.require(session_id, guild_id)
        if session.state is not SessionState.RUNNING:
            raise UserError(f"Café #{session_id} is {session.state.value}, not running: the floor controls work "
                            "while a round is under way.")
        if not paused_ok and (await self.repo.state(session_id)).paused_at is not None:
            raise UserError(f"Café #{session_id} is paused. Resume it first (`/floor resume`).")
        return session

    async def round_ends(self, session: Session) -> datetime | None:
        """When the running round ends: the due time of the step after it (the next round or the close)."""
        following = [s for s in await self.steps.pending_for(session.id)
                     if s.kind == StepKind.CLOSE or (s.kind == StepKind.ROUND
                                                     and s.payload.get(ROUND) == session.current_round + 1)]
        due = min((s.due_at for s in following), default=None)
        return round_end(due, (await self.repo.state(session.id)).paused_at)

    async def _post_rooms(self, session: Session, text: str, *, lobby: bool = False) -> int:
        """The same words in every room (and the lobby), concurrently."""
        channels = [r.channel_id for r in await self.cafes.sessions.rooms(session.id) if r.channel_id is not None]
        if lobby and session.lobby_channel_id is not None:
            channels.append(session.lobby_channel_id)
        await together(self.cafes.chat.post(channel, text) for channel in channels)
        return len(channels)

    async def _audit(self, session: Session, actor_id: int, action: str, detail: str = "") -> None:
        await self.cafes.audit.record(session.guild_id, session.id, actor_id, action, detail)
        await self.cafes.timeline_changed(session.id)

    # -- rounds -----------------------------------------------------------------------------------

    async def next_round(self, session_id: int, actor_id: int, guild_id: int | None) -> Session:
        if (await self.repo.state(session_id)).paused_at is not None:
            raise UserError(f"Café #{session_id} is paused. Resume it first (`/floor resume`).")
        return await self.floor.next_round(session_id, actor_id, guild_id)

    async def go_to_round(self, session_id: int, number: int, actor_id: int, guild_id: int | None) -> Session:
        """Jump ahead to round `number` (rounds in between are skipped; a round never runs twice)."""
        session = await self._running(session_id, guild_id)
        if not 1 <= number <= session.round_count:
            raise UserError(f"Café #{session_id} has rounds 1 to {session.round_count}; there is no round {number}.")
        if number <= session.current_round:
            raise UserError(f"Round {number} has already started (this is round {session.current_round}): "
                            "the café only moves forward.")
        return await self.floor.start_round(session_id, number, actor_id)

    async def extend(self, session_id: int, minutes: int, actor_id: int, guild_id: int | None) -> Done:
        """Give this round `minutes` more: the steps after it move, and every room is told the new end."""
        if not 1 <= minutes <= MAX_EXTENSION:
            raise UserError(f"Extend by 1 to {MAX_EXTENSION} minutes at a time.")
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id)
            await self.repo.shift_pending(session_id, TIMED_KINDS, timedelta(minutes=minutes))
            ends = await self.round_ends(session)
            if ends is not None:
                await self._post_rooms(session, await message_async("floor_extended", minutes=minutes,
                                                                    ends=ends_words(ends)))
            await self._audit(session, actor_id, "extend", f"minutes={minutes}")
            return Done(session, f"Round {session.current_round} now ends "
                                 f"{ends_words(ends) if ends else 'later'}; every room was told.")

    async def pause(self, session_id: int, actor_id: int, guild_id: int | None) -> Done:
        """Stop the clock: rooms read-only with a calm notice; the pending steps are held."""
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id)
            now = self.cafes.clock.now()
            await self.repo.shift_pending(session_id, TIMED_KINDS, HOLD, paused_at=now)
            await self.access.apply(session_id)
            await self._post_rooms(session, await message_async("floor_paused"), lobby=True)
            await self._audit(session, actor_id, "pause")
            return Done(session, "Paused: the rooms are read-only and the clock has stopped. `/floor resume` "
                                 "carries on from here.")

    async def resume(self, session_id: int, actor_id: int, guild_id: int | None) -> Done:
        """Start the clock again: the round keeps the time it had left when paused."""
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id, paused_ok=True)
            paused_at = (await self.repo.state(session_id)).paused_at
            if paused_at is None:
                raise UserError(f"Café #{session_id} isn't paused.")
            paused_for = self.cafes.clock.now() - paused_at
            await self.repo.shift_pending(session_id, TIMED_KINDS, paused_for - HOLD, resume=True)
            await self.access.apply(session_id)
            ends = await self.round_ends(session)
            text = await message_async("floor_resumed", ends=ends_words(ends) if ends else "the planned time")
            await self._post_rooms(session, text, lobby=True)
            await self._audit(session, actor_id, "resume", f"paused_seconds={int(paused_for.total_seconds())}")
            return Done(session, "Resumed: the rooms are open again and the clock is running.")

    async def end(self, session_id: int, actor_id: int, guild_id: int | None) -> Session:
        """End the café now: the closing words, then every channel read-only (the close)."""
        return await self.closing.close(session_id, actor_id, guild_id)

    # -- talking to everyone ----------------------------------------------------------------------

    async def broadcast(self, session_id: int, text: str, actor_id: int, guild_id: int | None) -> Done:
        words = text.strip()
        if not words:
            raise UserError("Write the message to send to every room.")
        if len(words) > MAX_BROADCAST:
            raise UserError(f"A broadcast can be up to {MAX_BROADCAST} characters; this one is {len(words)}.")
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id, paused_ok=True)
            sent = await self._post_rooms(session, await message_async("floor_broadcast", text=words), lobby=True)
            # The facilitator's words are theirs, not a participant's, but a count is all the audit needs.
            await self._audit(session, actor_id, "broadcast", f"characters={len(words)}")
            return Done(session, f"Sent to {sent} channels (every room and the lobby).")

    async def set_warning(self, session_id: int, minutes: int, actor_id: int, guild_id: int | None) -> Done:
        """How long before each round's end the rooms are warned (0: no warning), from this round on."""
        if not 0 <= minutes <= MAX_WARNING_MINUTES:
            raise UserError(f"Warn 0 to {MAX_WARNING_MINUTES} minutes before the end (0 turns warnings off).")
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            if session.state in (SessionState.CLOSING, SessionState.CLOSED, SessionState.CANCELLED):
                raise UserError(f"Café #{session_id} is {session.state.value}.")
            await self.repo.set_warning_minutes(session_id, minutes)
            if session.state is SessionState.RUNNING:
                await self.reschedule_warning(session)
            await self._audit(session, actor_id, "warning", f"minutes={minutes}")
            said = "Time warnings are off." if minutes == 0 else \
                f"Each room will be warned {minutes} minute{'s' if minutes != 1 else ''} before its round ends."
            return Done(session, said)

    async def reschedule_warning(self, session: Session) -> None:
        """The running round's warning, at its end less the warning time (or none)."""
        ends = await self.round_ends(session)
        paused = (await self.repo.state(session.id)).paused_at is not None
        if ends is None:
            return
        planned = warning_step(session.current_round, ends, await self.floor.warning_minutes(session),
                               self.cafes.clock.now()) if not paused else None
        if planned is None:
            await self.repo.drop_pending(session.id, StepKind.WARNING, warning_payload(session.current_round))
        else:
            await self.repo.retime(session.id, [planned])

    async def _warn(self, session_id: int, number: int) -> str | None:
        """The timer's warning: each room told the end, as a Discord timestamp and in words."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id)
            if session.state is not SessionState.RUNNING or session.current_round != number:
                return "the round has moved on"
            ends = await self.round_ends(session)
            if ends is None:
                return "the round has no end in the timeline"
            text = await message_async("floor_warning", left=time_left(ends, self.cafes.clock.now()),
                                       ends=ends_words(ends))
            await self._post_rooms(session, text)
            await self.cafes.timeline_changed(session_id)
            return None

    # -- rooms and people -------------------------------------------------------------------------

    async def _room(self, session: Session, number: int) -> int:
        rooms = await self.cafes.sessions.rooms(session.id)
        for room in rooms:
            if room.number == number:
                return room.id
        raise UserError(f"Café #{session.id} has rooms 1 to {len(rooms)}; there is no room {number}.")

    async def move(self, session_id: int, discord_user_id: int, room_number: int, actor_id: int,
                   guild_id: int | None) -> Done:
        """Seat one person in another room for the rest of this round: two edits (the room they
        leave and the room they join), nothing posted about them."""
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id, paused_ok=True)
            room_id = await self._room(session, room_number)
            person = await self.cafes.people.participant_id(discord_user_id)
            going = {p for p, _ in await self.cafes.people.going(session_id)}
            if person is None or person not in going:
                raise UserError("That person hasn't joined this café, so there is no room to move them from.")
            left = await self.repo.move(session_id, session.current_round, person, room_id)
            if left == room_id:
                raise UserError(f"They are already in room {room_number}.")
            await self.access.apply(session_id)
            await self._audit(session, actor_id, "move", f"participant={person} room={room_number}")
            return Done(session, f"Moved them to room {room_number} for the rest of this round.")

    async def set_room_open(self, session_id: int, room_number: int, open_: bool, actor_id: int,
                            guild_id: int | None) -> Done:
        """Close one room (read-only, with a notice) or open it again: one edit and one post."""
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id, paused_ok=True)
            room_id = await self._room(session, room_number)
            if not await self.repo.set_room_closed(session_id, room_id, not open_):
                raise UserError(f"Room {room_number} is already {'open' if open_ else 'closed'}.")
            await self.access.apply(session_id)
            channel = next(r.channel_id for r in await self.cafes.sessions.rooms(session_id) if r.id == room_id)
            if channel is not None:
                await self.cafes.chat.post(channel, await message_async(
                    "floor_room_opened" if open_ else "floor_room_closed"))
            await self._audit(session, actor_id, "open_room" if open_ else "close_room", f"room={room_number}")
            return Done(session, f"Room {room_number} is {'open again' if open_ else 'closed (read-only)'}.")

    async def recall(self, session_id: int, actor_id: int, guild_id: int | None) -> Done:
        """Everyone back to the lobby: every room read-only (one edit each), one notice in the lobby."""
        return await self._recall(session_id, True, actor_id, guild_id)

    async def send_out(self, session_id: int, actor_id: int, guild_id: int | None) -> Done:
        """Everyone back to their own room (one edit each), one notice in the lobby."""
        return await self._recall(session_id, False, actor_id, guild_id)

    async def _recall(self, session_id: int, recalled: bool, actor_id: int, guild_id: int | None) -> Done:
        async with self.cafes.lock(session_id):
            session = await self._running(session_id, guild_id, paused_ok=True)
            if not await self.repo.set_recalled(session_id, recalled):
                raise UserError("Everyone is already in the lobby." if recalled
                                else "Nobody is recalled: the rooms are already open.")
            await self.access.apply(session_id)
            if session.lobby_channel_id is not None:
                await self.cafes.chat.post(session.lobby_channel_id,
                                           await message_async("floor_recalled" if recalled else "floor_sent_out"))
            if recalled:
                for listener in self.on_recalled:
                    await listener(session_id)
            await self._audit(session, actor_id, "recall" if recalled else "send_out")
            return Done(session, "Everyone is recalled to the lobby; the rooms are read-only." if recalled
                        else "Everyone is back in their rooms.")

