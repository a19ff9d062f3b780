"""Support requests: who asked, where and when — never what they said."""

from __future__ import annotations

from bot.store.db import Database
from bot.store.people import PeopleRepo


class SupportRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.people = PeopleRepo(db)

    async def record(self, session_id: int, room_id: int | None, discord_user_id: int) -> int:
        async with self.db.transaction() as conn:
            person = await self.people.ensure_participant(conn, discord_user_id)
            cur = await conn.execute(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at) VALUES (?, ?, ?, ?)",
                (session_id, room_id, person, self.db.now_iso()),
            )
            return int(cur.lastrowid or 0)
