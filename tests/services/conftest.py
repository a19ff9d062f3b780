from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.models import GuildConfig
from bot.store.db import Database

from .fakes import FakeChat, FixedClock

GUILD = 111111111111111111


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "blether.sqlite3") as database:
        yield database


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def config() -> GuildConfig:
    return GuildConfig(GUILD, 901, 902, None, None, "Europe/London", 180)
