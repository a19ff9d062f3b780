"""Exports on the host: private modes, the zip posted then deleted, kept only when it cannot go."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from export_fixture import GUILD

from bot.services.chat import ChatError
from bot.services.exports import (
    ExportRequest,
    KeptBecause,
    export_zip,
    remove_old_host_copies,
    run_export,
    send_export,
)
from bot.store.db import Database

ORGANISERS = 700_000_000_000_000_001


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The host's umask would otherwise decide the modes (a common default is 022)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class Uploads:
    """A Chat port's post_file; everything else an export never calls."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[int, str, str, bytes]] = []

    async def post_file(self, channel_id: int, text: str, filename: str, data: bytes) -> int:
        if self.fail:
            raise ChatError("Missing Permissions", status=403, code=50013)
        self.sent.append((channel_id, text, filename, data))
        return 42


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

    assert delivery.sent and delivery.message_id == 42 and delivery.kept_at is None
    [(channel, text, filename, data)] = chat.sent
    assert channel == ORGANISERS and filename == delivery.zip_name and len(data) == delivery.size
    assert "pseudonymous" in text and "session 1" in text
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        assert len(archive.namelist()) == 3
    assert mode(exports) == 0o700
    assert list(exports.iterdir()) == []


@pytest.mark.parametrize(
    ("fail", "channel", "limit", "because"),
    [
        (False, ORGANISERS, 10, KeptBecause.TOO_LARGE),
        (False, None, 10 * 1024 * 1024, KeptBecause.NO_CHANNEL),
        (True, ORGANISERS, 10 * 1024 * 1024, KeptBecause.UPLOAD_FAILED),
    ],
)
async def test_a_zip_that_cannot_be_posted_is_kept_privately(
    db: Database, tmp_path: Path, fail: bool, channel: int | None, limit: int, because: KeptBecause
) -> None:
    chat = Uploads(fail=fail)
    delivery = await send_export(db, chat, request(), exports_dir=tmp_path / "exports", guild_id=int(GUILD), actor_id=1,
                                 channel_id=channel, upload_limit=limit)

    assert not delivery.sent and delivery.kept_because is because
    assert delivery.kept_at is not None and delivery.kept_at.is_file()
    assert mode(delivery.kept_at) == 0o600 and mode(delivery.kept_at.parent) == 0o700
    assert delivery.summary.rows > 0
    assert not chat.sent


async def test_old_host_copies_are_removed_and_new_ones_kept(db: Database, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    kept = [
        (await send_export(db, Uploads(), request(), exports_dir=exports, guild_id=int(GUILD), actor_id=1,
                           channel_id=None, upload_limit=0)).kept_at
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
