"""Contributions streamed from the store and turned into export rows.

The store (``bot/store/export_reads.py``) reads only what an export may carry: no message,
channel or user snowflakes. Rows are read one session at a time in the order of the
``contributions_by_session`` index, so the database streams them without sorting; conversion
(time zones, scrubbing) happens in the worker thread that writes them, keeping the event loop free.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.export.request import ExportRequest
from bot.export.scope import SessionInfo, parse_utc
from bot.store.db import Database, Row
from bot.store.export_reads import ContributionFilter, ExportReads

Order = Literal["time", "key_points_first", "pseudonym"]

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
        self._reads = ExportReads(db)
        self._request = request
        self._on_read = on_read

    def _selected(self, session_ids: Sequence[int]) -> ContributionFilter:
        return ContributionFilter(tuple(session_ids), tuple(self._request.rounds), tuple(self._request.rooms),
                                  self._request.key_points_only)

    async def count(self, sessions: Sequence[SessionInfo]) -> int:
        """How many rows the filters in SQL let through (consent filters come later, in Python)."""
        return await self._reads.count(self._selected([s.id for s in sessions]))

    async def themes(self, sessions: Sequence[SessionInfo]) -> list[str]:
        """Distinct theme ids tagged on the selected contributions."""
        return await self._reads.themes(self._selected([s.id for s in sessions]))

    async def batches(self, sessions: Sequence[SessionInfo], order: Order) -> AsyncIterator[list[Row]]:
        """Raw rows of these sessions in the given order, ``BATCH`` at a time.

        The round-and-room orders read block by block, each block straight off the
        ``contributions_by_session`` index, so the database never sorts more than one block's ties
        and memory stays flat. The pseudonym order (only the REFI-QDA cases need it) lets the
        database sort, which it does with bounded memory, spilling to temporary files.
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
        if order == "pseudonym":
            async for row in self._reads.by_pseudonym(self._selected([s.id for s in sessions]), BATCH):
                yield row
            return
        only = self._request.key_points_only
        # True: key points only; False: the others; None: both, in time order.
        parts: tuple[bool | None, ...] = (True,) if only else ((True, False) if order == "key_points_first"
                                                                else (None,))
        for session in sessions:
            for round_number, room_id in await self._blocks(session):
                for part in parts:
                    async for row in self._reads.block(session.id, round_number, room_id, key_point=part,
                                                       batch=BATCH):
                        yield row

    async def _blocks(self, session: SessionInfo) -> list[tuple[int, int | None]]:
        """The session's (round, room id) blocks that pass the filters, in round then room-number order."""
        found = await self._reads.blocks(self._selected([session.id]))
        return [(round_number, room_id) for round_number, room_id, _ in sorted(found, key=lambda r: (r[0], r[2]))]


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
