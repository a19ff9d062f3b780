"""Where a person sat in each round and when they called for support: the rows a café keeps about
a person being there (written by the session's round start and the support button)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.store.db import Tx
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows, hide


class AttendanceRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assignments": ("participant_id",),
        "support_requests": ("participant_id", "handled_by"),
    }

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their seats and calls go; a call they answered as a host stays, without their name."""
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        if person.participant_id is not None:
            for table in ("assignments", "support_requests"):
                counts[table] = await tx.execute(
                    f"DELETE FROM {table} WHERE participant_id = $1 AND {in_scope}", (person.participant_id, *params)
                )
        counts["support_requests.handled_by"] = await tx.execute(
            f"UPDATE support_requests SET handled_by = NULL WHERE handled_by = $1 AND {in_scope}",
            (person.discord_user_id, *params),
        )
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        """Their own calls show that a host answered, not which one; calls they answered show that
        a participant called, not which one."""
        in_scope, params = scope.sessions("session_id")
        rows: Rows = {}
        if person.participant_id is not None:
            for table in ("assignments", "support_requests"):
                found = await self.db.fetch_all(
                    f"SELECT * FROM {table} WHERE participant_id = $1 AND {in_scope} ORDER BY session_id",
                    (person.participant_id, *params),
                )
                rows[table] = [hide(dict(r), "handled_by", "a host") for r in found]
        answered = await self.db.fetch_all(
            f"SELECT * FROM support_requests WHERE handled_by = $1 AND {in_scope} ORDER BY id",
            (person.discord_user_id, *params),
        )
        if answered:
            rows["support_requests_as_host"] = [hide(dict(r), "participant_id", "a participant") for r in answered]
        return rows

    async def record_support_request(self, session_id: int, room_id: int | None, discord_user_id: int) -> int:
        """Someone asked for support: who, where and when — never what they said."""
        async with self.db.transaction() as tx:
            person = await PeopleRepo(self.db).ensure_participant(tx, discord_user_id)
            row = await tx.fetch_one(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at) "
                "VALUES ($1, $2, $3, $4) RETURNING id",
                (session_id, room_id, person, self.db.now()),
            )
            assert row is not None
            return int(row[0])

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all(
            "SELECT session_id FROM assignments WHERE participant_id = $1 "
            "UNION SELECT session_id FROM support_requests WHERE participant_id = $1",
            (person.participant_id,),
        )
        return {int(r[0]) for r in rows}
