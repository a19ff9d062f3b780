"""APScheduler over the steps table: the database says what is due, the scheduler only wakes us.

Jobs are rebuilt from the pending steps at start-up (one full reconcile). After that a café's
jobs are reconciled on their own whenever its steps change, reading only its pending steps and
touching only its jobs, so the thousandth café costs what the first did. A job claims its step
with a conditional UPDATE before doing anything, so two queued jobs never run a step twice; a
step a crash left running is put back at start-up and resumed by its handler, which finishes
only the effects its café has not recorded.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import Clock
from bot.core.models import Step
from bot.core.timeline import Misfire, SessionState, should_run
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

log = logging.getLogger(__name__)


class Runner(Protocol):
    """What runs a claimed step (bot/services/steps.py's StepRunner): the scheduler only asks
    whether a kind has a handler, and hands the step over."""

    def handles(self, kind: str) -> bool: ...

    async def run(self, step: Step) -> str | None:
        """None when the step did its work; otherwise why it had nothing to do (stored as skipped)."""
        ...


def job_id(step_id: int) -> str:
    return f"step-{step_id}"


class StepScheduler:
    def __init__(self, steps: StepRepo, sessions: SessionRepo, clock: Clock, runner: Runner) -> None:
        self.steps = steps
        self.sessions = sessions
        self.clock = clock
        self.runner = runner
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        # Which queued job belongs to which café (None: to no café), so one café's reconcile
        # finds its own jobs without looking at anyone else's.
        self._jobs: defaultdict[int | None, set[str]] = defaultdict(set)
        self._reported_kinds: set[str] = set()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    async def start(self) -> None:
        """Start, after putting steps a crash left half-done back to pending (due now, marked
        interrupted) so that each resumes. Jobs are queued by `reconcile`, which the bot calls once
        it has backfilled what was missed while it was away."""
        interrupted = await self.steps.recover_interrupted()
        if interrupted:
            log.warning("%s step(s) were interrupted by a restart and will be resumed", interrupted)
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def add(self, kind: str, due_at: datetime, *, misfire: Misfire,
                  payload: Mapping[str, object] | None = None, session_id: int | None = None) -> Step:
        """Store a step of any registered kind and queue it: how a feature sets a durable timer."""
        step = await self.steps.add(kind, due_at, misfire=misfire, payload=payload, session_id=session_id)
        self.schedule(step)
        return step

    async def reconcile(self, session_id: int | None = None) -> None:
        """Make the queued jobs match the pending steps: one café's, or (at start-up) everyone's."""
        if session_id is None:
            pending = await self.steps.pending()
            self._report_unhandled(pending)
            by_session: defaultdict[int | None, list[Step]] = defaultdict(list)
            for step in pending:
                by_session[step.session_id].append(step)
            for owner in set(self._jobs) | set(by_session):
                self._match(owner, by_session.get(owner, []))
        else:
            self._match(session_id, await self.steps.pending_for(session_id))

    def schedule(self, step: Step) -> None:
        """Queue (or re-time) the job for one stored pending step."""
        key = job_id(step.id)
        run_date = self.clock.to_wall(step.due_at)
        job = self._scheduler.get_job(key)
        if job is not None and getattr(job, "next_run_time", None) == run_date:
            return
        self._scheduler.add_job(
            self._fire,
            "date",
            run_date=run_date,
            id=key,
            kwargs={"step_id": step.id, "session_id": step.session_id},
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        self._jobs[step.session_id].add(key)

    def add_daily(self, job_id: str, func: Callable[[], Awaitable[None]]) -> None:
        """A housekeeping job (retention) once a day, first run a minute after start."""
        self._scheduler.add_job(
            func, "interval", days=1, id=job_id, replace_existing=True,
            next_run_time=self.clock.to_wall(self.clock.now()) + timedelta(minutes=1),
        )

    def pending_job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def _match(self, session_id: int | None, pending: list[Step]) -> None:
        wanted = {job_id(step.id) for step in pending}
        for stale in self._jobs[session_id] - wanted:
            self._unqueue(session_id, stale)
        for step in pending:
            self.schedule(step)
        if not self._jobs[session_id]:
            del self._jobs[session_id]

    def _unqueue(self, session_id: int | None, key: str) -> None:
        self._jobs[session_id].discard(key)
        if self._scheduler.get_job(key) is not None:  # a job that already fired has left by itself
            self._scheduler.remove_job(key)

    def _report_unhandled(self, pending: list[Step]) -> None:
        """Say once, at start-up, which stored kinds no feature claims (a removed or unloaded
        feature): those steps will be marked failed when they fall due, not run."""
        unhandled = Counter(s.kind for s in pending if not self.runner.handles(s.kind))
        for kind, count in sorted(unhandled.items()):
            if kind not in self._reported_kinds:
                self._reported_kinds.add(kind)
                log.warning("%s pending step(s) of kind %r have no registered handler and will fail when due",
                            count, kind)

    async def _fire(self, step_id: int, session_id: int | None) -> None:
        key = job_id(step_id)
        self._jobs[session_id].discard(key)
        if not self._jobs[session_id]:
            del self._jobs[session_id]
        step = await self.steps.claim(step_id)
        if step is None:
            return
        if not self.runner.handles(step.kind):
            log.error("step %s has kind %r, which no feature has registered; marked failed", step_id, step.kind)
            await self.steps.finish(step_id, "failed", f"no handler is registered for {step.kind!r} steps "
                                                       "(was the feature that stored it removed?)")
            return
        state: SessionState | None = None
        if step.session_id is not None:
            session = await self.sessions.get(step.session_id)
            if session is None:
                await self.steps.finish(step_id, "skipped", "its café no longer exists")
                return
            state = session.state
        if not should_run(step.misfire, step.due_at, self.clock.now(), state):
            await self.steps.finish(step_id, "skipped", "late or no longer needed")
            return
        try:
            skipped = await self.runner.run(step)
        except Exception as exc:
            log.exception("step %s (%s, café #%s) failed", step_id, step.kind, step.session_id)
            await self.steps.finish(step_id, "failed", str(exc)[:200])
            return
        if skipped is not None:
            await self.steps.finish(step_id, "skipped", skipped)
        else:
            await self.steps.finish(step_id, "done")
