"""The facilitators' dashboard: one message per running café in the facilitators' channel, edited in
place, so they see the whole floor at a glance and drive it from its buttons.

Many things change at once on a café's floor (a round start touches every room), so changes are
coalesced: the first change of a burst starts a short wait and every change during it is absorbed,
then the message is edited once. The message id is stored, so after a restart the same message is
edited rather than a new one posted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.core.clock import Clock
from bot.core.floor import Dashboard, RoomLine, dashboard_text
from bot.core.timeline import SessionState
from bot.core.when import stamp
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, Offer, OfferKind
from bot.services.controls import ControlsService
from bot.store.floor import FloorRepo

log = logging.getLogger(__name__)

#: Café seconds a burst of changes is gathered for before the dashboard is edited once.
DASHBOARD_DELAY = 2.0
_SHOWN = frozenset({SessionState.OPEN, SessionState.RUNNING, SessionState.CLOSING, SessionState.CLOSED})

Sleep = Callable[[float], Awaitable[None]]


def clock_sleep(clock: Clock) -> Sleep:
    """Wait `seconds` of café time (the rehearsal's compressed clock waits less wall time)."""
    async def sleep(seconds: float) -> None:
        await asyncio.sleep(clock.wall_seconds(seconds))
    return sleep


class Debouncer:
    """One action per key per burst: the first poke waits `delay`, pokes meanwhile are absorbed.
    A poke that comes while the action runs starts the next burst, so the last change is never lost."""

    def __init__(self, delay: float, sleep: Sleep) -> None:
        self.delay = delay
        self.sleep = sleep
        #: keys whose burst is gathering (their action has not started)
        self._waiting: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def poke(self, key: int, action: Callable[[int], Awaitable[None]]) -> None:
        if key in self._waiting:
            return
        self._waiting.add(key)
        task = asyncio.get_running_loop().create_task(self._run(key, action), name=f"dashboard-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: int, action: Callable[[int], Awaitable[None]]) -> None:
        try:
            await self.sleep(self.delay)
        finally:
            self._waiting.discard(key)
        try:
            await action(key)
        except Exception:
            log.exception("the dashboard of café #%s could not be updated", key)

    @property
    def busy(self) -> bool:
        """Whether a burst is gathering or its action running."""
        return bool(self._tasks)

    async def cancel(self) -> None:
        """Drop every burst still waiting (the bot is shutting down)."""
        waiting = list(self._tasks)
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)


def dashboard_offers(session_id: int) -> tuple[Offer, ...]:
    return tuple(Offer(kind, session_id) for kind in (
        OfferKind.FLOOR_NEXT, OfferKind.FLOOR_EXTEND, OfferKind.FLOOR_PAUSE, OfferKind.FLOOR_RECALL,
        OfferKind.FLOOR_BROADCAST, OfferKind.FLOOR_CLOSE))


class DashboardService:
    def __init__(self, cafes: Cafes, controls: ControlsService, *, delay: float = DASHBOARD_DELAY,
                 sleep: Sleep | None = None) -> None:
        self.cafes = cafes
        self.controls = controls
        self.repo = FloorRepo(cafes.db)
        self.debouncer = Debouncer(delay, sleep or clock_sleep(cafes.clock))

    async def changed(self, session_id: int) -> None:
        """Something on the café's floor changed: the dashboard follows, once per burst."""
        self.debouncer.poke(session_id, self.refresh)

    async def board(self, session_id: int) -> Dashboard | None:
        session = await self.cafes.refreshed(session_id)
        if session.state not in _SHOWN:
            return None
        row = await self.repo.state(session_id)
        number = max(session.current_round, 1)
        seated = await self.repo.seated(session_id, number)
        said = await self.repo.contributions_by_room(session_id, number)
        closed = await self.repo.closed_rooms(session_id)
        rooms = [RoomLine(number=room.number, channel_id=room.channel_id,
                          people=sum(1 for r, _ in seated if r == room.id), contributions=said.get(room.id, 0),
                          closed=room.id in closed)
                 for room in await self.cafes.sessions.rooms(session_id)]
        ends = await self.controls.round_ends(session) if session.state is SessionState.RUNNING else None
        return Dashboard(
            session_id=session_id, title=session.plan_title, state=session.state.value,
            round_number=session.current_round, rounds=session.round_count, ends_at=ends,
            paused=row.paused_at is not None, recalled=row.recalled, lobby_channel_id=session.lobby_channel_id,
            rooms=rooms, support_waiting=await self.repo.waiting_support(session_id))

    async def refresh(self, session_id: int) -> None:
        """Edit the café's dashboard in place (post it the first time, or if someone deleted it)."""
        board = await self.board(session_id)
        if board is None:
            return
        session = await self.cafes.refreshed(session_id)
        config = await self.cafes.config(session.guild_id)
        channel = config.facilitators_channel_id if config is not None else None
        if channel is None:
            return
        text = dashboard_text(board, self.cafes.clock.now(), stamp(board.ends_at, "R") if board.ends_at else None)
        row = await self.repo.state(session_id)
        live = session.state in (SessionState.OPEN, SessionState.RUNNING)
        try:
            if row.dashboard_message_id is not None and row.dashboard_channel_id == channel \
                    and await self.cafes.chat.edit_post(channel, row.dashboard_message_id, text,
                                                        offers=None if live else ()):
                return
            posted = await self.cafes.chat.post(channel, text, offers=dashboard_offers(session_id) if live else ())
            await self.repo.set_dashboard(session_id, channel, posted)
        except ChatError as exc:
            log.warning("the dashboard of café #%s was refused by the chat platform: %s", session_id, exc)
