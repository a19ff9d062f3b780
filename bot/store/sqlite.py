"""The SQLite backend: one aiosqlite connection, its migrations and its transactions.

One connection (not a pool) because SQLite serialises writers anyway; WAL lets readers such as
a long export run beside the capture path without blocking it. Everything SQLite-only lives here:
``PRAGMA``s, ``BEGIN IMMEDIATE``, the write lock, the erasing checkpoint, the ``$n`` → ``?n``
placeholder rewrite and the conversion of datetimes to the stored ISO text.

The database holds people's words and the pseudonym key, so the file, its ``-wal`` and ``-shm``
companions and any folder made for it are readable by the bot's user only (0600 / 0700).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import aiosqlite

from bot.core.clock import Clock, to_iso
from bot.store.db import Database, IntegrityError, Row, Tx

_PLACEHOLDER = re.compile(r"\$(\d+)")


@lru_cache(maxsize=1024)
def sqlite_sql(sql: str) -> str:
    """Shared SQL in SQLite's dialect: ``$1`` becomes ``?1`` (same number, so a parameter used twice
    stays one value). Plain ``?`` passes through for SQL written before the port."""
    return _PLACEHOLDER.sub(r"?\1", sql)


def _value(value: object) -> object:
    """A parameter as SQLite stores it: times as the existing ISO 8601 text, booleans as 0/1."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _params(params: Iterable[Any]) -> tuple[object, ...]:
    return tuple(_value(v) for v in params)


class SqliteTx(Tx):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            async with self._conn.execute(sqlite_sql(sql), _params(params)) as cur:
                return cur.rowcount
        except aiosqlite.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        try:
            await self._conn.executemany(sqlite_sql(sql), [_params(row) for row in rows])
        except aiosqlite.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)  # read to the end: a RETURNING statement finishes then
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        try:
            async with self._conn.execute(sqlite_sql(sql), _params(params)) as cur:
                return cast(list[Row], list(await cur.fetchall()))
        except aiosqlite.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc


class SqliteDatabase(Database):
    backend = "sqlite"

    def __init__(self, target: str | Path, clock: Clock | None = None) -> None:
        super().__init__(target, clock)
        self.path = Path(target)
        self._conn: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # An erasure whose checkpoint could not finish yet (a reader held the old pages); the
        # next transaction to commit tries again.
        self._scrub_pending = False

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
        try:
            await self.migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @asynccontextmanager
    async def transaction(self, *, erasing: bool = False) -> AsyncIterator[Tx]:
        """The lock keeps two coroutines from interleaving statements on the shared connection,
        which SQLite would otherwise fold into one another's transaction. Once an erasing
        transaction commits, the write-ahead log is checkpointed and truncated, because until then
        the old pages (words and all) stay readable in the ``-wal`` file."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            changes_before = await self._total_changes() if erasing else 0
            try:
                yield SqliteTx(self.conn)
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

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self.conn.execute(sqlite_sql(sql), _params(params)) as cur:
            return cast(Row | None, await cur.fetchone())

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self.conn.execute(sqlite_sql(sql), _params(params)) as cur:
            return cast(list[Row], list(await cur.fetchall()))

    async def iterate(self, sql: str, params: Iterable[Any] = (), batch: int = 500) -> AsyncIterator[Row]:
        async with self.conn.execute(sqlite_sql(sql), _params(params)) as cur:
            while rows := await cur.fetchmany(batch):
                for row in rows:
                    yield cast(Row, row)

    # --- the schema ------------------------------------------------------------------------------

    async def applied_migrations(self) -> set[int]:
        """Made on first use. A database from before the table kept its version in
        ``PRAGMA user_version``; that number is adopted once, as versions 1 to it."""
        found = await self.fetch_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        if found is None:
            async with self.transaction() as tx:
                row = await tx.fetch_one("PRAGMA user_version")
                adopted = int(row[0]) if row else 0
                await tx.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
                await tx.executemany("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                                     [(n, self.now()) for n in range(1, adopted + 1)])
        rows = await self.fetch_all("SELECT version FROM schema_migrations")
        return {int(r[0]) for r in rows}

    async def _apply(self, number: int, sql: str) -> bool:
        """One migration in one transaction. A migration that rebuilds a table other tables point at
        starts with ``-- foreign_keys: off``: SQLite's recipe for that turns the checks off (only
        possible outside a transaction) and checks every key before committing."""
        rebuilds = sql.lstrip().lower().startswith("-- foreign_keys: off")
        if rebuilds:
            await self.conn.execute("PRAGMA foreign_keys=OFF")
        try:
            async with self.transaction() as tx:
                for statement in _split_statements(sql):
                    await self.conn.execute(statement)
                if rebuilds and await tx.fetch_all("PRAGMA foreign_key_check"):
                    raise IntegrityError(f"migration {number:03d} would leave rows pointing at nothing")
                await tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                                 (number, self.now()))
                # Kept in step, so tools that read SQLite's own version number see the same one.
                await self.conn.execute(f"PRAGMA user_version = {int(number)}")
        finally:
            if rebuilds:
                await self.conn.execute("PRAGMA foreign_keys=ON")
        return True

    async def tables(self) -> dict[str, list[str]]:
        names = await self.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        found: dict[str, list[str]] = {}
        for (name,) in names:
            columns = await self.fetch_all(f"PRAGMA table_info({name})")
            found[str(name)] = [str(c["name"]) for c in columns]
        return found

    async def foreign_keys_to(self, table: str) -> list[tuple[str, str]]:
        pointing: list[tuple[str, str]] = []
        for name in await self.tables():
            for fk in await self.fetch_all(f"PRAGMA foreign_key_list({name})"):
                if fk["table"] == table:
                    pointing.append((name, str(fk["from"])))
        return pointing


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
