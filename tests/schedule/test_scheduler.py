"""The scheduler over the steps table: a café's reconcile reads and touches only that café, a
kind nobody registered fails with a note, and a step of no café runs through its handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ADDED, EVENT_JOB_MODIFIED, EVENT_JOB_REMOVED, JobEvent

from bot.core.clock import RealClock
from bot.core.models import Step
from bot.core.timeline import Misfire, plan_steps
from bot.schedule.scheduler import StepScheduler, job_id
from bot.store.db import Database
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

FAR = datetime(2100, 1, 5, 18, 30, tzinfo=UTC)  # never due while a test runs


class CountingSteps(StepRepo):
    """The real repository, remembering which pending steps each reconcile asked for."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.loads: list[int | None] = []

    async def pending(self) -> list[Step]:
        self.loads.append(None)
        return await super().pending()

    async def pending_for(self, session_id: int) -> list[Step]:
        self.loads.append(session_id)
        return await super().pending_for(session_id)


class Handlers:
    """A runner with a fixed set of kinds, recording what ran."""

    def __init__(self, kinds: dict[str, Callable[[Step], Awaitable[None]]] | None = None) -> None:
        self.kinds = kinds or {}

    def handles(self, kind: str) -> bool:
        return kind in self.kinds

    async def run(self, step: Step) -> None:
        await self.kinds[step.kind](step)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "blether.sqlite3") as database:
        yield database


async def make_cafe(db: Database) -> int:
    return await SessionRepo(db).create(
        guild_id=1, series="s", plan_id="p", plan_title="P", plan_snapshot={"rounds": [{}, {}]}, starts_at=FAR,
        timezone="UTC", room_size=4, rounds=[("a", "A", 20, False), ("b", "B", 20, False)],
        steps=plan_steps(FAR, [20, 20], FAR - timedelta(days=1)), actor_id=1,
    )


async def started(db: Database, runner: Handlers) -> tuple[StepScheduler, CountingSteps]:
    steps = CountingSteps(db)
    scheduler = StepScheduler(steps, SessionRepo(db), RealClock(), runner)
    await scheduler.start()
    return scheduler, steps


async def wait_for_status(steps: StepRepo, step_id: int, status: str) -> Step:
    for _ in range(500):
        step = await steps.get(step_id)
        if step is not None and step.status == status:
            return step
        await asyncio.sleep(0.01)
    raise AssertionError(f"step {step_id} never became {status}")


async def test_reconciling_one_cafe_reads_and_touches_only_that_cafes_steps(db: Database) -> None:
    changed, *others = [await make_cafe(db) for _ in range(3)]
    scheduler, steps = await started(db, Handlers())
    try:
        await scheduler.reconcile()
        assert steps.loads == [None]
        before = {s.id for s in await steps.pending()}
        assert scheduler.pending_job_ids() == sorted(job_id(i) for i in before)

        touched: list[str] = []

        def record(event: JobEvent) -> None:
            touched.append(event.job_id)

        scheduler._scheduler.add_listener(record, EVENT_JOB_ADDED | EVENT_JOB_REMOVED | EVENT_JOB_MODIFIED)
        own = await steps.pending_for(changed)
        gone, moved = own[0], own[1]
        await steps.claim(gone.id)
        await steps.finish(gone.id, "done")
        async with db.transaction() as tx:
            await tx.execute("UPDATE scheduled_steps SET due_at = $1 WHERE id = $2",
                             (FAR + timedelta(minutes=1), moved.id))
        added = await steps.add("chime", FAR, misfire=Misfire.SKIP_IF_LATE, session_id=changed)
        steps.loads.clear()

        await scheduler.reconcile(changed)

        assert steps.loads == [changed]
        assert set(touched) == {job_id(gone.id), job_id(moved.id), job_id(added.id)}
        others_jobs = {job_id(s.id) for o in others for s in await steps.pending_for(o)}
        assert others_jobs <= set(scheduler.pending_job_ids())
        assert job_id(gone.id) not in scheduler.pending_job_ids()

        # Nothing changed: a second reconcile queues nothing again.
        touched.clear()
        await scheduler.reconcile(changed)
        assert touched == []
    finally:
        scheduler.shutdown()


async def test_the_full_reconcile_drops_jobs_whose_steps_are_no_longer_pending(db: Database) -> None:
    cafe = await make_cafe(db)
    scheduler, steps = await started(db, Handlers())
    try:
        await scheduler.reconcile()
        first = (await steps.pending_for(cafe))[0]
        await steps.claim(first.id)
        await steps.finish(first.id, "skipped")
        await scheduler.reconcile()
        assert job_id(first.id) not in scheduler.pending_job_ids()
        assert len(scheduler.pending_job_ids()) == len(await steps.pending())
    finally:
        scheduler.shutdown()


async def test_a_feature_adds_a_step_of_no_cafe_and_its_handler_runs_once(db: Database) -> None:
    ran: list[Step] = []

    async def close_form(step: Step) -> None:
        ran.append(step)

    scheduler, steps = await started(db, Handlers({"feedback_form_close": close_form}))
    try:
        step = await scheduler.add("feedback_form_close", datetime.now(UTC), misfire=Misfire.RUN_IF_RUNNING,
                                   payload={"form": 3})
        await wait_for_status(steps, step.id, "done")
        await scheduler.reconcile()  # a later full reconcile finds nothing left to queue
        await asyncio.sleep(0.05)
        assert [(s.id, s.payload) for s in ran] == [(step.id, {"form": 3})]
        assert scheduler.pending_job_ids() == []
    finally:
        scheduler.shutdown()


async def test_a_step_whose_kind_nobody_registered_fails_with_a_note_and_is_reported_once(
    db: Database, caplog: pytest.LogCaptureFixture,
) -> None:
    steps = StepRepo(db)
    later = await steps.add("removed_feature", FAR, misfire=Misfire.RUN_IF_RUNNING)
    await steps.add("removed_feature", FAR, misfire=Misfire.RUN_IF_RUNNING, payload={"n": 2})
    scheduler, steps = await started(db, Handlers())
    try:
        with caplog.at_level(logging.WARNING, logger="bot.schedule.scheduler"):
            await scheduler.reconcile()
            await scheduler.reconcile()
        reports = [r.getMessage() for r in caplog.records if "no registered handler" in r.getMessage()]
        assert reports == ["2 pending step(s) of kind 'removed_feature' have no registered handler and will fail "
                           "when due"]

        due = await scheduler.add("removed_feature", datetime.now(UTC), misfire=Misfire.RUN_IF_RUNNING,
                                  payload={"n": 3})
        failed = await wait_for_status(steps, due.id, "failed")
        note = await db.fetch_one("SELECT note FROM scheduled_steps WHERE id = $1", (failed.id,))
        assert note is not None and "no handler is registered for 'removed_feature' steps" in note[0]
        assert (await steps.get(later.id)).status == "pending"  # type: ignore[union-attr]
        assert scheduler.running
    finally:
        scheduler.shutdown()
