"""The one database Blether owns, behind one interface with two backends.

SQLite (``bot/store/sqlite.py``) is the embedded default: one file, one connection, one writer at a
time. PostgreSQL (``bot/store/postgres.py``) is for a hosted Blether that several processes share:
a connection pool, a transaction per write. Repositories write their SQL once, to the rules in
docs/ARCHITECTURE.md ("Writing SQL for both backends"): numbered ``$1`` placeholders, ``RETURNING``,
``ON CONFLICT``, aware datetimes and Python ints as parameters. Layers above the store name `Row`,
`Tx` and `Database` from here, never a driver's type.

`Database(target, clock)` picks the backend from the setting: ``postgresql://…`` (or
``postgres://…``) is PostgreSQL, anything else is a SQLite file path.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol

from bot.core.clock import Clock, RealClock, from_iso, to_iso

BACKENDS = ("sqlite", "postgresql")
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class Row(Protocol):
    """A row as the store hands it out: read by column name (`row["text"]`) or position, unpacked
    like a tuple, turned into a dict with `dict(row)`. Both drivers' rows are one."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


class Tx(ABC):
    """One open write transaction, the same shape on both backends: statements run in it land
    together at commit or not at all. Only `Database.transaction` makes one."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; the number of rows it inserted, updated or deleted."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement once per parameter row."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        """The first row of a query (or of an ``INSERT … RETURNING``), None when there is none."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Every row of a query."""


class IntegrityError(Exception):
    """A constraint refused a write (a second live step, a duplicate key, the append-only ledger),
    whichever backend refused it; the transaction it happened in is rolled back."""


class DatabaseUnavailable(RuntimeError):
    """The database server could not be reached; the message says where and what to check."""


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer Blether: running older code on it could corrupt it."""

    def __init__(self, database: int, code: int) -> None:
        super().__init__(
            f"The database is at schema version {database}, but this Blether knows versions up to {code}. "
            "A newer Blether has upgraded it: run that version (or point BLETHER_DATABASE at the right "
            "database); an older one must not write to it."
        )
        self.database = database
        self.code = code


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """A database URL fit for a message or a log: the password, if any, is left out."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:…@", url)


def db_time(value: object) -> datetime:
    """A stored time as an aware UTC datetime, whichever backend read it: PostgreSQL hands out
    datetimes (timestamptz), SQLite the ISO 8601 text it stores (naive text is taken as UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else from_iso(value)
    raise TypeError(f"not a stored time: {value!r}")


def db_time_opt(value: object) -> datetime | None:
    return None if value is None else db_time(value)


def db_int_opt(value: object) -> int | None:
    """A stored Discord id (or other integer) that may be empty. Tolerates the text an id was kept
    as before SQLite's migration 011, so a row written by an older Blether still reads."""
    if value is None or value == "":
        return None
    return int(value) if isinstance(value, int | str) else None


class Database(ABC):
    """Owns the connection (SQLite) or pool (PostgreSQL); repositories borrow it and never open
    their own. `Database(target, clock)` returns the backend the target names."""

    backend: ClassVar[str]

    def __new__(cls, target: str | Path, clock: Clock | None = None) -> Database:
        # `Database(target)` is `open_database(target)`, so code and tests written before the
        # PostgreSQL port keep working; new code calls `open_database`.
        if cls is Database:
            return open_database(target, clock)
        return super().__new__(cls)

    def __init__(self, target: str | Path, clock: Clock | None = None) -> None:
        # Every stored time comes from this clock, so a rehearsal's compressed café time and the
        # store agree: a step's claim, a consent row and the round it falls in share one timeline.
        self.clock: Clock = clock or RealClock()
        #: The migrations the last `open` applied (for `blether db upgrade` to report).
        self.upgraded: list[int] = []

    def now(self) -> datetime:
        """The current café time, as repositories pass it to the store."""
        return self.clock.now()

    def now_iso(self) -> str:
        """The current café time in the store's one text form (SQLite's stored times, logs)."""
        return to_iso(self.clock.now())

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (refusing a database newer than the code)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self, *, erasing: bool = False) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: all of it lands or none of it does.

        `erasing` says it removes or overwrites people's words, so a backend that keeps old pages
        readable after commit (SQLite's write-ahead log) scrubs them once it commits."""

    @abstractmethod
    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def iterate(self, sql: str, params: Iterable[Any] = (), batch: int = 500) -> AsyncIterator[Row]:
        """Stream rows in batches so exports keep flat memory however many rows there are."""

    # --- the schema ------------------------------------------------------------------------------

    @abstractmethod
    async def applied_migrations(self) -> set[int]:
        """The versions recorded in ``schema_migrations`` (made, or adopted, on first use)."""

    @abstractmethod
    async def _apply(self, number: int, sql: str) -> bool:
        """Apply one migration and record it, in one transaction; False if another process had
        applied it meanwhile."""

    @abstractmethod
    async def tables(self) -> dict[str, list[str]]:
        """Every table of Blether's schema and its columns, in order (for checks and the copy)."""

    @abstractmethod
    async def foreign_keys_to(self, table: str) -> list[tuple[str, str]]:
        """(table, column) of every foreign key pointing at `table`, read from the schema itself."""

    async def schema_version(self) -> int:
        return max(await self.applied_migrations(), default=0)

    async def migrate(self) -> list[int]:
        """Apply every numbered migration not yet recorded, each in its own transaction, after
        refusing a database that a newer Blether has upgraded."""
        shipped = available_migrations(self.backend)
        applied = await self.applied_migrations()
        newest = max((number for number, _ in shipped), default=0)
        if applied and max(applied) > newest:
            raise SchemaTooNew(max(applied), newest)
        done: list[int] = []
        for number, sql in shipped:
            if number not in applied and await self._apply(number, sql):
                done.append(number)
        self.upgraded = done
        return done


def open_database(target: str | Path, clock: Clock | None = None) -> Database:
    """The database the setting names (not yet open: ``async with open_database(…) as db``).
    ``postgresql://…`` is PostgreSQL; anything else is a SQLite file path."""
    if is_postgres_url(target):
        from bot.store.postgres import PostgresDatabase

        return PostgresDatabase(target, clock)
    from bot.store.sqlite import SqliteDatabase

    return SqliteDatabase(target, clock)


def migrations_folder(backend: str) -> Any:
    if backend not in BACKENDS:
        raise ValueError(f"no such backend {backend!r}")
    return resources.files("bot.store").joinpath("migrations", backend)


def available_migrations(backend: str = "sqlite") -> list[tuple[int, str]]:
    """One backend's migration files shipped in the package, in order."""
    found: list[tuple[int, str]] = []
    for entry in migrations_folder(backend).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def has_statements(sql: str) -> bool:
    """Whether a migration does anything (a PostgreSQL file may only say it is folded into 001)."""
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())


def placeholders(count: int, start: int = 1) -> str:
    """``$start, …`` for a list of `count` values (an ``IN (…)`` list), numbered from `start`."""
    return ", ".join(f"${n}" for n in range(start, start + count))
