from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store.db import Database, open_database


@pytest.fixture
async def db(database_target: str) -> AsyncIterator[Database]:
    """The store's tests run on both backends (see `database_target` in tests/conftest.py)."""
    async with open_database(database_target) as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """For what only SQLite has (its file, its write-ahead log, its old schema versions)."""
    async with open_database(tmp_path / "blether.sqlite3") as database:
        yield database
