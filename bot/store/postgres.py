"""The PostgreSQL backend: an asyncpg pool that several Blether processes can share.

A write transaction is a pool connection inside ``conn.transaction()`` (READ COMMITTED), so
repositories keep their concurrency rules in SQL rather than in a process-wide lock: a step is
claimed with a conditional UPDATE, first-contact rows are ``INSERT … ON CONFLICT DO NOTHING``
then read back. Migrations and the version table are serialised across processes with a
transaction-scoped advisory lock. Exports stream through a server-side cursor, so memory stays
flat however many rows there are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import asyncpg

from bot.core.clock import Clock
from bot.store.db import Database, DatabaseUnavailable, IntegrityError, Row, Tx, has_statements, redacted

#: The advisory lock every process takes to change the schema (an arbitrary, fixed 64-bit key).
SCHEMA_LOCK = 0x426C657468657200  # "Blether\0"

_VERSIONS_TABLE = ("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)")


def _rowcount(status: str) -> int:
    """asyncpg answers a statement with its command tag ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx(Tx):
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        try:
            return _rowcount(await self._conn.execute(sql, *params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        batch = [tuple(row) for row in rows]
        if not batch:
            return
        try:
            await self._conn.executemany(sql, batch)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        try:
            return cast(Row | None, await self._conn.fetchrow(sql, *params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        try:
            return cast(list[Row], await self._conn.fetch(sql, *params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


class PostgresDatabase(Database):
    backend = "postgresql"

    def __init__(self, target: str | Path, clock: Clock | None = None, *, pool_size: int = 10) -> None:
        super().__init__(target, clock)
        self.url = str(target)
        self.pool_size = pool_size
        self._pool: Any = None

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseUnavailable(f"Blether could not connect to PostgreSQL at {redacted(self.url)} "
                                      f"({exc or type(exc).__name__}). Check BLETHER_DATABASE and that the "
                                      "server is running.") from exc
        try:
            await self.migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def transaction(self, *, erasing: bool = False) -> AsyncIterator[Tx]:
        # `erasing` needs nothing more here: PostgreSQL's log is the server's to recycle, and a
        # deleted row is gone from every later read the moment this commits.
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresTx(conn)

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        return cast(Row | None, await self.pool.fetchrow(sql, *params))

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return cast(list[Row], await self.pool.fetch(sql, *params))

    async def iterate(self, sql: str, params: Iterable[Any] = (), batch: int = 500) -> AsyncIterator[Row]:
        """A server-side cursor (asyncpg's cursors live inside a transaction) fetching `batch` rows
        at a time, so the client never holds more than one batch."""
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            async for row in conn.cursor(sql, *params, prefetch=batch):
                yield cast(Row, row)

    # --- the schema ------------------------------------------------------------------------------

    async def applied_migrations(self) -> set[int]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await conn.execute(_VERSIONS_TABLE)
        return {int(r[0]) for r in await self.pool.fetch("SELECT version FROM schema_migrations")}

    async def _apply(self, number: int, sql: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            if await conn.fetchval("SELECT 1 FROM schema_migrations WHERE version = $1", number):
                return False  # another process applied it while this one waited for the lock
            if has_statements(sql):
                await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                               number, self.now())
        return True

    async def tables(self) -> dict[str, list[str]]:
        rows = await self.pool.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "ORDER BY table_name, ordinal_position")
        found: dict[str, list[str]] = {}
        for table, column in rows:
            found.setdefault(str(table), []).append(str(column))
        return found

    async def column_types(self) -> dict[str, dict[str, str]]:
        """table → column → its data type as information_schema names it ("bigint", "text", …)."""
        rows = await self.pool.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()")
        found: dict[str, dict[str, str]] = {}
        for table, column, kind in rows:
            found.setdefault(str(table), {})[str(column)] = str(kind)
        return found

    async def foreign_keys_to(self, table: str) -> list[tuple[str, str]]:
        rows = await self.pool.fetch(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
            "WHERE c.contype = 'f' AND c.confrelid = $1::regclass ORDER BY 1, 2", table)
        return [(str(t), str(c)) for t, c in rows]
