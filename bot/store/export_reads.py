"""What an export reads: the sessions in scope and their small facts, and the contributions,
streamed. Only columns an export may carry are read: no message, channel or user snowflakes.

Contributions are read one (session, round, room) block at a time in the order of the
``contributions_by_session`` index, so the database streams them without sorting; on PostgreSQL
`Database.iterate` is a server-side cursor, on SQLite a cursor read in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.store.db import Database, Row, placeholders

_SESSION_COLUMNS = "id, guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, state"
_CONTRIBUTION_COLUMNS = (
    "c.id, c.session_id, c.round_number, COALESCE(r.number, 0) AS room_number, c.participant_id, "
    "c.pseudonym, c.created_at, c.text, c.reply_to_id, c.edited, c.key_point, c.theme, c.key_point_role, "
    "CASE WHEN h.participant_id = c.participant_id THEN 1 ELSE 0 END AS is_host"
)
_FROM = "FROM contributions c LEFT JOIN rooms r ON r.id = c.room_id"
#: The room's table host, if any (one row at most per room: its primary key), for the speaker's role.
_ROWS_FROM = f"{_FROM} LEFT JOIN room_hosts h ON h.session_id = c.session_id AND h.room_id = c.room_id"


@dataclass(frozen=True, slots=True)
class ContributionFilter:
    """Which contributions an export selects in SQL (consent and quote filters come later)."""

    session_ids: tuple[int, ...]
    rounds: tuple[int, ...] = ()
    rooms: tuple[int, ...] = ()
    key_points_only: bool = False

    def where(self, start: int = 1) -> tuple[str, list[object]]:
        """The WHERE clause and its values, numbered from ``$start``."""
        params: list[object] = []
        clauses: list[str] = []
        for column, values in (("c.session_id", self.session_ids), ("c.round_number", self.rounds),
                               ("r.number", self.rooms)):
            if column == "c.session_id" or values:
                clauses.append(f"{column} IN ({placeholders(len(values), start + len(params))})")
                params.extend(values)
        if self.key_points_only:
            clauses.append("c.key_point = 1")
        return " AND ".join(clauses), params


class ExportReads:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the sessions and their small facts ----------------------------------------------------

    async def session(self, session_id: int, guild_id: int | None) -> list[Row]:
        """The session (at most one row), if it is this server's (any server's when None)."""
        guild_sql, guild_params = (" AND guild_id = $2", [guild_id]) if guild_id is not None else ("", [])
        return await self.db.fetch_all(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = $1{guild_sql}",
                                       [session_id, *guild_params])

    async def series(self, series: str, guild_id: int | None) -> list[Row]:
        guild_sql, guild_params = (" AND guild_id = $2", [guild_id]) if guild_id is not None else ("", [])
        return await self.db.fetch_all(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE series = $1{guild_sql} ORDER BY starts_at, id",
            [series, *guild_params])

    async def rooms(self, session_id: int) -> list[Row]:
        return await self.db.fetch_all("SELECT id, number, name, topic FROM rooms WHERE session_id = $1",
                                       [session_id])

    async def rounds(self, session_id: int) -> list[Row]:
        return await self.db.fetch_all(
            "SELECT number, round_key, title, minutes, started_at FROM rounds WHERE session_id = $1", [session_id])

    async def prompts(self, session_id: int) -> list[Row]:
        return await self.db.fetch_all(
            "SELECT round_number, room_id, text FROM round_prompts WHERE session_id = $1", [session_id])

    async def summaries(self, session_id: int) -> list[Row]:
        return await self.db.fetch_all(
            "SELECT room_id, round_number, text, needs_review, writer_role FROM summaries WHERE session_id = $1",
            [session_id])

    async def attendance(self, session_id: int) -> int:
        """How many people sat in a room of the café."""
        row = await self.db.fetch_one(
            "SELECT COUNT(DISTINCT participant_id) FROM assignments WHERE session_id = $1", [session_id])
        return int(row[0]) if row else 0

    async def going(self, session_id: int) -> list[int]:
        rows = await self.db.fetch_all(
            "SELECT participant_id FROM rsvps WHERE session_id = $1 AND status = 'going'", [session_id])
        return [int(r[0]) for r in rows]

    async def ledger(self, session_id: int) -> list[Row]:
        """(participant, text version, choice, recorded at) in the order they were chosen."""
        return await self.db.fetch_all(
            "SELECT participant_id, text_version, choice, recorded_at FROM consent_ledger WHERE session_id = $1 "
            "ORDER BY id", [session_id])

    # --- contributions ---------------------------------------------------------------------------

    async def count(self, selected: ContributionFilter) -> int:
        where, params = selected.where()
        row = await self.db.fetch_one(f"SELECT COUNT(*) {_FROM} WHERE {where}", params)
        return int(row[0]) if row else 0

    async def themes(self, selected: ContributionFilter) -> list[str]:
        """Distinct theme ids tagged on the selected contributions."""
        where, params = selected.where()
        rows = await self.db.fetch_all(f"SELECT DISTINCT c.theme {_FROM} WHERE {where} AND c.theme IS NOT NULL",
                                       params)
        return [str(row[0]) for row in rows]

    async def blocks(self, selected: ContributionFilter) -> list[tuple[int, int | None, int]]:
        """(round, room id or None, room number) of every block holding a selected contribution."""
        where, params = selected.where()
        rows = await self.db.fetch_all(
            f"SELECT DISTINCT c.round_number, c.room_id, COALESCE(r.number, 0) {_FROM} WHERE {where}", params)
        return [(int(r[0]), None if r[1] is None else int(r[1]), int(r[2])) for r in rows]

    def by_pseudonym(self, selected: ContributionFilter, batch: int) -> AsyncIterator[Row]:
        """Every selected contribution, by pseudonym (the database sorts, with bounded memory)."""
        where, params = selected.where()
        return self.db.iterate(
            f"SELECT {_CONTRIBUTION_COLUMNS} {_ROWS_FROM} WHERE {where} "
            "ORDER BY c.pseudonym, c.session_id, c.round_number, room_number, c.created_at, c.id", params, batch)

    def block(self, session_id: int, round_number: int, room_id: int | None, *, key_point: bool | None,
              batch: int) -> AsyncIterator[Row]:
        """One block's contributions in time order, straight off the index; `key_point` keeps only
        key points (True), only the others (False) or both (None)."""
        room_sql = "c.room_id IS NULL" if room_id is None else "c.room_id = $3"
        params: list[object] = [session_id, round_number, *([] if room_id is None else [room_id])]
        part = "" if key_point is None else f" AND c.key_point = {int(key_point)}"
        return self.db.iterate(
            f"SELECT {_CONTRIBUTION_COLUMNS} {_ROWS_FROM} WHERE c.session_id = $1 AND c.round_number = $2 "
            f"AND {room_sql}{part} ORDER BY c.created_at, c.id", params, batch)
