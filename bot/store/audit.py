"""The audit trail of what facilitators and organisers did (never what participants said)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.store.db import Tx
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


class AuditRepo(PersonalData):
    """Staff actions name the staff member by Discord id. Their erasure unnames the lines and keeps
    them: what was done to a café stays accountable, by whom does not."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"audit": ("actor_id",)}

    async def record(self, guild_id: int, session_id: int | None, actor_id: int | None, action: str,
                     detail: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                (guild_id, session_id, actor_id if actor_id is not None else None, action, detail,
                 self.db.now()),
            )

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        in_scope, params = scope.guild("guild_id")
        changed = await tx.execute(
            f"UPDATE audit SET actor_id = NULL WHERE actor_id = $1 AND {in_scope}",
            (person.discord_user_id, *params),
        )
        return {"audit.actor_id": changed}

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        in_scope, params = scope.guild("guild_id")
        rows = await self.db.fetch_all(
            f"SELECT * FROM audit WHERE actor_id = $1 AND {in_scope} ORDER BY id", (person.discord_user_id, *params)
        )
        return {"audit_as_host": [dict(r) for r in rows]} if rows else {}

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        """Audit lines name staff by Discord id, never by participant row: none hang on it."""
        return set()
