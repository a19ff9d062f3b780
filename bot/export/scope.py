"""The sessions an export covers and everything small about them, read once up front.

Per-session facts (plan, rooms, rounds, prompts, summaries, consent counts) are small and
needed by every writer, so they are loaded into memory; only contributions, which can number
millions, are streamed (see ``rows.py``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.consent import RECORDING_CHOICES, Choice, LedgerEntry, consent_version, state_at
from bot.export.request import ExportError, ExportRequest
from bot.store.db import Database, Row, db_time
from bot.store.export_reads import ExportReads

NO_ROOM = 0  # room number used for contributions captured outside any breakout room


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: int | None
    number: int
    name: str
    topic: str | None


@dataclass(frozen=True, slots=True)
class RoundInfo:
    number: int
    key: str
    title: str
    minutes: int
    prompt: str
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    needs_review: bool
    #: the writer's role (host, facilitator, organiser); "" for summaries from before it was kept
    written_by: str = ""

    @property
    def writer(self) -> str:
        """Who wrote it, in words ("the room's host", "a facilitator"), or "" when not kept."""
        if not self.written_by:
            return ""
        return "the room's host" if self.written_by == "host" else \
            f"{'an' if self.written_by[0] in 'aeiou' else 'a'} {self.written_by}"

    def title(self, heading: str) -> str:
        """The heading as the notes and the report show it, with the writer's role when it is known."""
        return f"{heading} (written by {self.writer})" if self.written_by else heading


@dataclass(frozen=True, slots=True)
class VersionCount:
    """How many people currently consent under one version of the consent text."""

    text_version: str
    first_used: datetime
    consenting: int
    current: bool


@dataclass(frozen=True, slots=True)
class ConsentSummary:
    joined: int
    consented: int
    declined: int
    withdrew: int
    versions: tuple[VersionCount, ...]


@dataclass(slots=True)
class SessionInfo:
    """One session as the exporter sees it; snowflake columns are never read into it."""

    id: int
    guild_id: str
    series: str
    plan_id: str
    plan_title: str
    plan: dict[str, Any]
    starts_at: datetime
    zone: ZoneInfo
    state: str
    rooms: dict[int, RoomInfo] = field(default_factory=dict)  # by room number
    rounds: dict[int, RoundInfo] = field(default_factory=dict)  # by round number
    prompts: dict[tuple[int, int], str] = field(default_factory=dict)  # (round, room number)
    summaries: dict[tuple[int, int | None], Summary] = field(default_factory=dict)  # (room, round)
    attendance: int = 0
    recording: frozenset[int] = frozenset()  # participants whose latest choice is 'record'
    quoting: frozenset[int] = frozenset()  # participants whose latest quote choice is 'quote'
    consent: ConsentSummary = field(default_factory=lambda: ConsentSummary(0, 0, 0, 0, ()))

    @property
    def ref(self) -> str:
        return f"S{self.id}"

    @property
    def local_date(self) -> date:
        return self.starts_at.astimezone(self.zone).date()

    @property
    def themes(self) -> list[dict[str, str]]:
        return [t for t in self.plan.get("themes", []) if isinstance(t, dict) and t.get("id")]

    def theme_name(self, theme_id: str | None) -> str | None:
        if theme_id is None:
            return None
        return next((t.get("name") or theme_id for t in self.themes if t["id"] == theme_id), theme_id)

    def room(self, number: int) -> RoomInfo:
        """The room by number; contributions outside any room get a neutral stand-in."""
        found = self.rooms.get(number)
        if found is None:
            return RoomInfo(None, number, "Lobby" if number == NO_ROOM else f"Room {number}", None)
        return found

    def round(self, number: int) -> RoundInfo:
        found = self.rounds.get(number)
        if found is None:
            return RoundInfo(number, f"round-{number}", f"Round {number}", 0, "", None)
        return found

    def summaries_for(self, request: ExportRequest) -> list[tuple[int, int | None, Summary]]:
        """(room, round or None for the whole session, summary) the round and room filters keep.

        Ordered by room, then the whole-session summary before the rounds', as every format lists them.
        """
        return [
            (room, rnd, self.summaries[(room, rnd)])
            for room, rnd in sorted(self.summaries, key=lambda k: (k[0], -1 if k[1] is None else k[1]))
            if (not request.rooms or room in request.rooms)
            and (rnd is None or not request.rounds or rnd in request.rounds)
        ]

    def blocks(self, request: ExportRequest) -> list[tuple[int, int]]:
        """(round, room) pairs in export order, after the round and room filters."""
        rounds = [n for n in sorted(self.rounds) if not request.rounds or n in request.rounds]
        rooms = [n for n in sorted(self.rooms) if not request.rooms or n in request.rooms]
        return [(r, m) for r in rounds for m in rooms]


def parse_utc(value: object) -> datetime:
    """A time from the store (either backend's form) as an aware UTC datetime."""
    return db_time(value)


