"""Contributions streamed from the store and turned into export rows.

The SQL reads only what an export may carry: no message, channel or user snowflakes. Rows are
read one session at a time in the order of the ``contributions_by_session`` index, so the
database streams them without sorting; conversion (time zones, scrubbing) happens in the worker
thread that writes them, keeping the event loop free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.export.request import ExportRequest
from bot.export.scope import SessionInfo, parse_utc
from bot.store.db import Database, Row

Order = Literal["time", "key_points_first", "pseudonym"]

_COLUMNS = (
    "c.id, c.session_id, c.round_number, COALESCE(r.number, 0) AS room_number, c.participant_id, "
    "c.pseudonym, c.created_at, c.text, c.reply_to_id, c.edited, c.key_point, c.theme, "
    "c.key_point_role, "
    "CASE WHEN h.participant_id = c.participant_id THEN 1 ELSE 0 END AS is_host"
)
#: The room's table host, if any (one row at most per room: its primary key), for the speaker's role.
_HOSTS = "LEFT JOIN room_hosts h ON h.session_id = c.session_id AND h.room_id = c.room_id"
_ORDER_BY: dict[Order, str] = {
    "pseudonym": "c.pseudonym, c.session_id, c.round_number, room_number, c.created_at, c.id",
}
BATCH = 2000


def contribution_ref(session_id: int, contribution_id: int) -> str:
    """The stable reference of a contribution, the same in every format and every re-export."""
    return f"S{session_id}-C{contribution_id}"


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One contribution as every format carries it: pseudonym only, text already cleaned."""

    session: int
    series: str
    date: str
    room_number: int
    room: str
    room_topic: str
    round_number: int
    round_id: str
    round_title: str
    prompt: str
    pseudonym: str
    #: "host" for what a room's table host said in that room, else "participant": a role, never a name
    speaker_role: str
    time: datetime  # in the session's display zone
    text: str
    reply_to: str
    contribution: str
    key_point: bool
    key_point_by: str  # the marker's role
    theme: str  # the key point's theme id
    edited: bool
    quote_permitted: bool

    @property
    def block(self) -> tuple[int, int]:
        return (self.round_number, self.room_number)


class RowStream:
    """Reads the contributions a request selects, in batches, and reports how many were read."""

    def __init__(self, db: Database, request: ExportRequest, on_read: Callable[[int], None]) -> None:
        self._db = db
        self._request = request
        self._on_read = on_read

    def _where(self, session_ids: Sequence[int]) -> tuple[str, list[object]]:
        clauses = [f"c.session_id IN ({','.join('?' * len(session_ids))})"]
        params: list[object] = list(session_ids)
        if self._request.rounds:
            clauses.append(f"c.round_number IN ({','.join('?' * len(self._request.rounds))})")
            params.extend(self._request.rounds)
        if self._request.rooms:
            clauses.append(f"r.number IN ({','.join('?' * len(self._request.rooms))})")
            params.extend(self._request.rooms)
        if self._request.key_points_only:
            clauses.append("c.key_point = 1")
        return " AND ".join(clauses), params

    async def count(self, sessions: Sequence[SessionInfo]) -> int:
        """How many rows the filters in SQL let through (consent filters come later, in Python)."""
        where, params = self._where([s.id for s in sessions])
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM contributions c LEFT JOIN rooms r ON r.id = c.room_id WHERE {where}", params
        )
        return int(row[0]) if row else 0

    async def themes(self, sessions: Sequence[SessionInfo]) -> list[str]:
        """Distinct theme ids tagged on the selected contributions."""
        where, params = self._where([s.id for s in sessions])
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT c.theme FROM contributions c LEFT JOIN rooms r ON r.id = c.room_id "
            f"WHERE {where} AND c.theme IS NOT NULL",
            params,
        )
        return [row[0] for row in rows]

    async def batches(self, sessions: Sequence[SessionInfo], order: Order) -> AsyncIterator[list[Row]]:
        """Raw rows of these sessions in the given order, ``BATCH`` at a time.

        The round-and-room orders read block by block, each block straight off the
        ``contributions_by_session`` index, so SQLite never sorts more than one block's ties and
        memory stays flat. The pseudonym order (only the REFI-QDA cases need it) lets SQLite sort,
        which it does with bounded memory, spilling to temporary files.
        """
        batch: list[Row] = []
        async for row in self._rows(sessions, order):
            batch.append(row)
            if len(batch) >= BATCH:
                self._on_read(len(batch))
                yield batch
                batch = []
        if batch:
            self._on_read(len(batch))
            yield batch

    async def _rows(self, sessions: Sequence[SessionInfo], order: Order) -> AsyncIterator[Row]:
        select = f"SELECT {_COLUMNS} FROM contributions c LEFT JOIN rooms r ON r.id = c.room_id {_HOSTS}"
        if order == "pseudonym":
            where, params = self._where([s.id for s in sessions])
            async for row in self._db.iterate(f"{select} WHERE {where} ORDER BY {_ORDER_BY[order]}", params, BATCH):
                yield row
            return
        parts = ("c.key_point = 1", "c.key_point = 0") if order == "key_points_first" else ("1 = 1",)
        for session in sessions:
            for round_number, room_id in await self._blocks(session):
                room_sql = "c.room_id IS NULL" if room_id is None else "c.room_id = ?"
                block: list[object] = [session.id, round_number, *([] if room_id is None else [room_id])]
                for part in parts:
                    if part == "c.key_point = 0" and self._request.key_points_only:
                        continue
                    sql = (
                        f"{select} WHERE c.session_id = ? AND c.round_number = ? AND {room_sql} AND {part}"
                        f"{' AND c.key_point = 1' if self._request.key_points_only else ''}"
                        " ORDER BY c.created_at, c.id"
                    )
                    async for row in self._db.iterate(sql, block, BATCH):
                        yield row

    async def _blocks(self, session: SessionInfo) -> list[tuple[int, int | None]]:
        """The session's (round, room id) blocks that pass the filters, in round then room-number order."""
        where, params = self._where([session.id])
        rows = await self._db.fetch_all(
            "SELECT DISTINCT c.round_number, c.room_id, COALESCE(r.number, 0) FROM contributions c "
            f"LEFT JOIN rooms r ON r.id = c.room_id WHERE {where}",
            params,
        )
        return [(round_number, room_id) for round_number, room_id, _ in sorted(rows, key=lambda r: (r[0], r[2]))]


