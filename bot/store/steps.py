"""Durable steps: timed work of any kind, stored so it survives a restart and runs at most once.

The table is the truth; the scheduler's jobs are only alarms rebuilt from it. A step is claimed
with a conditional UPDATE before it runs, so two alarms for one step (or a restart mid-way) can
never run it twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from bot.core.clock import from_iso, to_iso
from bot.core.models import Step
from bot.core.timeline import Misfire, PlannedStep
from bot.store.db import Database

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


def step_from_row(row: aiosqlite.Row) -> Step:
    return Step(
        id=row["id"],
        session_id=row["session_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        due_at=from_iso(row["due_at"]),
        status=row["status"],
        misfire=Misfire(row["misfire"]),
    )


async def insert_planned(conn: aiosqlite.Connection, session_id: int | None, steps: Sequence[PlannedStep]) -> None:
    """Store planned steps inside a caller's transaction (a café's steps land with the café)."""
    await conn.executemany(
        "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) VALUES (?, ?, ?, ?, ?)",
        [(session_id, check_kind(s.kind), payload_text(s.payload), to_iso(s.due_at), Misfire(s.misfire).value)
         for s in steps],
    )


async def retime_pending(conn: aiosqlite.Connection, session_id: int, steps: Sequence[PlannedStep]) -> None:
    """Move a café's pending steps, each found by its kind and payload, to their new times."""
    await conn.executemany(
        "UPDATE scheduled_steps SET due_at = ? WHERE session_id = ? AND kind = ? AND payload = ? "
        "AND status = 'pending'",
        [(to_iso(s.due_at), session_id, s.kind, payload_text(s.payload)) for s in steps],
    )


class StepRepo:
    """Any feature's durable steps: add, read back, claim, finish."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, kind: str, due_at: datetime, *, misfire: Misfire, payload: Mapping[str, object] | None = None,
                  session_id: int | None = None) -> Step:
        """Store one step. A second live step with the same café, kind and payload is refused
        (sqlite3.IntegrityError) rather than run twice."""
        values = (session_id, check_kind(kind), payload_text(payload or {}), to_iso(due_at), Misfire(misfire).value)
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO scheduled_steps (session_id, kind, payload, due_at, misfire) VALUES (?, ?, ?, ?, ?)",
                values,
            )
            step_id = int(cur.lastrowid or 0)
        step = await self.get(step_id)
        assert step is not None
        return step

    async def get(self, step_id: int) -> Step | None:
        row = await self.db.fetch_one("SELECT * FROM scheduled_steps WHERE id = ?", (step_id,))
        return step_from_row(row) if row else None

    async def pending(self) -> list[Step]:
        """Every pending step, for the one full reconcile at start-up."""
        rows = await self.db.fetch_all("SELECT * FROM scheduled_steps WHERE status = 'pending' ORDER BY due_at, id")
        return [step_from_row(r) for r in rows]

    async def pending_for(self, session_id: int) -> list[Step]:
        """One café's pending steps (indexed), so reconciling a café costs the same however many
        other cafés are scheduled."""
        rows = await self.db.fetch_all(
            "SELECT * FROM scheduled_steps WHERE session_id = ? AND status = 'pending' ORDER BY due_at, id",
            (session_id,),
        )
        return [step_from_row(r) for r in rows]

    async def for_session(self, session_id: int) -> list[Step]:
        """A café's steps in every status, in the order they fall due."""
        rows = await self.db.fetch_all(
            "SELECT * FROM scheduled_steps WHERE session_id = ? ORDER BY due_at, id", (session_id,)
        )
        return [step_from_row(r) for r in rows]

    async def claim(self, step_id: int) -> Step | None:
        """Take a pending step for running; None if another run (or an earlier life) took it."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE scheduled_steps SET status = 'running', claimed_at = ? WHERE id = ? AND status = 'pending'",
                (self.db.now_iso(), step_id),
            )
            if cur.rowcount != 1:
                return None
        return await self.get(step_id)

    async def finish(self, step_id: int, status: str, note: str = "") -> None:
        if status not in FINISHED:
            raise ValueError(f"a step finishes as one of {sorted(FINISHED)}, not {status!r}")
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE scheduled_steps SET status = ?, finished_at = ?, note = ? WHERE id = ?",
                (status, self.db.now_iso(), note, step_id),
            )

    async def recover_interrupted(self) -> int:
        """Steps left 'running' by a crash are marked failed, never re-run: at most once beats twice."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE scheduled_steps SET status = 'failed', finished_at = ?, note = 'interrupted by a restart' "
                "WHERE status = 'running'",
                (self.db.now_iso(),),
            )
            return cur.rowcount
