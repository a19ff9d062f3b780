"""Coalescing bursts: many pokes within a window cost one run of the action, after the window.

The invitation shows how many are coming; twenty people pressing **I'll join** in the same second
should cost Discord one edit, not twenty (and stay clear of its rate limits). The window is in
café time and waited in wall time through the injected `Clock`, so a compressed clock makes it
short in tests and the rehearsal exactly as it makes every other timer short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.core.clock import Clock

log = logging.getLogger(__name__)

Action = Callable[[int], Awaitable[None]]


class Debouncer:
    """Per key: the first poke starts the window; pokes inside it join that run; the action runs
    once when the window ends, reading the state as it is then. A poke while the action runs
    starts a new window, so the last change is never left unshown."""

    def __init__(self, clock: Clock, window: timedelta, action: Action) -> None:
        self.clock = clock
        self.window = window
        self._action = action
        self._waiting: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def poke(self, key: int) -> None:
        if key in self._waiting:
            return
        self._waiting[key] = asyncio.get_running_loop().create_task(self._later(key), name=f"debounce-{key}")

    @property
    def pending(self) -> frozenset[int]:
        """The keys whose action is waiting for its window to end."""
        return frozenset(self._waiting)

    async def _later(self, key: int) -> None:
        await asyncio.sleep(self.clock.wall_seconds(self.window.total_seconds()))
        self._waiting.pop(key, None)
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await self._run(key)
        finally:
            self._running.discard(task)

    async def _run(self, key: int) -> None:
        """An action that fails is logged: the next poke tries again, and nobody's press fails for it."""
        try:
            await self._action(key)
        except Exception:
            log.exception("a coalesced update for %s failed", key)

    async def flush(self) -> None:
        """Run every waiting action now and wait for those running (on shutdown: the last changes
        are shown before the bot goes)."""
        waiting, self._waiting = self._waiting, {}
        for task in waiting.values():
            task.cancel()
        for key, task in waiting.items():
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._run(key)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