class RowMaker:
    """Turns raw rows into ExportRows for one format: consent and quote filters, zones, cleaning.

    Rows of people whose latest consent choice is not 'record' are dropped even if the erasure
    that should follow a withdrawal has not run yet: a late export must not resurrect them.
    """

    def __init__(self, sessions: Sequence[SessionInfo], request: ExportRequest, clean: Callable[[str], str]) -> None:
        self._sessions = {s.id: s for s in sessions}
        self._quotes_only = request.quotes_only
        self.clean = clean
        self._topics: dict[tuple[int, int], str] = {}

    def make(self, raw: Sequence[Row]) -> list[ExportRow]:
        out: list[ExportRow] = []
        for row in raw:
            s = self._sessions[row["session_id"]]
            person = row["participant_id"]
            if person not in s.recording:
                continue
            quote_ok = person in s.quoting
            if self._quotes_only and not quote_ok:
                continue
            out.append(self._row(s, row, quote_ok))
        return out

    def topic(self, s: SessionInfo, room_number: int) -> str:
        key = (s.id, room_number)
        if key not in self._topics:
            self._topics[key] = self.clean(s.room(room_number).topic or "")
        return self._topics[key]

    def _row(self, s: SessionInfo, row: Row, quote_ok: bool) -> ExportRow:
        round_no, room_no = row["round_number"], row["room_number"]
        rnd = s.round(round_no)
        reply = row["reply_to_id"]
        return ExportRow(
            session=s.id,
            series=s.series,
            date=s.local_date.isoformat(),
            room_number=room_no,
            room=s.room(room_no).name,
            room_topic=self.topic(s, room_no),
            round_number=round_no,
            round_id=rnd.key,
            round_title=rnd.title,
            prompt=prompt_for(s, round_no, room_no),
            pseudonym=row["pseudonym"],
            speaker_role="host" if row["is_host"] else "participant",
            time=parse_utc(row["created_at"]).astimezone(s.zone),
            text=self.clean(row["text"]),
            reply_to=contribution_ref(s.id, reply) if reply is not None else "",
            contribution=contribution_ref(s.id, row["id"]),
            key_point=bool(row["key_point"]),
            key_point_by=row["key_point_role"] or "",
            theme=row["theme"] or "",
            edited=bool(row["edited"]),
            quote_permitted=quote_ok,
        )


def prompt_for(s: SessionInfo, round_number: int, room_number: int) -> str:
    """The prompt as posted in that room; for the lobby, as posted in the first room.

    Never the plan's raw template: an analyst must see the words people actually read.
    """
    posted = s.prompts.get((round_number, room_number))
    if posted is not None:
        return posted
    in_rooms = sorted((room, text) for (number, room), text in s.prompts.items() if number == round_number)
    return in_rooms[0][1] if in_rooms else ""
