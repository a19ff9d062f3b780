"""Fixtures every test folder may use."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from pg_server import PostgresServer, PostgresUnavailable

from bot.store.db import open_database


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A common host umask (022), so a file's mode is decided by Blether, not by the machine's setting."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- the two database backends ------------------------------------------------------------------
#
# Store, service and capture tests take `database_target` (through their folder's `db` fixture)
# and so run twice: on a SQLite file and on a fresh database of a real PostgreSQL server that this
# session starts (tests/pg_server.py) and stops at the end. Cog tests stay on SQLite.

_postgres = PostgresServer()
_postgres_problem: list[str] = []
_TEMPLATE = "blether_template"


def _make_template(server: PostgresServer) -> None:
    """One migrated database that each test's database is copied from (quicker than migrating)."""

    async def make() -> None:
        admin = await asyncpg.connect(server.url())
        try:
            await admin.execute(f'CREATE DATABASE "{_TEMPLATE}"')
        finally:
            await admin.close()
        async with open_database(server.url(_TEMPLATE)):
            pass

    # The session fixture may first be asked for inside a test's running event loop: run apart.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if _postgres_problem:
        pytest.skip(_postgres_problem[0])
    try:
        _postgres.start()
        _make_template(_postgres)
    except (PostgresUnavailable, OSError, asyncpg.PostgresError) as exc:
        _postgres_problem.append(f"PostgreSQL tests skipped: {exc}")
        _postgres.stop()
        pytest.skip(_postgres_problem[0])
    yield _postgres
    _postgres.stop()


async def _new_database(server: PostgresServer, *, migrated: bool) -> str:
    name = server.next_name()
    admin = await asyncpg.connect(server.url())
    try:
        template = f' TEMPLATE "{_TEMPLATE}"' if migrated else ""
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    return name


async def _drop_database(server: PostgresServer, name: str) -> None:
    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (no Blether schema yet)."""
    name = await _new_database(postgres_server, migrated=False)
    yield postgres_server.url(name)
    await _drop_database(postgres_server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a test's database lives: a SQLite file, or a fresh, migrated PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "blether.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = await _new_database(server, migrated=True)
    yield server.url(name)
    await _drop_database(server, name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line in the summary (and so in CI's log) when the PostgreSQL half did not run."""
    for line in _postgres_problem:
        terminalreporter.write_line(line, yellow=True)
