"""Captured contributions: idempotent on the Discord message id, erasable per person."""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import to_iso
from bot.store.db import Database


class ContributionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        *,
        session_id: int,
        room_id: int | None,
        round_number: int,
        participant_id: int,
        pseudonym: str,
        message_id: int,
        channel_id: int,
        created_at: datetime,
        text: str,
        reply_to_message_id: int | None,
    ) -> bool:
        """Store one contribution; False when the message was already captured (backfill overlap)."""
        async with self.db.transaction() as conn:
            reply_to: int | None = None
            if reply_to_message_id is not None:
                async with conn.execute(
                    "SELECT id FROM contributions WHERE message_id = ?", (str(reply_to_message_id),)
                ) as cur:
                    row = await cur.fetchone()
                reply_to = int(row[0]) if row else None
            # A withdrawal recorded after the message was written erases it, even one that landed
            # while the caller was checking consent: checked here, under the write lock.
            cur = await conn.execute(
                """
                INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, message_id,
                                           channel_id, created_at, text, reply_to_id)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                WHERE NOT EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = ? AND participant_id = ?
                                  AND choice = 'withdraw' AND recorded_at > ?)
                ON CONFLICT (message_id) DO NOTHING
                """,
                (session_id, room_id, round_number, participant_id, pseudonym, str(message_id), str(channel_id),
                 to_iso(created_at), text, reply_to, session_id, participant_id, to_iso(created_at)),
            )
            return cur.rowcount == 1

    async def owner(self, message_id: int) -> tuple[int, int] | None:
        """(session id, participant id) of a captured message, or None if it was never kept."""
        row = await self.db.fetch_one(
            "SELECT session_id, participant_id FROM contributions WHERE message_id = ?", (str(message_id),)
        )
        return (int(row[0]), int(row[1])) if row else None

    async def update_text(self, message_id: int, text: str) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE contributions SET text = ?, edited = 1 WHERE message_id = ?", (text, str(message_id))
            )
            return cur.rowcount == 1

    async def delete_message(self, message_id: int) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM contributions WHERE message_id = ?", (str(message_id),))
            return cur.rowcount == 1

    async def set_key_point(self, message_id: int, key_point: bool, theme: str | None) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE contributions SET key_point = ?, theme = ? WHERE message_id = ?",
                (int(key_point), theme, str(message_id)),
            )
            return cur.rowcount == 1

    async def count(self, session_id: int) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) FROM contributions WHERE session_id = ?", (session_id,))
        return int(row[0]) if row else 0

    async def texts(self, session_id: int) -> list[tuple[str, str]]:
        """(pseudonym, text) in order: for tests and the rehearsal's check, never for export."""
        rows = await self.db.fetch_all(
            "SELECT pseudonym, text FROM contributions WHERE session_id = ? ORDER BY created_at, id", (session_id,)
        )
        return [(r[0], r[1]) for r in rows]
