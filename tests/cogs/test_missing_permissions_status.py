"""Missing permissions are recognised by Discord's code 50013, whatever the HTTP status.

Discord answers 403, but a Discord-compatible server has been seen answering 400 with the
same code; the hosts must get the same advice either way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo


@pytest.mark.parametrize("status", [403, 400])
async def test_a_step_refused_for_missing_permissions_tells_the_hosts_what_to_grant(
    tmp_path: Path, status: int
) -> None:
    sim, parts = make_guild()
    sim.missing_permissions_status = status
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START, speed=600))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule(when="in 1 minute")
    await cafe.join(session_id, cafe.people[0])
    sim.set_role_permissions(sim.bot_role_id, 0)  # the bot may no longer make channels

    deadline = asyncio.get_running_loop().time() + 20
    while not any(s.kind == "open" and s.status == "failed"
                  for s in await StepRepo(bot.db).for_session(session_id)):  # fmt: skip
        assert asyncio.get_running_loop().time() < deadline, "the opening step never failed"
        await asyncio.sleep(0.02)
    await sim.settle()
    warnings = [m.content for m in sim.messages(cafe.organisers) if "didn't happen" in m.content]
    assert warnings and all("Manage Channels" in text for text in warnings), warnings
    await sim.disconnect(bot)
