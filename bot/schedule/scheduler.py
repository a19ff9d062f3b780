"""APScheduler over the steps table: the database says what is due, the scheduler only wakes us.

Jobs are rebuilt from the pending steps at start-up (reconcile). A job claims its step with a
conditional UPDATE before doing anything, so each step runs at most once, across restarts and
even if two jobs for it were ever queued.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.clock import Clock
from bot.core.models import Step
from bot.core.timeline import should_run
from bot.store.sessions import SessionRepo

log = logging.getLogger(__name__)

StepRunner = Callable[[Step], Awaitable[None]]


class StepScheduler:
    def __init__(self, sessions: SessionRepo, clock: Clock, runner: StepRunner) -> None:
        self.sessions = sessions
        self.clock = clock
        self.runner = runner
        self._scheduler = AsyncIOScheduler(timezone="UTC")

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    async def start(self) -> None:
        """Start, after marking steps a crash left half-done. Jobs are queued by `reconcile`,
        which the bot calls once it has backfilled what was missed while it was away."""
        interrupted = await self.sessions.recover_interrupted_steps()
        if interrupted:
            log.warning("%s step(s) were interrupted by a restart and will not run again", interrupted)
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def reconcile(self, session_id: int | None = None) -> None:
        """Make the queued jobs match the pending steps (all, or one session's)."""
        pending = await self.sessions.pending_steps()
        wanted = {f"step-{s.id}": s for s in pending if session_id is None or s.session_id == session_id}
        for job in self._scheduler.get_jobs():
            if not job.id.startswith("step-"):
                continue
            step_session = job.kwargs.get("session_id")
            if job.id not in wanted and (session_id is None or step_session == session_id):
                job.remove()
        for job_id, step in wanted.items():
            self._scheduler.add_job(
                self._fire,
                "date",
                run_date=self.clock.to_wall(step.due_at),
                id=job_id,
                kwargs={"step_id": step.id, "session_id": step.session_id},
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
            )

    def add_daily(self, job_id: str, func: Callable[[], Awaitable[None]]) -> None:
        """A housekeeping job (retention) once a day, first run a minute after start."""
        self._scheduler.add_job(
            func, "interval", days=1, id=job_id, replace_existing=True,
            next_run_time=self.clock.to_wall(self.clock.now()) + timedelta(minutes=1),
        )

    def pending_job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    async def _fire(self, step_id: int, session_id: int) -> None:
        step = await self.sessions.claim_step(step_id)
        if step is None:
            return
        session = await self.sessions.get(session_id)
        if session is None or not should_run(step.misfire, step.due_at, self.clock.now(), session.state):
            await self.sessions.finish_step(step_id, "skipped", "late or no longer needed")
            return
        try:
            await self.runner(step)
        except Exception as exc:
            log.exception("step %s (%s of café #%s) failed", step_id, step.kind.value, session_id)
            await self.sessions.finish_step(step_id, "failed", str(exc)[:200])
            return
        await self.sessions.finish_step(step_id, "done")
