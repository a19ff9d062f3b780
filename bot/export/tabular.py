"""CSV and JSONL: one record per contribution, for spreadsheets and for scripts.

CSV is written UTF-8 with a byte-order mark and CRLF rows so Excel detects the encoding and
keeps non-Latin scripts and emoji; the csv module quotes commas, quotes and newlines.
"""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.export.context import WITHDRAWAL_NOTICE, ExportContext, Output
from bot.export.fields import FIELDS, SUMMARY_FIELDS, contribution_record, session_record, summary_records
from bot.export.rows import ExportRow
from bot.export.scope import SessionInfo
from bot.export.sink import Sink

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = ("series", "room", "room_topic", "round_title", "prompt", "text", "key_point_theme_name")


def guard_formula(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe.

    A participant's "=HYPERLINK(...)" must open as text, not as a live formula. The JSONL export
    carries every text unaltered for anyone who needs the exact characters.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


class _CsvSink(Sink):
    def __init__(self, path: Path) -> None:
        self._fh = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(FIELDS)
        self._session: SessionInfo | None = None

    def start_session(self, session: SessionInfo) -> None:
        self._session = session

    def feed(self, rows: Sequence[ExportRow]) -> None:
        assert self._session is not None
        for row in rows:
            record = contribution_record(row, self._session.theme_name(row.theme or None) or "")
            for key in _GUARDED:
                record[key] = guard_formula(record[key])
            for key in ("key_point", "edited", "quote_permitted"):
                record[key] = "yes" if record[key] else "no"
            self._csv.writerow(record.values())

    def close(self) -> None:
        self._fh.close()


class _JsonlSink(Sink):
    def __init__(self, path: Path, ctx: ExportContext) -> None:
        self._fh = path.open("w", encoding="utf-8", newline="\n")
        self._request = ctx.request
        self._exported_at = ctx.exported_at.isoformat(timespec="seconds")
        self._clean = ctx.maker("jsonl").clean
        self._session: SessionInfo | None = None

    def start_session(self, session: SessionInfo) -> None:
        self._session = session
        record = {"record": "session"} | session_record(
            session, self._request, self._exported_at, WITHDRAWAL_NOTICE, self._clean
        )
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def feed(self, rows: Sequence[ExportRow]) -> None:
        assert self._session is not None
        theme = self._session.theme_name
        self._fh.writelines(
            json.dumps({"record": "contribution"} | contribution_record(row, theme(row.theme or None) or ""),
                       ensure_ascii=False) + "\n"
            for row in rows
        )

    def close(self) -> None:
        self._fh.close()


async def write_csv(ctx: ExportContext) -> list[Output]:
    """One CSV for the whole run, one row per contribution; a second with the room summaries."""
    path = ctx.out_dir / f"{ctx.basename}.csv"
    maker = ctx.maker("csv")
    sink = await asyncio.to_thread(_CsvSink, path)
    try:
        rows = await ctx.pump(sink, maker, "time")
    finally:
        await asyncio.to_thread(sink.close)
    summaries = ctx.out_dir / f"{ctx.basename}-summaries.csv"
    await asyncio.to_thread(_write_summaries, summaries, ctx, maker.clean)
    return [Output(path, rows), Output(summaries, 0)]


def _write_summaries(path: Path, ctx: ExportContext, clean: Callable[[str], str]) -> None:
    """Summaries are few (one per room and round at most), so they are written in one go."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(SUMMARY_FIELDS)
        for s in ctx.sessions:
            for record in summary_records(s, ctx.request, clean):
                record["needs_review"] = "yes" if record["needs_review"] else "no"
                for key in ("series", "room", "round_title", "text"):
                    record[key] = guard_formula(record[key])
                out.writerow(record.values())


async def write_jsonl(ctx: ExportContext) -> list[Output]:
    """One JSONL file: a session record before each session's contribution records."""
    path = ctx.out_dir / f"{ctx.basename}.jsonl"
    sink = await asyncio.to_thread(_JsonlSink, path, ctx)
    try:
        rows = await ctx.pump(sink, ctx.maker("jsonl"), "time")
    finally:
        await asyncio.to_thread(sink.close)
    return [Output(path, rows)]
