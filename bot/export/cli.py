"""``blether export``: the command-line face of the export service, for organisers with shell access.

The main CLI (bot/cli.py) adds the parser with ``add_export_parser`` and calls
``run_export_cli`` with the parsed arguments and an open Database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from bot.export.request import (
    DEFAULT_FORMATS,
    FORMATS,
    ExportError,
    ExportRequest,
    parse_day,
    parse_formats,
    parse_numbers,
)
from bot.services.exports import export_zip, human_size, private_dir, run_export
from bot.store.db import Database

_BAR_WIDTH = 30
T = TypeVar("T")
#: Folders that look writable but are the kernel's, not a place for files.
_SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _argument(parse: Callable[[str], T]) -> Callable[[str], T]:
    """The request's own parser as an argparse type: its message becomes argparse's."""

    def parsed(text: str) -> T:
        try:
            return parse(text)
        except ExportError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parsed


class _OutError(Exception):
    """``--out`` cannot hold an export; the message says what to choose instead."""


def _prepare_out(out: Path) -> None:
    """Make sure ``--out`` is a folder Blether can write private files into, or say why not."""
    resolved = out.expanduser().resolve()
    if any(resolved == folder or folder in resolved.parents for folder in _SYSTEM_FOLDERS):
        raise _OutError(f"--out {out} is a system folder; choose an ordinary folder, e.g. --out exports")
    if resolved.exists() and not resolved.is_dir():
        raise _OutError(f"--out {out} is a file, not a folder; name a folder (it is made if missing)")
    try:
        private_dir(resolved)
        with tempfile.NamedTemporaryFile(dir=resolved, prefix=".blether-probe-"):
            pass  # only asking whether a file can be made there
    except OSError as exc:
        raise _OutError(f"--out {out} cannot be written to ({exc.strerror or exc}); choose a folder you can write to"
                        ) from None


def add_export_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
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
        type=_argument(parse_formats),
        default=DEFAULT_FORMATS,
        metavar="LIST",
        help="comma-separated formats (default: csv,jsonl,md,html,qdpx)",
    )
    day, numbers = _argument(parse_day), _argument(parse_numbers)
    parser.add_argument("--from", dest="date_from", type=day, metavar="DATE", help="first session date")
    parser.add_argument("--to", dest="date_to", type=day, metavar="DATE", help="last session date")
    parser.add_argument("--rounds", type=numbers, default=(), metavar="1,2", help="only these rounds")
    parser.add_argument("--rooms", type=numbers, default=(), metavar="1,3", help="only these room numbers")
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
        await asyncio.to_thread(_prepare_out, args.out)
        if args.zip:
            zip_path, summary = await export_zip(db, request, args.out, progress=progress)
            zipped = await asyncio.to_thread(lambda: zip_path.stat().st_size)
            print(f"{zip_path}  {human_size(zipped)}")
        else:
            summary = await run_export(db, request, args.out, progress=progress)
    except (ExportError, _OutError) as error:
        print(f"blether export: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"blether export: could not write to --out {args.out} ({error.strerror or error}); free some space "
              "or choose another folder", file=sys.stderr)
        return 2
    for written in summary.files:
        print(f"  {written.path}  {human_size(written.bytes)}  {written.rows:,} rows  {written.seconds:.1f} s")
    print(summary.line())
    return 0
