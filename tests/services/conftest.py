from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.models import GuildConfig
from bot.store.db import Database, open_database

from .fakes import FakeChat, FixedClock

GUILD = 111111111111111111


@pytest.fixture
async def db(database_target: str) -> AsyncIterator[Database]:
    """Service tests run on both backends (see `database_target` in tests/conftest.py)."""
    async with open_database(database_target) as database:
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
