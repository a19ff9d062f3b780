"""``blether export``: the command-line face of the export service, for organisers with shell access.

The main CLI (bot/cli.py) adds the parser with ``add_export_parser`` and calls
``run_export_cli`` with the parsed arguments and an open Database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.export.request import FORMATS, ExportError, ExportRequest
from bot.services.exports import export_zip, human_size, run_export
from bot.store.db import Database

_BAR_WIDTH = 30


def _numbers(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, like 1,3 (got {text!r})") from None


def _formats(text: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2024-06-30 (got {text!r})") from None


def add_export_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add the ``export`` sub-command and return its parser."""
    parser = subparsers.add_parser(
        "export",
        help="export a session or series for analysis (CSV, JSONL, notes, report, REFI-QDA)",
        description="Export consented contributions with pseudonyms only. Formats: " + ", ".join(FORMATS) + ".",
    )
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--session", type=int, metavar="ID", help="one session by id")
    scope.add_argument("--series", metavar="NAME", help="every session of a series")
    parser.add_argument(
        "--format",
        type=_formats,
        default=("csv", "jsonl", "md", "html", "qdpx"),
        metavar="LIST",
        help="comma-separated formats (default: csv,jsonl,md,html,qdpx)",
    )
    parser.add_argument("--from", dest="date_from", type=_day, metavar="DATE", help="first session date")
    parser.add_argument("--to", dest="date_to", type=_day, metavar="DATE", help="last session date")
    parser.add_argument("--rounds", type=_numbers, default=(), metavar="1,2", help="only these rounds")
    parser.add_argument("--rooms", type=_numbers, default=(), metavar="1,3", help="only these room numbers")
    parser.add_argument("--key-points", action="store_true", help="only contributions marked as key points")
    parser.add_argument("--quotes-only", action="store_true", help="only authors who allowed quoting")
    parser.add_argument(
        "--scrub",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="replace e-mails, phone numbers and links (default: only in the HTML report)",
    )
    parser.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="WORD",
        help="a word or name to replace by [redacted] (repeatable)",
    )
    parser.add_argument(
        "--qdpx-source-per",
        choices=("room_round", "session"),
        default="room_round",
        help="one REFI-QDA source per room and round (default) or per session",
    )
    parser.add_argument("--zip", action="store_true", help="put the files of the run in one zip")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")
    return parser


class _ProgressBar:
    """A bar redrawn in place on a terminal; a line per quarter when stderr is a file or pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last_quarter = -1

    def __call__(self, percent: int) -> None:
        if self._tty:
            filled = _BAR_WIDTH * percent // 100
            self._stream.write(f"\rexporting [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {percent:3d}%")
            if percent == 100:
                self._stream.write("\n")
        elif percent // 25 != self._last_quarter:
            self._last_quarter = percent // 25
            self._stream.write(f"exporting: {percent}%\n")
        self._stream.flush()


async def run_export_cli(args: argparse.Namespace, db: Database) -> int:
    """Run the export the arguments describe; 0 on success, 2 with a message when the request is wrong."""
    request = ExportRequest(
        session_id=args.session,
        series=args.series,
        date_from=args.date_from,
        date_to=args.date_to,
        rounds=args.rounds,
        rooms=args.rooms,
        key_points_only=args.key_points,
        quotes_only=args.quotes_only,
        scrub=args.scrub,
        redact=tuple(args.redact),
        formats=args.format,
        qdpx_source_per=args.qdpx_source_per,
    )
    progress = _ProgressBar(sys.stderr)
    try:
        if args.zip:
            zip_path, summary = await export_zip(db, request, args.out, progress=progress)
            zipped = await asyncio.to_thread(lambda: zip_path.stat().st_size)
            print(f"{zip_path}  {human_size(zipped)}")
        else:
            summary = await run_export(db, request, args.out, progress=progress)
    except ExportError as error:
        print(f"blether export: {error}", file=sys.stderr)
        return 2
    for written in summary.files:
        print(f"  {written.path}  {human_size(written.bytes)}  {written.rows:,} rows  {written.seconds:.1f} s")
    print(summary.line())
    return 0
