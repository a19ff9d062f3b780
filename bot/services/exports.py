"""Export use cases: write the chosen formats for a session or series, record that it happened.

Files are written into a private scratch folder and moved into place only when every format
has succeeded, so a failed run leaves nothing half-written (invariant 7). Each run is recorded
in the ``exports`` table: organisers can see what left the system, when and where to.

Exports hold people's words: every folder made here is 0700 and every file 0600, whatever the
host's umask. A zip posted to the organisers' channel is deleted from the host once Discord
has it; one over the server's upload limit is posted file by file instead, and only what
could not be posted is kept (0600) until the retention job removes it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from bot.export.context import ExportContext
from bot.export.feedback import load_feedback
from bot.export.request import ExportError, ExportRequest
from bot.export.rows import RowStream
from bot.export.scope import load_sessions
from bot.services.chat import MAX_FILES_PER_MESSAGE, Chat, ChatError, FileUpload
from bot.store.audit import AuditRepo
from bot.store.db import Database
from bot.store.exports import ExportRepo

__all__ = [
    "ExportDelivery", "ExportError", "ExportRequest", "ExportSummary", "KeptBecause", "KeptFile", "PostedFile",
    "WrittenFile", "export_zip", "pack_uploads", "remove_old_host_copies", "run_export", "send_export",
]

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


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
    #: answers to the feedback survey in the export (a café can have those and no contributions)
    feedback_answers: int = 0

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
    await asyncio.to_thread(private_dir, out_dir)
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
    # The writers (jinja2 templates, the chart and QDPX code) load on the first export, not at start-up.
    from bot.export.writers import WRITERS

    tracker.total = await stream.count(sessions) * sum(WRITERS[f].passes for f in formats)
    await asyncio.to_thread(private_dir, out_dir)
    scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=".blether-export-", dir=out_dir))
    made_at = db.clock.now().replace(microsecond=0)
    feedback = await load_feedback(db, sessions)
    ctx = ExportContext(request, sessions, scratch, made_at, stream, feedback)
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
        feedback_answers=len(feedback.answers),
    )
    return summary, guild_id if guild_id is not None else sessions[0].guild_id


async def _record(
    db: Database, summary: ExportSummary, request: ExportRequest, guild_id: str | None, location: str
) -> ExportSummary:
    export_id = await ExportRepo(db).record(int(guild_id) if guild_id is not None else None, summary.scope,
                                            ",".join(dict.fromkeys(request.formats)), summary.rows, summary.made_at,
                                            location)
    return replace(summary, export_id=export_id)


def private_dir(path: Path) -> None:
    """Make ``path`` and any missing parents as folders only the bot's user can open (0700).

    ``Path.mkdir(parents=True, mode=…)`` gives the parents the umask's mode, so each missing
    folder is made here. A folder that already exists is the operator's and is left as it is.
    """
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        folder.chmod(PRIVATE_DIR)  # mkdir's mode is also filtered by the umask


def _move(source: Path, target: Path) -> int:
    source.chmod(PRIVATE_FILE)
    os.replace(source, target)
    return target.stat().st_size


def _zip(paths: list[Path], zip_path: Path) -> None:
    fd = os.open(zip_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, arcname=path.name)


# --- sending an export to the organisers' channel --------------------------------------


class KeptBecause(StrEnum):
    """Why a file stayed on the host instead of being posted."""

    TOO_LARGE = "too_large"
    NO_CHANNEL = "no_channel"
    UPLOAD_FAILED = "upload_failed"


@dataclass(frozen=True, slots=True)
class PostedFile:
    name: str
    size: int
    #: The message in the organisers' channel that holds it.
    message_id: int


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file left on the host (0600) because it could not be posted, and why."""

    name: str
    size: int
    path: Path
    because: KeptBecause