async def load_sessions(db: Database, request: ExportRequest, guild_id: str | None) -> list[SessionInfo]:
    """The sessions the request covers, with their metadata, or ExportError saying why none match."""
    request.validate()
    reads = ExportReads(db)
    server = int(guild_id) if guild_id is not None else None
    if request.session_id is not None:
        rows = await reads.session(request.session_id, server)
        if not rows:
            raise ExportError(
                f"there is no session {request.session_id}{' on this server' if guild_id is not None else ''}: "
                "find its id with `blether cafes` on the host (or `/cafes` in Discord)"
            )
    else:
        rows = await reads.series(request.series or "", server)
        if not rows:
            raise ExportError(f"there is no series called {request.series!r}: check its exact name")
    sessions = [_session(row) for row in rows]
    in_range = [
        s
        for s in sessions
        if (request.date_from is None or s.local_date >= request.date_from)
        and (request.date_to is None or s.local_date <= request.date_to)
    ]
    if not in_range:
        raise ExportError(
            f"no session of {request.describe().split(';')[0]} falls between "
            f"{request.date_from or 'the start'} and {request.date_to or 'today'}: widen the date range"
        )
    for session in in_range:
        await _load_details(reads, session)
    return in_range


def _session(row: Row) -> SessionInfo:
    try:
        zone = ZoneInfo(row["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/London")
    try:
        plan = json.loads(row["plan_snapshot"])
    except json.JSONDecodeError:
        plan = {}
    return SessionInfo(
        id=row["id"],
        guild_id=str(row["guild_id"]),
        series=row["series"],
        plan_id=row["plan_id"],
        plan_title=row["plan_title"],
        plan=plan if isinstance(plan, dict) else {},
        starts_at=parse_utc(row["starts_at"]),
        zone=zone,
        state=row["state"],
    )


async def _load_details(reads: ExportReads, s: SessionInfo) -> None:
    plan_rounds = {r.get("id"): r for r in s.plan.get("rounds", []) if isinstance(r, dict)}
    for row in await reads.rooms(s.id):
        s.rooms[row["number"]] = RoomInfo(row["id"], row["number"], row["name"], row["topic"])
    room_numbers = {room.id: room.number for room in s.rooms.values()}
    for row in await reads.rounds(s.id):
        planned = plan_rounds.get(row["round_key"], {})
        s.rounds[row["number"]] = RoundInfo(
            number=row["number"],
            key=row["round_key"],
            title=row["title"],
            minutes=row["minutes"],
            prompt=str(planned.get("prompt", "")),
            started_at=parse_utc(row["started_at"]) if row["started_at"] else None,
        )
    for row in await reads.prompts(s.id):
        if row["room_id"] in room_numbers:
            s.prompts[(row["round_number"], room_numbers[row["room_id"]])] = row["text"]
    for row in await reads.summaries(s.id):
        if row["room_id"] in room_numbers:
            key = (room_numbers[row["room_id"]], row["round_number"])
            s.summaries[key] = Summary(row["text"], bool(row["needs_review"]), row["writer_role"] or "")
    s.attendance = await reads.attendance(s.id)
    await _load_consent(reads, s)


async def _load_consent(reads: ExportReads, s: SessionInfo) -> None:
    """Consent counts and permissions, folded from the append-only ledger by the core consent rule.

    Joined: RSVP'd 'going' or in the ledger. Consented / declined: the latest record, decline or
    withdraw choice. Withdrew: any withdrawal. Versions are listed by first use; the current
    one is the fingerprint of the plan's consent text when the ledger has it, else the version
    of the latest entry, so people who consented to an older text show up as such.
    """
    going = await reads.going(s.id)
    ledger = await reads.ledger(s.id)
    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    first_used: dict[str, datetime] = {}
    for person, version, choice, recorded_at in ledger:
        entries[person].append(LedgerEntry(Choice(choice), parse_utc(recorded_at), version))
        first_used.setdefault(version, parse_utc(recorded_at))
    states = {person: state_at(history) for person, history in entries.items()}
    latest = {
        person: [e.choice for e in history if e.choice in RECORDING_CHOICES][-1:] for person, history in entries.items()
    }
    planned = consent_version(str(s.plan.get("consent_text", "")))
    current = planned if planned in first_used else (ledger[-1][1] if ledger else None)
    consenting = Counter(st.text_version for st in states.values() if st.recording)
    s.recording = frozenset(p for p, st in states.items() if st.recording)
    s.quoting = frozenset(p for p, st in states.items() if st.quote)
    s.consent = ConsentSummary(
        joined=len(set(going) | entries.keys()),
        consented=len(s.recording),
        declined=sum(1 for choices in latest.values() if choices == [Choice.DECLINE]),
        withdrew=sum(1 for history in entries.values() if any(e.choice is Choice.WITHDRAW for e in history)),
        versions=tuple(
            VersionCount(v, first_used[v], consenting[v], v == current)
            for v in sorted(first_used, key=lambda v: first_used[v])
        ),
    )
