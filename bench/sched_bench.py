"""Scheduler: reconcile 1,000 cafés at start, the cost of scheduling one more, and step lateness.

- Reconcile: `StepScheduler.start()` + the full `reconcile()` over a database of 1,000 scheduled
  cafés (each with its plan's steps), against the ceiling of bare APScheduler: the same pending
  rows read with one SELECT and queued as `date` jobs.
- Scheduling cost: storing a café with its steps and reconciling its jobs, for the last 50 of the
  1,000 against the first 50 (the ceiling): flat means 1.0.
- Lateness: 200 steps due over one second, run through the scheduler's claim, misfire policy and
  finish, against bare APScheduler jobs at the same moments; p50 and p99 of how late each began.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from common import Figure, percentile

from bot.core.clock import RealClock
from bot.core.models import Step
from bot.core.plan import parse_plan
from bot.core.timeline import Misfire, plan_steps
from bot.schedule.scheduler import StepScheduler
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.store.db import Database, db_time, open_database
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

CAFES = 1000
EDGE = 50


class Recorder:
    """Runs every kind: notes how late each step began."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self.clock = RealClock()

    def handles(self, kind: str) -> bool:
        return True

    async def run(self, step: Step) -> str | None:
        self.late.append((self.clock.now() - step.due_at).total_seconds())
        return None


async def build(db: Database, cafes: int, guild_id: int = 222222222222222222) -> list[float]:
    """`cafes` cafés a week or more ahead, each stored and its jobs reconciled; seconds per café."""
    plan_path = DEFAULT_PLANS_DIR / "whats-next-for-recovery" / "plan.yaml"
    plan = parse_plan(plan_path.read_text(encoding="utf-8"), source=str(plan_path))
    sessions = SessionRepo(db)
    scheduler = StepScheduler(StepRepo(db), sessions, db.clock, Recorder())
    await scheduler.start()
    await scheduler.reconcile()
    now = db.clock.now()
    costs: list[float] = []
    try:
        for n in range(cafes):
            starts = now + timedelta(days=7, minutes=17 * n)
            began = time.perf_counter()
            session_id = await sessions.create(
                guild_id=guild_id, series=f"series-{n % 40}", plan_id=plan.id, plan_title=plan.title,
                plan_snapshot=plan.to_snapshot(), starts_at=starts, timezone="Europe/London",
                room_size=plan.room_size, rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
                steps=plan_steps(starts, [r.minutes for r in plan.rounds], now), actor_id=1,
            )
            await scheduler.reconcile(session_id)
            costs.append(time.perf_counter() - began)
    finally:
        scheduler.shutdown()
    return costs


async def reconcile_ours(db: Database) -> tuple[float, int]:
    scheduler = StepScheduler(StepRepo(db), SessionRepo(db), db.clock, Recorder())
    began = time.perf_counter()
    await scheduler.start()
    await scheduler.reconcile()
    seconds = time.perf_counter() - began
    jobs = len(scheduler.pending_job_ids())
    scheduler.shutdown()
    return seconds, jobs


async def reconcile_bare(db: Database) -> tuple[float, int]:
    scheduler = AsyncIOScheduler(timezone="UTC")
    began = time.perf_counter()
    scheduler.start()
    for row in await db.fetch_all("SELECT id, due_at FROM scheduled_steps WHERE status = 'pending'"):
        scheduler.add_job(_noop, "date", run_date=db_time(row[1]), id=f"step-{row[0]}", misfire_grace_time=None,
                          coalesce=True, replace_existing=True)
    seconds = time.perf_counter() - began
    jobs = len(scheduler.get_jobs())
    scheduler.shutdown(wait=False)
    return seconds, jobs


async def _noop() -> None:
    return None


