"""The audit trail of what facilitators and organisers did (never what participants said)."""

from __future__ import annotations

from bot.store.db import Database


class AuditRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, guild_id: int, session_id: int | None, actor_id: int | None, action: str,
                     detail: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (str(guild_id), session_id, str(actor_id) if actor_id is not None else None, action, detail,
                 self.db.now_iso()),
            )