@dataclass(frozen=True, slots=True)
class ExportDelivery:
    """What :func:`send_export` did: the cog only has to put this into words.

    Either the zip was posted whole (``posted`` is the zip), or, when the zip was over the
    upload limit, its files were posted one by one across as many messages as needed; a file
    that could not go is in ``kept``.
    """

    summary: ExportSummary
    zip_name: str
    size: int
    upload_limit: int
    posted: tuple[PostedFile, ...] = ()
    kept: tuple[KeptFile, ...] = ()

    @property
    def sent(self) -> bool:
        """Everything reached the channel."""
        return bool(self.posted) and not self.kept

    @property
    def split(self) -> bool:
        """The zip was too large, so its files went separately."""
        return any(p.name != self.zip_name for p in self.posted) or any(k.name != self.zip_name for k in self.kept)

    @property
    def message_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(p.message_id for p in self.posted))


def export_caption(summary: ExportSummary) -> str:
    """The text posted with the zip: what it holds and what a later withdrawal cannot do."""
    return (
        f"Export of {summary.scope}: {summary.rows} contribution(s), pseudonymous. A later withdrawal cannot "
        "recall this file; a newer export supersedes it."
    )


def pack_uploads(sizes: Sequence[tuple[str, int]], limit: int) -> tuple[list[list[str]], list[str]]:
    """Group files into messages of at most ten files and ``limit`` bytes, keeping their order.

    Returns the groups and the files that are over the limit on their own (they cannot go).
    """
    groups: list[list[str]] = []
    too_large: list[str] = []
    used = 0
    for name, size in sizes:
        if size > limit:
            too_large.append(name)
            continue
        if not groups or len(groups[-1]) >= MAX_FILES_PER_MESSAGE or used + size > limit:
            groups.append([])
            used = 0
        groups[-1].append(name)
        used += size
    return groups, too_large


async def send_export(
    db: Database,
    chat: Chat,
    request: ExportRequest,
    *,
    exports_dir: Path,
    guild_id: int,
    channel_id: int | None,
    upload_limit: int,
    actor_id: int,
) -> ExportDelivery:
    """Export ``request`` for ``guild_id`` and post it to the organisers' channel.

    ``upload_limit`` is the server's own limit in bytes. The zip is built off the event loop
    in a private folder under ``exports_dir`` and posted whole when it fits. When it does not,
    its files are posted separately, as few to a message as the limit and Discord's ten files
    per message allow; only a file over the limit on its own stays on the host (0600). What
    was posted is deleted from the host, because the channel now holds it and a second copy
    is one more place people's words could leak from. Everything stays when there is no
    organisers' channel (``channel_id`` is None); what an upload failure stops stays too.
    Raises ExportError, before writing anything, when the request cannot be honoured.
    """
    # A codebook is the plan's rounds and themes: it holds no one's words, so it is never "empty".
    wants_words = bool(set(request.formats) - {"qdc"})
    if request.session_id is not None and wants_words:
        await _refuse_if_empty(db, request.session_id)
    await asyncio.to_thread(private_dir, exports_dir)
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"{guild_id}-", dir=exports_dir))
    try:
        zip_path, summary = await export_zip(db, request, folder, guild_id=str(guild_id))
        if wants_words and summary.rows == 0 and summary.feedback_answers == 0:
            raise ExportError("There is nothing to export: no recorded contribution in these cafés "
                              "(none ran, nobody agreed to be recorded, or everyone withdrew).")
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    size = (await asyncio.to_thread(zip_path.stat)).st_size
    await AuditRepo(db).record(guild_id, request.session_id, actor_id, "export",
                               f"formats={','.join(request.formats)} rows={summary.rows}")
    delivery = ExportDelivery(summary, zip_path.name, size, upload_limit)
    if channel_id is None:
        log.info("export %s kept on the host (no organisers' channel)", summary.export_id)
        return replace(delivery, kept=(KeptFile(zip_path.name, size, zip_path, KeptBecause.NO_CHANNEL),))
    if size <= upload_limit:
        files = [zip_path]
    else:
        files = await asyncio.to_thread(_unzip_private, zip_path, folder)
        await asyncio.to_thread(zip_path.unlink)
    sizes = [(path.name, (await asyncio.to_thread(path.stat)).st_size) for path in files]
    paths = {path.name: path for path in files}
    lengths = dict(sizes)
    groups, too_large = pack_uploads(sizes, upload_limit)
    posted: list[PostedFile] = []
    kept = [KeptFile(name, lengths[name], paths[name], KeptBecause.TOO_LARGE) for name in too_large]
    caption = export_caption(summary)
    for number, group in enumerate(groups, start=1):
        if len(groups) > 1:
            caption = f"{export_caption(summary)} Part {number} of {len(groups)}." if number == 1 else \
                f"Export of {summary.scope}, part {number} of {len(groups)}."
        uploads = [FileUpload(name, await asyncio.to_thread(paths[name].read_bytes)) for name in group]
        try:
            message_id = await chat.post_files(channel_id, caption, uploads)
        except ChatError as exc:
            log.warning("export %s: %d file(s) could not be posted (Discord said %s); kept on the host",
                        summary.export_id, sum(len(g) for g in groups[number - 1:]), exc.status)
            kept += [KeptFile(name, lengths[name], paths[name], KeptBecause.UPLOAD_FAILED)
                     for rest in groups[number - 1:] for name in rest]
            break
        posted += [PostedFile(name, lengths[name], message_id) for name in group]
        for name in group:
            await asyncio.to_thread(paths[name].unlink)
    if not kept:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    else:
        log.info("export %s: %d file(s) kept on the host", summary.export_id, len(kept))
    return replace(delivery, posted=tuple(posted), kept=tuple(kept))


