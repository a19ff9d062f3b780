"""Where a person sat in each round and when they called for support: the rows a café keeps about
a person being there (written by the session's round start and the support button)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import aiosqlite

from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows, hide


class AttendanceRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assignments": ("participant_id",),
        "support_requests": ("participant_id", "handled_by"),
    }

    async def erase_person(self, conn: aiosqlite.Connection, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their seats and calls go; a call they answered as a host stays, without their name."""
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        if person.participant_id is not None:
            for table in ("assignments", "support_requests"):
                cur = await conn.execute(
                    f"DELETE FROM {table} WHERE participant_id = ? AND {in_scope}", (person.participant_id, *params)
                )
                counts[table] = cur.rowcount
        cur = await conn.execute(
            f"UPDATE support_requests SET handled_by = NULL WHERE handled_by = ? AND {in_scope}",
            (str(person.discord_user_id), *params),
        )
        counts["support_requests.handled_by"] = cur.rowcount
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        """Their own calls show that a host answered, not which one; calls they answered show that
        a participant called, not which one."""
        in_scope, params = scope.sessions("session_id")
        rows: Rows = {}
        if person.participant_id is not None:
            for table in ("assignments", "support_requests"):
                found = await self.db.fetch_all(
                    f"SELECT * FROM {table} WHERE participant_id = ? AND {in_scope} ORDER BY session_id",
                    (person.participant_id, *params),
                )
                rows[table] = [hide(dict(r), "handled_by", "a host") for r in found]
        answered = await self.db.fetch_all(
            f"SELECT * FROM support_requests WHERE handled_by = ? AND {in_scope} ORDER BY id",
            (str(person.discord_user_id), *params),
        )
        if answered:
            rows["support_requests_as_host"] = [hide(dict(r), "participant_id", "a participant") for r in answered]
        return rows

    async def record_support_request(self, session_id: int, room_id: int | None, discord_user_id: int) -> int:
        """Someone asked for support: who, where and when — never what they said."""
        async with self.db.transaction() as conn:
            person = await PeopleRepo(self.db).ensure_participant(conn, discord_user_id)
            cur = await conn.execute(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at) VALUES (?, ?, ?, ?)",
                (session_id, room_id, person, self.db.now_iso()),
            )
            return int(cur.lastrowid or 0)

    async def sessions_holding(self, conn: aiosqlite.Connection, person: PersonRef) -> set[int]:
        async with conn.execute(
            "SELECT session_id FROM assignments WHERE participant_id = ? "
            "UNION SELECT session_id FROM support_requests WHERE participant_id = ?",
            (person.participant_id, person.participant_id),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}
