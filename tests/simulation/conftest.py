"""Fixtures: a fresh simulated guild with the demo bot connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sim_demo_bot import DemoBot

from bot.simulation import SimulatedDiscord


@pytest.fixture
def sim() -> SimulatedDiscord:
    return SimulatedDiscord(seed=7)


@pytest.fixture
async def bot(sim: SimulatedDiscord) -> AsyncIterator[DemoBot]:
    demo = DemoBot()
    await sim.connect(demo)
    yield demo
    if not demo.is_closed():
        await sim.disconnect(demo)
