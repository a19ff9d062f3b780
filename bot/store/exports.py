"""What the exports table remembers (when, what and where, never whose words) and what a café holds
for an export at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database


@dataclass(frozen=True)
class Recorded:
    """Why an export of one café could be empty: the facts, counted."""

    words: int
    rounds_run: int
    records: int
    withdrawals: int
    feedback_answers: int


class ExportRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, guild_id: int | None, scope: str, formats: str, rows: int, made_at: datetime,
                     location: str) -> int:
        async with self.db.transaction() as tx:
            row = await tx.fetch_one(
                "INSERT INTO exports (guild_id, scope, formats, rows, made_at, location) "
                "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                (guild_id, scope, formats, rows, made_at, location),
            )
            assert row is not None
            return int(row[0])

    async def recorded(self, session_id: int) -> Recorded:
        row = await self.db.fetch_one(
            "SELECT (SELECT COUNT(*) FROM contributions WHERE session_id = $1) AS words, "
            "(SELECT COUNT(*) FROM rounds WHERE session_id = $1 AND started_at IS NOT NULL) AS rounds_run, "
            "(SELECT COUNT(*) FROM consent_ledger WHERE session_id = $1 AND choice = 'record') AS records, "
            "(SELECT COUNT(*) FROM consent_ledger WHERE session_id = $1 AND choice = 'withdraw') AS withdrawals, "
            "(SELECT COUNT(*) FROM feedback_answers WHERE session_id = $1) AS feedback_answers",
            (session_id,),
        )
        assert row is not None, "an aggregate query always returns a row"
        return Recorded(row["words"], row["rounds_run"], row["records"], row["withdrawals"], row["feedback_answers"])
