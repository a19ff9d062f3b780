"""The invitation's debouncer on the injected clock: a burst costs one run, after the window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.clock import CompressedClock
from bot.services.debounce import Debouncer

#: A café-minute window on a clock 600 times faster than the wall: a tenth of a second.
CLOCK = CompressedClock(origin=datetime(2026, 11, 22, tzinfo=UTC), speed=600)
WINDOW = timedelta(minutes=1)


async def test_a_burst_of_pokes_runs_the_action_once_per_key_after_the_window() -> None:
    runs: list[int] = []

    async def action(key: int) -> None:
        runs.append(key)

    debouncer = Debouncer(CLOCK, WINDOW, action)
    for _ in range(20):
        debouncer.poke(1)
    debouncer.poke(2)
    await asyncio.sleep(0)
    assert runs == [] and debouncer.pending == {1, 2}, "nothing runs before the window ends"
    await asyncio.sleep(0.3)
    assert sorted(runs) == [1, 2] and not debouncer.pending

    debouncer.poke(1)
    await asyncio.sleep(0.3)
    assert sorted(runs) == [1, 1, 2], "a poke after the window starts another run"


async def test_flush_runs_what_waits_now_and_a_failing_action_does_not_stop_the_others() -> None:
    runs: list[int] = []

    async def action(key: int) -> None:
        if key == 1:
            raise RuntimeError("Discord refused")
        runs.append(key)

    debouncer = Debouncer(CLOCK, timedelta(days=1), action)
    debouncer.poke(1)
    debouncer.poke(2)
    await debouncer.flush()
    assert runs == [2] and not debouncer.pending
