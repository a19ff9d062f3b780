"""The timeline runs by itself, each step at most once, across a restart (invariant 4)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.core.timeline import SessionState
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo


async def _wait(predicate, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _cafe_on(tmp_path: Path, clock: CompressedClock) -> Cafe:
    """A set-up server whose bot keeps café time on `clock`."""
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=clock)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    return cafe


async def test_a_scheduled_cafe_opens_runs_and_closes_on_time_and_steps_run_once_across_restart(
    tmp_path: Path,
) -> None:
    # Café time runs 600× faster: a 55-minute café takes about six seconds.
    clock = CompressedClock(origin=DEFAULT_START, speed=600)
    cafe = await _cafe_on(tmp_path, clock)
    sim, bot, settings = cafe.sim, cafe.bot, cafe.settings
    session_id = await cafe.schedule(when="in 1 minute")
    for person in cafe.people:
        await cafe.join(session_id, person)

    async def running() -> bool:
        s = await bot.services.cafes.sessions.get(session_id)
        return s is not None and s.current_round >= 1

    await _wait(running)
    await sim.settle()
    rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    assert rooms and all(any("minutes, until" in m.content for m in sim.messages(c)) for c in rooms if c)

    # Restart mid-café: the new bot rebuilds its jobs from the database.
    await sim.disconnect(bot)
    bot = await start_bot(sim, settings, clock=clock)

    async def closed() -> bool:
        s = await bot.services.cafes.sessions.get(session_id)
        return s is not None and s.state is SessionState.CLOSED

    await _wait(closed)
    await sim.settle()
    room = rooms[0]
    assert room is not None
    posts = [m.content for m in sim.messages(room) if m.author_id == sim.bot_user.id]
    for marker in ("Let's start with what is going well", "This round is about what gets in the way",
                   "Now let's imagine"):
        assert sum(marker in p for p in posts) == 1, marker
    assert sum("This café has now closed" in p for p in posts) == 1
    steps = await StepRepo(bot.db).for_session(session_id)
    assert {s.status for s in steps} <= {"done", "skipped", "cancelled"}
    await sim.disconnect(bot)


async def test_a_late_reminder_is_skipped_but_a_late_opening_still_runs(tmp_path: Path) -> None:
    clock = CompressedClock(origin=DEFAULT_START, speed=1)
    cafe = await _cafe_on(tmp_path, clock)
    sim, bot, settings = cafe.sim, cafe.bot, cafe.settings
    session_id = await cafe.schedule(when="in 2 hours")
    await cafe.join(session_id, cafe.people[0])
    await sim.disconnect(bot)

    # The bot was down through the reminder and the start: come back three minutes late.
    late = CompressedClock(origin=DEFAULT_START + timedelta(hours=2, minutes=3), speed=1)
    bot = await start_bot(sim, settings, clock=late)

    async def opened() -> bool:
        s = await bot.services.cafes.sessions.get(session_id)
        return s is not None and s.current_round == 1

    await _wait(opened)
    steps = {s.kind: s.status for s in await StepRepo(bot.db).for_session(session_id)}
    assert steps["reminder"] == "skipped"
    assert steps["open"] == "done"
    assert not any("starts soon" in m.content for m in sim.messages(cafe.announcements))
    await sim.disconnect(bot)


async def test_a_step_that_fails_is_reported_to_the_hosts_not_left_silent(tmp_path: Path) -> None:
    clock = CompressedClock(origin=DEFAULT_START, speed=600)
    cafe = await _cafe_on(tmp_path, clock)
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule(when="in 1 minute")
    await cafe.join(session_id, cafe.people[0])
    sim.set_role_permissions(sim.bot_role_id, 0)  # a common set-up mistake: the bot may not make channels

    async def failed() -> bool:
        steps = await StepRepo(bot.db).for_session(session_id)
        return any(s.kind == "open" and s.status == "failed" for s in steps)

    await _wait(failed)
    await sim.settle()
    warning = [m.content for m in sim.messages(cafe.organisers)]
    assert any("didn't happen" in text and f"/cafe open cafe:{session_id}" in text for text in warning), warning
    await sim.disconnect(bot)
