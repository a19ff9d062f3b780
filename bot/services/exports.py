"""Export use cases: write the chosen formats for a session or series, record that it happened.

Files are written into a private scratch folder and moved into place only when every format
has succeeded, so a failed run leaves nothing half-written (invariant 7). Each run is recorded
in the ``exports`` table: organisers can see what left the system, when and where to.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.export.context import ExportContext
from bot.export.request import ExportError, ExportRequest
from bot.export.rows import RowStream
from bot.export.scope import load_sessions
from bot.export.writers import WRITERS
from bot.store.db import Database

__all__ = ["ExportError", "ExportRequest", "ExportSummary", "WrittenFile", "export_zip", "run_export"]


@dataclass(frozen=True, slots=True)
class WrittenFile:
    format: str
    path: Path
    bytes: int
    rows: int
    seconds: float


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What one run wrote: files with sizes, contributions exported, time taken."""

    files: tuple[WrittenFile, ...]
    rows: int
    seconds: float
    sessions: tuple[int, ...]
    scope: str
    made_at: datetime
    export_id: int | None = None

    @property
    def total_bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def line(self) -> str:
        """One line for a chat reply or a terminal: rows, files, size and time."""
        files = len(self.files)
        return (
            f"exported {self.rows:,} contribution{'s' if self.rows != 1 else ''} to {files} "
            f"file{'s' if files != 1 else ''} ({human_size(self.total_bytes)}) in {self.seconds:.1f} s"
        )


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


class _Progress:
    """Turns rows read into whole percentages and reports each change once."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self._callback = callback
        self.total = 0
        self._done = 0
        self._last = -1

    def read(self, rows: int) -> None:
        self._done += rows
        self._report(min(99, self._done * 100 // self.total) if self.total else 0)

    def finish(self) -> None:
        self._report(100)

    def _report(self, percent: int) -> None:
        if self._callback is not None and percent != self._last:
            self._last = percent
            self._callback(percent)


async def run_export(
    db: Database,
    request: ExportRequest,
    out_dir: Path,
    *,
    guild_id: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Write the requested formats into ``out_dir`` and record the export.

    ``guild_id`` limits the scope to that guild's sessions (a guild never exports another's).
    ``progress`` is called with the percentage done (0–100) each time it changes. Raises
    ExportError, before writing anything, when the request cannot be honoured.
    """
    summary, guild = await _write(db, request, Path(out_dir), guild_id, progress)
    return await _record(db, summary, request, guild, str(Path(out_dir)))


async def export_zip(
    db: Database,
    request: ExportRequest,
    out_dir: Path,
    *,
    guild_id: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Path, ExportSummary]:
    """Like run_export, but the files of the run go into one zip in ``out_dir`` (for posting in chat).

    The caller checks the zip against the chat's upload limit. The summary's file paths are the
    names inside the zip.
    """
    out_dir = Path(out_dir)
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=".blether-zip-", dir=out_dir))
    try:
        summary, guild = await _write(db, request, scratch, guild_id, progress)
        stem = summary.files[0].path.name.split(".")[0] if summary.files else "blether"
        zip_path = out_dir / f"{stem}-{summary.made_at:%Y%m%dT%H%M%SZ}.zip"
        await asyncio.to_thread(_zip, [f.path for f in summary.files], zip_path)
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    inside = tuple(replace(f, path=Path(f.path.name)) for f in summary.files)
    summary = replace(summary, files=inside)
    return zip_path, await _record(db, summary, request, guild, str(zip_path))


async def _write(
    db: Database,
    request: ExportRequest,
    out_dir: Path,
    guild_id: str | None,
    progress: Callable[[int], None] | None,
) -> tuple[ExportSummary, str | None]:
    """Write every format; return the summary and the guild the sessions belong to."""
    started = time.perf_counter()
    sessions = await load_sessions(db, request, guild_id)
    formats = list(dict.fromkeys(request.formats))
    tracker = _Progress(progress)
    stream = RowStream(db, request, tracker.read)
    tracker.total = await stream.count(sessions) * sum(WRITERS[f].passes for f in formats)
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=".blether-export-", dir=out_dir))
    made_at = datetime.now(UTC).replace(microsecond=0)
    ctx = ExportContext(request, sessions, scratch, made_at, stream)
    written: list[WrittenFile] = []
    try:
        for fmt in formats:
            began = time.perf_counter()
            outputs = await WRITERS[fmt].write(ctx)
            seconds = time.perf_counter() - began
            for out in outputs:
                final = out_dir / out.path.name
                size = await asyncio.to_thread(_move, out.path, final)
                written.append(WrittenFile(fmt, final, size, out.rows, seconds / len(outputs)))
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
    tracker.finish()
    rows = max((sum(f.rows for f in written if f.format == fmt) for fmt in formats), default=0)
    summary = ExportSummary(
        files=tuple(written),
        rows=rows,
        seconds=time.perf_counter() - started,
        sessions=tuple(s.id for s in sessions),
        scope=request.describe(),
        made_at=made_at,
    )
    return summary, guild_id if guild_id is not None else sessions[0].guild_id


async def _record(
    db: Database, summary: ExportSummary, request: ExportRequest, guild_id: str | None, location: str
) -> ExportSummary:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO exports (guild_id, scope, formats, rows, made_at, location) VALUES (?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                summary.scope,
                ",".join(dict.fromkeys(request.formats)),
                summary.rows,
                summary.made_at.isoformat(),
                location,
            ),
        )
        export_id = cursor.lastrowid
    return replace(summary, export_id=export_id)


def _move(source: Path, target: Path) -> int:
    os.replace(source, target)
    return target.stat().st_size


def _zip(paths: list[Path], zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, arcname=path.name)
