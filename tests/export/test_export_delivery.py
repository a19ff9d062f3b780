"""Exports on the host: private modes, the zip posted then deleted (or its files, when it is over the
server's upload limit), kept only when it cannot go."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from export_fixture import GUILD

from bot.services.chat import MAX_FILES_PER_MESSAGE, ChatError, FileUpload
from bot.services.exports import (
    ExportRequest,
    KeptBecause,
    export_zip,
    pack_uploads,
    remove_old_host_copies,
    run_export,
    send_export,
)
from bot.store.db import Database

ORGANISERS = 700_000_000_000_000_001


pytestmark = pytest.mark.usefixtures("permissive_umask")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Uploads:
    """A Chat port's post_files, as strict as Discord: at most ten files, together within the limit."""

    def __init__(self, fail: bool = False, limit: int = 10 * 1024 * 1024) -> None:
        self.fail = fail
        self.limit = limit
        self.sent: list[tuple[int, str, list[FileUpload]]] = []

    async def post_files(self, channel_id: int, text: str, files: Sequence[FileUpload]) -> int:
        if self.fail:
            raise ChatError("Missing Permissions", status=403, code=50013)
        if len(files) > MAX_FILES_PER_MESSAGE or sum(len(f.data) for f in files) > self.limit:
            raise ChatError("Request entity too large", status=413, code=40005)
        self.sent.append((channel_id, text, list(files)))
        return 42 + len(self.sent)


def request() -> ExportRequest:
    return ExportRequest(session_id=1, formats=("csv", "md"))


async def test_every_export_file_is_0600_and_every_folder_made_is_0700(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "new" / "nested"
    summary = await run_export(db, request(), out)
    assert mode(out) == 0o700 and mode(out.parent) == 0o700
    assert summary.files and all(mode(f.path) == 0o600 for f in summary.files)

    zips = tmp_path / "zips"
    zip_path, _ = await export_zip(db, request(), zips)
    assert mode(zips) == 0o700 and mode(zip_path) == 0o600


async def test_a_posted_export_leaves_no_copy_on_the_host(db: Database, tmp_path: Path) -> None:
    chat = Uploads()
    exports = tmp_path / "exports"
    delivery = await send_export(db, chat, request(), exports_dir=exports, guild_id=int(GUILD), actor_id=1,
                                 channel_id=ORGANISERS, upload_limit=10 * 1024 * 1024)

    assert delivery.sent and not delivery.split and delivery.message_ids == (43,) and not delivery.kept
    [(channel, text, [upload])] = chat.sent
    assert channel == ORGANISERS and upload.filename == delivery.zip_name and len(upload.data) == delivery.size
    assert "pseudonymous" in text and "session 1" in text
    with zipfile.ZipFile(io.BytesIO(upload.data)) as archive:
        assert len(archive.namelist()) == 3
    assert mode(exports) == 0o700
    assert list(exports.iterdir()) == []


def _sizes(zip_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(zip_path) as archive:
        return {i.filename: i.file_size for i in archive.infolist()}


async def test_an_export_over_the_limit_goes_file_by_file_across_messages(db: Database, tmp_path: Path) -> None:
    everything = ExportRequest(session_id=1)  # csv (two files), jsonl, notes, report, qdpx
    zip_path, _ = await export_zip(db, everything, tmp_path / "probe")
    sizes = _sizes(zip_path)
    report = next(name for name in sizes if name.endswith("-report.html"))
    # Lower than the zip and than the report alone, higher than every other file and than two of them.
    limit = max(size for name, size in sizes.items() if name != report) * 2
    assert sizes[report] > limit > zip_path.stat().st_size // 3
    chat = Uploads(limit=limit)
    exports = tmp_path / "exports"

    delivery = await send_export(db, chat, everything, exports_dir=exports, guild_id=int(GUILD), actor_id=1,
                                 channel_id=ORGANISERS, upload_limit=limit)

    assert delivery.split and not delivery.sent
    posted = {p.name for p in delivery.posted}
    assert posted == set(sizes) - {report} and len(chat.sent) == len(delivery.message_ids) >= 2
    assert all(sum(len(f.data) for f in files) <= limit and len(files) <= 10 for _, _, files in chat.sent)
    assert "Part 1 of" in chat.sent[0][1] and "part 2 of" in chat.sent[1][1]
    arrived = {f.filename: f.data for _, _, files in chat.sent for f in files}
    with zipfile.ZipFile(zip_path) as archive:  # intact (the CSV carries no export time, so it is comparable)
        assert arrived["blether-S1.csv"] == archive.read("blether-S1.csv")
    [kept] = delivery.kept
    assert kept.name == report and kept.because is KeptBecause.TOO_LARGE and kept.size == sizes[report]
    assert kept.path.is_file() and mode(kept.path) == 0o600 and mode(kept.path.parent) == 0o700
    assert [p.name for p in kept.path.parent.iterdir()] == [report]  # posted files and the zip are gone


def test_uploads_are_packed_in_order_within_ten_files_and_the_limit() -> None:
    groups, too_large = pack_uploads([(f"f{i}", 1) for i in range(12)] + [("big", 9), ("huge", 11), ("end", 2)], 10)
    assert groups == [[f"f{i}" for i in range(10)], ["f10", "f11"], ["big"], ["end"]]
    assert too_large == ["huge"]


@pytest.mark.parametrize(
    ("fail", "channel", "because"),
    [
        (False, None, KeptBecause.NO_CHANNEL),
        (True, ORGANISERS, KeptBecause.UPLOAD_FAILED),
    ],
)
async def test_a_zip_that_cannot_be_posted_is_kept_privately(
    db: Database, tmp_path: Path, fail: bool, channel: int | None, because: KeptBecause
) -> None:
    chat = Uploads(fail=fail)
    delivery = await send_export(db, chat, request(), exports_dir=tmp_path / "exports", guild_id=int(GUILD), actor_id=1,
                                 channel_id=channel, upload_limit=10 * 1024 * 1024)

    [kept] = delivery.kept
    assert not delivery.sent and not delivery.posted and kept.because is because and kept.name == delivery.zip_name
    assert kept.path.is_file() and mode(kept.path) == 0o600 and mode(kept.path.parent) == 0o700
    assert delivery.summary.rows > 0
    assert not chat.sent


async def test_old_host_copies_are_removed_and_new_ones_kept(db: Database, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    kept = [
        (await send_export(db, Uploads(), request(), exports_dir=exports, guild_id=int(GUILD), actor_id=1,
                           channel_id=None, upload_limit=0)).kept[0].path
        for _ in range(2)
    ]
    old, new = kept
    assert old is not None and new is not None
    long_ago = (datetime.now(UTC) - timedelta(days=40)).timestamp()
    os.utime(old, (long_ago, long_ago))
    os.utime(old.parent, (long_ago, long_ago))

    assert await remove_old_host_copies(exports, timedelta(days=30)) == 1
    assert not old.parent.exists() and new.is_file()
    assert await remove_old_host_copies(tmp_path / "never-made", timedelta(days=30)) == 0
