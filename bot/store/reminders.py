"""Who asked not to be reminded: for one café, or for every café on a server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.store.db import Tx
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


class ReminderOptOuts(PersonalData):
    """Kept by Discord id: a server-wide opt-out belongs to no café, so it holds no session."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"reminder_optouts": ("discord_user_id",)}

    async def stop(self, guild_id: int, discord_user_id: int, session_id: int | None) -> None:
        """Stop reminders for one café (`session_id`) or the whole server (None); twice is once."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO reminder_optouts (guild_id, discord_user_id, session_id, at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT DO NOTHING",
                (guild_id, discord_user_id, session_id, self.db.now()),
            )

    async def stopped(self, guild_id: int, session_id: int) -> set[int]:
        """Discord ids of everyone who stopped reminders for this café or its whole server."""
        rows = await self.db.fetch_all(
            "SELECT discord_user_id FROM reminder_optouts "
            "WHERE guild_id = $1 AND (session_id IS NULL OR session_id = $2)",
            (guild_id, session_id),
        )
        return {int(r[0]) for r in rows}

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        where, params = scope.guild()
        changed = await tx.execute(f"DELETE FROM reminder_optouts WHERE discord_user_id = $1 AND {where}",
                                 (person.discord_user_id, *params))
        return {"reminder_optouts": changed}

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        where, params = scope.guild()
        rows = await self.db.fetch_all(
            f"SELECT guild_id, session_id, at FROM reminder_optouts WHERE discord_user_id = $1 AND {where} ORDER BY at",
            (person.discord_user_id, *params),
        )
        return {"reminder_optouts": [dict(r) for r in rows]}

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        return set()
