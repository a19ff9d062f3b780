"""The database holds people's words and the pseudonym key: only the bot's user may read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.store.db import Database

pytestmark = pytest.mark.usefixtures("permissive_umask")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_new_database_wal_shm_and_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "blether.sqlite3"
    async with Database(path) as db:
        async with db.transaction() as conn:
            await conn.execute("PRAGMA user_version")
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
        for suffix in ("-wal", "-shm"):
            companion = path.with_name(path.name + suffix)
            assert companion.exists() and mode(companion) == 0o600, suffix


async def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "blether.sqlite3"
    async with Database(path):
        pass
    path.chmod(0o644)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).write_bytes(b"")
        path.with_name(path.name + suffix).chmod(0o644)
    async with Database(path):
        assert mode(path) == 0o600
        assert mode(path.with_name(path.name + "-wal")) == 0o600