def _unzip_private(zip_path: Path, folder: Path) -> list[Path]:
    """The zip's files, written beside it as private files (0600), in the zip's order."""
    out = []
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = folder / Path(info.filename).name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            os.fchmod(fd, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as raw, archive.open(info) as member:
                shutil.copyfileobj(member, raw)
            out.append(target)
    return out


async def _refuse_if_empty(db: Database, session_id: int) -> None:
    """An empty zip helps nobody and reads as "Done": say why there is nothing instead."""
    held = await ExportRepo(db).recorded(session_id)
    if held.words or held.feedback_answers:
        return
    if not held.rounds_run:
        why = "the café never ran (no round started), so nobody's words were recorded"
    elif not held.records:
        why = "nobody agreed to have their words recorded"
    elif held.withdrawals:
        why = "everyone who was recorded has since withdrawn, which erased their words"
    else:
        why = "nobody who agreed to be recorded wrote anything while it ran"
    raise ExportError(f"There is nothing to export from café #{session_id}: {why}.")


async def remove_old_host_copies(exports_dir: Path, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete export files under ``exports_dir`` last changed before ``now - older_than``.

    For the daily retention job: a zip kept because it could not be posted must not outlive
    the words it holds. Folders left empty go too; symbolic links are never followed.
    Returns how many files were removed.
    """
    cutoff = ((now or datetime.now(UTC)) - older_than).timestamp()
    return await asyncio.to_thread(_remove_older_than, exports_dir, cutoff)


def _remove_older_than(exports_dir: Path, cutoff: float) -> int:
    if not exports_dir.is_dir():
        return 0
    removed = 0
    emptied: set[Path] = set()
    for root, folders, files in os.walk(exports_dir, topdown=False):
        here = Path(root)
        for name in files:
            path = here / name
            try:
                if path.lstat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
                    emptied.add(here)
            except FileNotFoundError:
                continue
        for name in folders:
            folder = here / name
            try:
                # A folder this pass emptied, or an old one: a new empty folder may be an
                # export being written right now.
                if folder in emptied or folder.lstat().st_mtime < cutoff:
                    folder.rmdir()  # only succeeds when empty
            except OSError:
                continue
    return removed
