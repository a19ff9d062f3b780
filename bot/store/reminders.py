"""Who asked not to be reminded: for one café, or for every café on a server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import aiosqlite

from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


class ReminderOptOuts(PersonalData):
    """Kept by Discord id: a server-wide opt-out belongs to no café, so it holds no session."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"reminder_optouts": ("discord_user_id",)}

    async def stop(self, guild_id: int, discord_user_id: int, session_id: int | None) -> None:
        """Stop reminders for one café (`session_id`) or the whole server (None); twice is once."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO reminder_optouts (guild_id, discord_user_id, session_id, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (str(guild_id), str(discord_user_id), session_id, self.db.now_iso()),
            )

    async def stopped(self, guild_id: int, session_id: int) -> set[int]:
        """Discord ids of everyone who stopped reminders for this café or its whole server."""
        rows = await self.db.fetch_all(
            "SELECT discord_user_id FROM reminder_optouts "
            "WHERE guild_id = ? AND (session_id IS NULL OR session_id = ?)",
            (str(guild_id), session_id),
        )
        return {int(r[0]) for r in rows}

    async def erase_person(self, conn: aiosqlite.Connection, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        where, params = scope.guild()
        cur = await conn.execute(f"DELETE FROM reminder_optouts WHERE discord_user_id = ? AND {where}",
                                 (str(person.discord_user_id), *params))
        return {"reminder_optouts": cur.rowcount}

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        where, params = scope.guild()
        rows = await self.db.fetch_all(
            f"SELECT guild_id, session_id, at FROM reminder_optouts WHERE discord_user_id = ? AND {where} ORDER BY at",
            (str(person.discord_user_id), *params),
        )
        return {"reminder_optouts": [dict(r) for r in rows]}

    async def sessions_holding(self, conn: aiosqlite.Connection, person: PersonRef) -> set[int]:
        return set()
