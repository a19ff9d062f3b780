"""The one aiosqlite connection Blether owns, its migrations and its transactions.

One connection (not a pool) because SQLite serialises writers anyway; WAL lets readers such as
a long export run beside the capture path without blocking it.

The database holds people's words and the pseudonym key, so the file, its ``-wal`` and ``-shm``
companions and any folder made for it are readable by the bot's user only (0600 / 0700).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.clock import Clock, RealClock, to_iso

#: A row as the store hands it out: read by column name (`row["text"]`) or position. Layers above
#: the store name this type, never the driver's.
Row = aiosqlite.Row

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class Database:
    """Owns the connection; repositories borrow it and never open their own."""

    def __init__(self, path: Path | str, clock: Clock | None = None) -> None:
        self.path = Path(path)
        # Every stored time comes from this clock, so a rehearsal's compressed café time and the
        # store agree: a step's claim, a consent row and the round it falls in share one timeline.
        self.clock: Clock = clock or RealClock()
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # An erasure whose checkpoint could not finish yet (a reader held the old pages); the
        # next transaction to commit tries again.
        self._scrub_pending = False

    def now_iso(self) -> str:
        """The current café time in the database's one text form."""
        return to_iso(self.clock.now())

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the database is not open")
        return self._conn

    async def open(self) -> None:
        """Open, enable WAL and foreign keys, and bring the schema up to date."""
        if self._conn is not None:
            return
        on_disk = str(self.path) != ":memory:"
        if on_disk:
            await asyncio.to_thread(_create_private, self.path)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        # Freed pages and cells are overwritten with zeros, so a deleted or edited-out message
        # leaves no readable trace in the database file once its pages are checkpointed.
        await self._conn.execute("PRAGMA secure_delete=ON")
        if on_disk:
            # SQLite makes -wal and -shm with the database file's mode, but only when it
            # creates them; an older pair left by a previous run keeps whatever it had.
            await asyncio.to_thread(_restrict_companions, self.path)
        await self.migrate()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self, *, erasing: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: all of it lands or none of it does.

        The lock keeps two coroutines from interleaving statements on the shared connection,
        which SQLite would otherwise fold into one another's transaction. `erasing` says the
        transaction removes or overwrites people's words: once it commits, the write-ahead log
        is checkpointed and truncated, because until then the old pages (words and all) stay
        readable in the ``-wal`` file.
        """
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            changes_before = await self._total_changes() if erasing else 0
            try:
                yield self.conn
                erased = erasing and await self._total_changes() != changes_before
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
                if erased or self._scrub_pending:
                    await self._checkpoint()

    async def _total_changes(self) -> int:
        async with self.conn.execute("SELECT total_changes()") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _checkpoint(self) -> None:
        """Copy the log into the database file (where secure_delete has zeroed freed space) and
        truncate it to nothing. Called under the write lock, after a commit."""
        if str(self.path) == ":memory:":
            return
        try:
            async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
            # (busy, log frames, frames checkpointed): busy means a reader kept it from finishing.
            self._scrub_pending = row is None or int(row[0]) != 0
        except aiosqlite.OperationalError:
            self._scrub_pending = True

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def iterate(self, sql: str, params: Iterable[Any] = (), batch: int = 500) -> AsyncIterator[aiosqlite.Row]:
        """Stream rows in batches so exports keep flat memory however many rows there are."""
        async with self.conn.execute(sql, tuple(params)) as cur:
            while rows := await cur.fetchmany(batch):
                for row in rows:
                    yield row

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply every numbered migration above the recorded version, each in its own transaction."""
        current = await self.schema_version()
        applied: list[int] = []
        for number, sql in available_migrations():
            if number <= current:
                continue
            async with self._write_lock:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_statements(sql):
                        await self.conn.execute(statement)
                    await self.conn.execute(f"PRAGMA user_version = {number}")
                except BaseException:
                    await self.conn.execute("ROLLBACK")
                    raise
                await self.conn.execute("COMMIT")
            applied.append(number)
        return applied


def _create_private(path: Path) -> None:
    """Make missing folders 0700 and the database file 0600 before SQLite opens it."""
    missing = [folder for folder in path.parents if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        folder.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def _restrict_companions(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        try:
            companion.chmod(0o600)
        except FileNotFoundError:
            continue


def available_migrations() -> list[tuple[int, str]]:
    """The migration files shipped in the package, in order."""
    found: list[tuple[int, str]] = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements: list[str] = []
    buffer: list[str] = []
    in_trigger = False
    for line in sql.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("--")):
            continue
        buffer.append(line)
        upper = stripped.upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if (in_trigger and upper == "END;") or (not in_trigger and stripped.endswith(";")):
            statements.append("\n".join(buffer))
            buffer = []
            in_trigger = False
    if buffer and "".join(buffer).strip():
        statements.append("\n".join(buffer))
    return statements