async def lateness_ours(db: Database, steps: int, spread: float) -> list[float]:
    recorder = Recorder()
    scheduler = StepScheduler(StepRepo(db), SessionRepo(db), db.clock, recorder)
    await scheduler.start()
    await scheduler.reconcile()
    first = db.clock.now() + timedelta(seconds=0.5)
    for n in range(steps):
        await scheduler.add("bench", first + timedelta(seconds=spread * n / steps), misfire=Misfire.RUN_IF_RUNNING,
                            payload={"n": n, "at": first.isoformat()})
    await _until(lambda: len(recorder.late) >= steps, spread + 30)
    await _until_finished(db)
    scheduler.shutdown()
    return recorder.late


async def lateness_bare(db: Database, steps: int, spread: float) -> list[float]:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.start()
    for row in await db.fetch_all("SELECT id, due_at FROM scheduled_steps WHERE status = 'pending'"):
        scheduler.add_job(_noop, "date", run_date=db_time(row[1]), id=f"step-{row[0]}", misfire_grace_time=None)
    late: list[float] = []

    async def fire(due: datetime) -> None:
        late.append((datetime.now(UTC) - due).total_seconds())

    first = datetime.now(UTC) + timedelta(seconds=0.5)
    for n in range(steps):
        due = first + timedelta(seconds=spread * n / steps)
        scheduler.add_job(fire, "date", run_date=due, args=[due], id=f"bare-{n}", misfire_grace_time=None)
    await _until(lambda: len(late) >= steps, spread + 30)
    scheduler.shutdown(wait=False)
    return late


async def _until(done: Callable[[], bool], within: float) -> None:
    """Poll (the jobs' own loop is what is measured, so nothing here may wake it)."""
    deadline = time.perf_counter() + within
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the scheduled jobs did not all run")
        await asyncio.sleep(0.01)


async def _until_finished(db: Database) -> None:
    """The last steps are being marked done after their run."""
    for _ in range(3000):
        row = await db.fetch_one("SELECT COUNT(*) FROM scheduled_steps WHERE kind = 'bench' AND status != 'done'")
        if row is None or not row[0]:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("the steps were not all marked done")


async def measure(rounds: int, cafes: int, steps: int) -> list[Figure]:
    logging.disable(logging.WARNING)
    reconcile = Figure(f"reconcile {cafes:,} cafés at start", "s", target="≤ 1.5×")
    flat = Figure(f"scheduling café #{cafes - EDGE + 1}–{cafes} vs #1–{EDGE}", "ms", target="flat (1.0)")
    p50 = Figure("step lateness p50", "ms")
    p99 = Figure("step lateness p99", "ms")
    with tempfile.TemporaryDirectory(prefix="blether-bench-sched-") as tmp:
        async with open_database(Path(tmp) / "sched.sqlite3") as db:
            costs = await build(db, cafes)
            edge = min(EDGE, len(costs) // 2)
            flat.add(statistics.median(costs[-edge:]) * 1000, statistics.median(costs[:edge]) * 1000)
            jobs = 0
            for _ in range(rounds):
                (ours, jobs), (bare, bare_jobs) = await reconcile_ours(db), await reconcile_bare(db)
                if jobs != bare_jobs:
                    raise AssertionError(f"{jobs} jobs queued, bare APScheduler {bare_jobs}")
                reconcile.add(ours, bare)
                late_ours = await lateness_ours(db, steps, 1.0)
                late_bare = await lateness_bare(db, steps, 1.0)
                async with db.transaction() as tx:
                    await tx.execute("DELETE FROM scheduled_steps WHERE kind = 'bench'")
                p50.add(percentile(late_ours, 50) * 1000, percentile(late_bare, 50) * 1000)
                p99.add(percentile(late_ours, 99) * 1000, percentile(late_bare, 99) * 1000)
            reconcile.note = f"{jobs:,} jobs"
    return [reconcile, flat, p50, p99]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cafes", type=int, default=CAFES)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    for figure in asyncio.run(measure(args.rounds, args.cafes, args.steps)):
        print(figure.line())


if __name__ == "__main__":
    main()
