"""Durable steps: timed work of any kind, stored so it survives a restart and runs at most once.

The table is the truth; the scheduler's jobs are only alarms rebuilt from it. A step is claimed
with a conditional UPDATE before it runs, so two alarms for one step can never run it twice; a
step a restart interrupted goes back to pending, marked, and its handler resumes it from what
the café recorded of its effects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.models import Step
from bot.core.timeline import Misfire, PlannedStep
from bot.store.db import Database, Row, Tx, db_time, placeholders

FINISHED = frozenset({"done", "skipped", "failed"})
MAX_KIND_LENGTH = 64


def payload_text(payload: Mapping[str, object]) -> str:
    """The one text form of a payload: keys sorted and compact, so equal payloads are equal text
    (the table's one-live-step rule and re-timing both compare it)."""
    if not isinstance(payload, Mapping) or not all(isinstance(key, str) for key in payload):
        raise ValueError("a step's payload must be a JSON object with text keys")
    try:
        return json.dumps(dict(payload), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a step's payload must hold only JSON values ({exc})") from exc


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not 1 <= len(kind) <= MAX_KIND_LENGTH:
        raise ValueError(f"a step's kind must be a name of 1 to {MAX_KIND_LENGTH} characters, not {kind!r}")
    return str(kind)


def step_from_row(row: Row) -> Step:
    return Step(
        id=row["id"],
        session_id=row["session_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        due_at=db_time(row["due_at"]),
        status=row["status"],
        misfire=Misfire(row["misfire"]),
    )


async def insert_planned(tx: Tx, session_id: int | None, steps: Sequence[PlannedStep]) -> None:
    """Store planned steps inside a caller's transaction (a café's steps land with the café)."""
    await tx.executemany(
        "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) VALUES ($1, $2, $3, $4, $5)",
        [(session_id, check_kind(s.kind), payload_text(s.payload), s.due_at, Misfire(s.misfire).value)
         for s in steps],
    )


async def insert_one(tx: Tx, session_id: int | None, step: PlannedStep) -> int:
    """Store one step inside a caller's transaction (with the change it times), returning its id."""
    row = await tx.fetch_one(
        "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id",
        (session_id, check_kind(step.kind), payload_text(step.payload), step.due_at, Misfire(step.misfire).value),
    )
    assert row is not None
    return int(row[0])


async def retime_pending(tx: Tx, session_id: int, steps: Sequence[PlannedStep]) -> None:
    """Move a café's later steps, each found by its kind and payload, to their new times. One that
    is no longer live (skipped while the café had not opened, say) is stored again, so a café
    opened late by hand still moves on by itself."""
    for step in steps:
        text = payload_text(step.payload)
        changed = await tx.execute(
            "UPDATE scheduled_steps SET due_at = $1 WHERE session_id = $2 AND kind = $3 AND payload = $4 "
            "AND status = 'pending'",
            (step.due_at, session_id, step.kind, text),
        )
        if changed == 0:
            await tx.execute(
                "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) SELECT $1, $2, $3, $4, $5 "
                "WHERE NOT EXISTS (SELECT 1 FROM scheduled_steps WHERE session_id = $1 AND kind = $2 AND payload = $3 "
                "AND status IN ('pending', 'running', 'done'))",
                (session_id, check_kind(step.kind), text, step.due_at, Misfire(step.misfire).value),
            )


class StepRepo:
    """Any feature's durable steps: add, read back, claim, finish."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, kind: str, due_at: datetime, *, misfire: Misfire, payload: Mapping[str, object] | None = None,
                  session_id: int | None = None) -> Step:
        """Store one step. A second live step with the same café, kind and payload is refused
        (`IntegrityError`) rather than run twice."""
        values = (session_id, check_kind(kind), payload_text(payload or {}), due_at, Misfire(misfire).value)
        async with self.db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) VALUES ($1, $2, $3, $4, $5) "
                "RETURNING id",
                values,
            )
            assert row is not None
            step_id = int(row[0])
        step = await self.get(step_id)
        assert step is not None
        return step

    async def get(self, step_id: int) -> Step | None:
        row = await self.db.fetch_one("SELECT * FROM scheduled_steps WHERE id = $1", (step_id,))
        return step_from_row(row) if row else None

    async def pending(self) -> list[Step]:
        """Every pending step, for the one full reconcile at start-up."""
        rows = await self.db.fetch_all("SELECT * FROM scheduled_steps WHERE status = 'pending' ORDER BY due_at, id")
        return [step_from_row(r) for r in rows]

    async def pending_for(self, session_id: int) -> list[Step]:
        """One café's pending steps (indexed), so reconciling a café costs the same however many
        other cafés are scheduled."""
        rows = await self.db.fetch_all(
            "SELECT * FROM scheduled_steps WHERE session_id = $1 AND status = 'pending' ORDER BY due_at, id",
            (session_id,),
        )
        return [step_from_row(r) for r in rows]

    async def for_session(self, session_id: int) -> list[Step]:
        """A café's steps in every status, in the order they fall due."""
        rows = await self.db.fetch_all(
            "SELECT * FROM scheduled_steps WHERE session_id = $1 ORDER BY due_at, id", (session_id,)
        )
        return [step_from_row(r) for r in rows]

    async def claim(self, step_id: int) -> Step | None:
        """Take a pending step for running; None if another run (or an earlier life) took it."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE scheduled_steps SET status = 'running', claimed_at = $1 WHERE id = $2 AND status = 'pending'",
                (self.db.now(), step_id),
            )
            if changed != 1:
                return None
        return await self.get(step_id)

    async def finish(self, step_id: int, status: str, note: str = "") -> None:
        if status not in FINISHED:
            raise ValueError(f"a step finishes as one of {sorted(FINISHED)}, not {status!r}")
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE scheduled_steps SET status = $1, finished_at = $2, note = $3 WHERE id = $4",
                (status, self.db.now(), note, step_id),
            )

    async def recover_interrupted(self) -> int:
        """Steps a crash left 'running' go back to pending, due now and marked interrupted: each
        kind's handler resumes from what its café recorded (finishing what is missing, repeating
        nothing), and the hosts are told once that a restart came in the middle."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            return await tx.execute(
                "UPDATE scheduled_steps SET status = 'pending', claimed_at = NULL, interrupted = 1, "
                "due_at = CASE WHEN due_at < $1 THEN due_at ELSE $1 END, note = 'interrupted by a restart' "
                "WHERE status = 'running'",
                (now,),
            )

    async def interrupted(self, step_id: int) -> bool:
        """Whether a restart came in the middle of this step (so it resumes, looking Discord up)."""
        row = await self.db.fetch_one("SELECT interrupted FROM scheduled_steps WHERE id = $1", (step_id,))
        return bool(row and row[0])

    async def claim_for(self, session_id: int, kind: str, payload: Mapping[str, object]) -> Step | None:
        """A command acting by hand takes the same step record the timer would run, so the timer
        finds it taken (and a crash mid-way leaves it 'running', to be resumed on restart). A café
        step with no live record (planned long ago, or already finished) gets one, due now.
        None only when the step is already running (an earlier life, not yet recovered)."""
        text, now = payload_text(payload), self.db.now()
        async with self.db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT id, status FROM scheduled_steps WHERE session_id = $1 AND kind = $2 AND payload = $3 "
                "AND status IN ('pending', 'running')", (session_id, check_kind(kind), text))
            if row is not None and row[1] == "running":
                return None
            if row is not None:
                step_id = int(row[0])
                await tx.execute("UPDATE scheduled_steps SET status = 'running', claimed_at = $1 WHERE id = $2",
                                 (now, step_id))
            else:
                inserted = await tx.fetch_one(
                    "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire, status, claimed_at) "
                    "VALUES ($1, $2, $3, $4, $5, 'running', $4) RETURNING id",
                    (session_id, kind, text, now, Misfire.RUN_IF_RUNNING.value),
                )
                assert inserted is not None
                step_id = int(inserted[0])
        return await self.get(step_id)

    async def shift_pending(self, session_id: int, kinds: Sequence[str], by: timedelta) -> list[Step]:
        """Move a café's pending steps of these kinds later by `by` (a round given more time): the
        steps as they are now due. Times are moved in Python, so the SQL stays portable."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT * FROM scheduled_steps WHERE session_id = $1 AND status = 'pending' "
                f"AND kind IN ({placeholders(len(kinds), start=2)})",
                (session_id, *kinds),
            )
            steps = [step_from_row(row) for row in rows]
            for step in steps:
                await tx.execute("UPDATE scheduled_steps SET due_at = $1 WHERE id = $2 AND status = 'pending'",
                                 (step.due_at + by, step.id))
        return [replace(step, due_at=step.due_at + by) for step in steps]

    async def release(self, step_id: int) -> None:
        """A step taken by hand that failed goes back to waiting: its timer can still carry it on."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE scheduled_steps SET status = 'pending', claimed_at = NULL WHERE id = $1 AND status = 'running'",
                (step_id,),
            )
