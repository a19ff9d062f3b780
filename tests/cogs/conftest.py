"""Fixtures for the cog tests: a fresh simulated server with Blether set up on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot


@pytest.fixture
async def cafe(tmp_path: Path) -> AsyncIterator[Cafe]:
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings)
    harness = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    result = await harness.setup()
    assert "Blether is set up" in result.content, result.content
    yield harness
    if not bot.is_closed():
        await sim.disconnect(bot)
