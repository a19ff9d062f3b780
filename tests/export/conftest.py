from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from export_fixture import seed

from bot.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    path = await seed(tmp_path / "cafe.sqlite3")
    async with Database(path) as database:
        yield database
