"""Waiting until the bot has finished reacting to an event.

discord.py handles every event in tasks of its own, so after feeding an event a test
must wait for those tasks before asserting. "Finished" cannot mean "all tasks done":
views keep a timeout task sleeping for minutes, schedulers and ``tasks.loop`` sleep
between runs, and a handler may sit in ``view.wait()`` until a user clicks. So a task
counts as idle when it sleeps on a timer further away than ``sleep_threshold``, or when
nothing at all has moved for ``quiet_period`` (blocked on a future nobody will resolve
yet). Everything else (runnable tasks, short sleeps) is waited for, and so is any worker
thread that is busy: aiosqlite queries and ``asyncio.to_thread`` work resolve their
futures from a thread, so while one runs the bot is not idle however still it looks.
(PostgreSQL's driver has no thread: a query in flight is a task waiting on its socket, which
only ``quiet_period`` covers. The cog tests that settle this way run on SQLite.)
"""

from __future__ import annotations

import asyncio
import linecache
import sys
import threading
import weakref
from typing import Any

from .models import SimulationError

#: Source fragments of the lines an idle worker thread sits on (queue gets, lock waits, polls).
#: A sleeping thread counts as busy: it is usually pacing work the bot will await.
_IDLE_LINES = (".get(", ".wait(", ".acquire(", "select(", ".recv")


def worker_threads_busy() -> bool:
    """Whether any other thread is running code rather than waiting for work.

    Judged from the line each thread's innermost Python frame is on: a pool worker or an
    aiosqlite connection thread waiting for its next job sits on a ``queue.get()``.
    """
    here = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == here:
            continue
        if frame.f_lineno is None:
            return True  # mid-instruction in another thread: it is running, so it is busy
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        if not any(fragment in line for fragment in _IDLE_LINES):
            return True
    return False


class TaskWatcher:
    """Tracks which tasks belong to the bot's reaction to the events we fed it."""

    def __init__(self, *, sleep_threshold: float = 2.0, quiet_period: float = 0.15, timeout: float = 20.0) -> None:
        self.sleep_threshold = sleep_threshold
        self.quiet_period = quiet_period
        self.timeout = timeout
        self._baseline: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def ignore_existing(self) -> None:
        """Treat every task alive now as long-lived infrastructure, not part of any reaction."""
        self._baseline.update(asyncio.all_tasks())

    async def abandon(self) -> None:
        """Cancel every watched task (the bot's reactions in flight) and wait until each has
        unwound, so nothing of them runs on after a crash."""
        tasks = self._watched()
        for task in tasks:
            task.cancel()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.timeout)
            if pending:
                names = ", ".join(sorted(t.get_name() for t in pending))
                raise SimulationError(f"tasks kept running after being cancelled: {names}")

    def _timer_deadlines(self, loop: asyncio.AbstractEventLoop) -> dict[int, float]:
        """Future id -> when a scheduled timer will resolve it (asyncio.sleep, wait_for, tasks.loop)."""
        deadlines: dict[int, float] = {}
        for handle in getattr(loop, "_scheduled", ()):
            if handle.cancelled():
                continue
            for arg in getattr(handle, "_args", ()) or ():
                if isinstance(arg, asyncio.Future):
                    deadlines[id(arg)] = min(deadlines.get(id(arg), handle.when()), handle.when())
        return deadlines

    def _watched(self) -> list[asyncio.Task[Any]]:
        current = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not current and not t.done() and t not in self._baseline]

    async def settle(self) -> None:
        """Return once every watched task is done or idle; raise if that takes too long."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        quiet_since: float | None = None
        last_signature: tuple[Any, ...] | None = None
        while True:
            for _ in range(3):
                await asyncio.sleep(0)
            now = loop.time()
            deadlines = self._timer_deadlines(loop)
            busy: list[asyncio.Task[Any]] = []
            blocked: list[asyncio.Task[Any]] = []
            for task in self._watched():
                waiter = getattr(task, "_fut_waiter", None)
                if waiter is None:
                    busy.append(task)
                elif id(waiter) in deadlines:
                    if deadlines[id(waiter)] - now <= self.sleep_threshold:
                        busy.append(task)
                else:
                    blocked.append(task)
            if not busy and not blocked:
                return
            if busy or (blocked and worker_threads_busy()):
                quiet_since = last_signature = None
            else:
                signature = tuple(sorted((id(t), id(getattr(t, "_fut_waiter", None))) for t in blocked))
                if signature != last_signature:
                    quiet_since, last_signature = now, signature
                elif quiet_since is not None and now - quiet_since >= self.quiet_period:
                    return
            if now - started > self.timeout:
                names = ", ".join(sorted({t.get_name() for t in busy + blocked}))
                raise SimulationError(f"the bot did not settle within {self.timeout}s; still running: {names}")
            await asyncio.wait(busy + blocked, timeout=0.005, return_when=asyncio.FIRST_COMPLETED)
