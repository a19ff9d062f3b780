"""A feature's own kind of durable step (issue 7): registered by a cog, stored with its payload,
run exactly once whether it falls due before a restart, while the bot is down, or after."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from cafe_harness import make_guild, make_settings, start_bot
from discord.ext import commands

from bot.bot import BletherBot
from bot.core.clock import CompressedClock
from bot.core.models import Step
from bot.core.timeline import Misfire
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo

KIND = "test_chime"


class Chimes(commands.Cog):
    """A feature as Blether's features are: a cog that registers the kind of step it owns."""

    def __init__(self, bot: BletherBot, rang: list[tuple[int, dict[str, object]]]) -> None:
        self.bot = bot
        self.rang = rang

    async def cog_load(self) -> None:
        self.bot.step_kinds.register(KIND, self.chime)

    async def cog_unload(self) -> None:
        self.bot.step_kinds.unregister(KIND)

    async def chime(self, step: Step) -> None:
        self.rang.append((step.id, step.payload))


def bot_with_chimes(rang: list[tuple[int, dict[str, object]]]) -> type[BletherBot]:
    class ChimeBot(BletherBot):
        async def setup_hook(self) -> None:
            await super().setup_hook()
            await self.add_cog(Chimes(self, rang))

    return ChimeBot


async def _wait_done(steps: StepRepo, step_id: int, seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while (step := await steps.get(step_id)) is None or step.status == "pending" or step.status == "running":
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_step_kind_registered_by_a_feature_runs_once_across_restarts(tmp_path: Path) -> None:
    rang: list[tuple[int, dict[str, object]]] = []
    sim, _ = make_guild()
    settings = make_settings(tmp_path)
    clock = CompressedClock(origin=DEFAULT_START, speed=600)  # a café-minute is a tenth of a second
    bot = await start_bot(sim, settings, clock=clock, bot_class=bot_with_chimes(rang))
    assert bot.scheduler is not None
    start = clock.now()

    async def chime_at(minutes: int, n: int, misfire: Misfire = Misfire.RUN_IF_RUNNING) -> int:
        assert bot.scheduler is not None
        step = await bot.scheduler.add(KIND, start + timedelta(minutes=minutes), misfire=misfire, payload={"n": n})
        return step.id

    before = await chime_at(1, 1)  # due while the first bot runs
    during = await chime_at(30, 2)  # due while no bot runs; still wanted late
    missed = await chime_at(20, 3, Misfire.SKIP_IF_LATE)  # due while no bot runs; pointless late
    after = await chime_at(60, 4)  # due after the restart
    await _wait_done(StepRepo(bot.db), before)
    assert rang == [(before, {"n": 1})]
    await sim.disconnect(bot)

    # Back 40 café-minutes after the start: two chimes fell due while the bot was away.
    later = CompressedClock(origin=DEFAULT_START + timedelta(minutes=40), speed=600)
    bot = await start_bot(sim, settings, clock=later, bot_class=bot_with_chimes(rang))
    steps = StepRepo(bot.db)
    for step_id in (during, missed, after):
        await _wait_done(steps, step_id)
    await sim.settle()
    await sim.disconnect(bot)

    # A third life finds nothing left to do.
    bot = await start_bot(sim, settings, clock=later, bot_class=bot_with_chimes(rang))
    await asyncio.sleep(0.2)
    await sim.settle()
    assert sorted(rang, key=lambda r: r[0]) == [(before, {"n": 1}), (during, {"n": 2}), (after, {"n": 4})]
    status = {s: (await StepRepo(bot.db).get(s)).status for s in (before, during, missed, after)}  # type: ignore[union-attr]
    assert status == {before: "done", during: "done", missed: "skipped", after: "done"}
    assert bot.scheduler is not None and not [j for j in bot.scheduler.pending_job_ids() if j.startswith("step-")]
    await sim.disconnect(bot)


async def test_a_reloaded_feature_registers_its_kind_again(tmp_path: Path) -> None:
    rang: list[tuple[int, dict[str, object]]] = []
    sim, _ = make_guild()
    bot = await start_bot(sim, make_settings(tmp_path), bot_class=bot_with_chimes(rang))
    assert bot.step_kinds.handles(KIND)
    await bot.remove_cog("Chimes")
    assert not bot.step_kinds.handles(KIND)
    await bot.add_cog(Chimes(bot, rang))
    assert bot.step_kinds.handles(KIND)
    await sim.disconnect(bot)
