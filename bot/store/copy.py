"""`blether db copy`: move a SQLite deployment into an empty PostgreSQL database.

Both databases are brought to the code's schema first, so their tables and columns are the same.
Every table is copied in one transaction, parents before children (read from the target's
foreign keys, so a table added later is not missed) and rows in id order (a reply points at an
earlier message), in batches so memory stays flat. Values are converted on the way to the
target's column types: SQLite databases made before the port hold Discord ids as text and every
time as ISO text. Afterwards each identity sequence is moved past the copied ids, and the row
count of every table is compared; any difference fails the copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.store.db import Database, db_time
from bot.store.postgres import PostgresDatabase

BATCH = 1000
_VERSIONS = "schema_migrations"


class CopyRefused(Exception):
    """The copy cannot start (or did not verify); the message says what to do."""


@dataclass(frozen=True)
class Copied:
    table: str
    source: int
    target: int


def _converter(kind: str) -> Callable[[object], object]:
    if kind in ("bigint", "integer", "smallint"):
        return lambda v: None if v is None or v == "" else int(v)  # type: ignore[call-overload]
    if kind == "timestamp with time zone":
        return lambda v: None if v is None else db_time(v)
    return lambda v: v


async def _count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    return int(row[0]) if row else 0


async def _dependency_order(target: Database, tables: list[str]) -> list[str]:
    """Tables with every table they point at before them."""
    needs: dict[str, set[str]] = {table: set() for table in tables}
    for parent in tables:
        for child, _ in await target.foreign_keys_to(parent):
            if child != parent and child in needs:
                needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, parents in needs.items() if not parents - set(ordered))
        if not ready:
            raise CopyRefused(f"the foreign keys of {sorted(needs)} form a cycle; they cannot be copied in order")
        ordered.extend(ready)
        for table in ready:
            del needs[table]
    return ordered


async def copy_database(source: Database, target: Database, say: Callable[[str], None] = print) -> list[Copied]:
    """Copy every row of `source` into the empty PostgreSQL `target` (both open and migrated)."""
    if not isinstance(target, PostgresDatabase):
        raise CopyRefused("the target must be a PostgreSQL database (BLETHER_DATABASE=postgresql://…)")
    source_tables = {t: c for t, c in (await source.tables()).items() if t != _VERSIONS}
    target_tables = {t: c for t, c in (await target.tables()).items() if t != _VERSIONS}
    if set(source_tables) != set(target_tables) or any(
            set(source_tables[t]) != set(target_tables[t]) for t in source_tables):
        raise CopyRefused("the two databases' tables differ; run the same Blether version on both "
                          "(`blether db upgrade`) before copying")
    if (await source.schema_version()) != (await target.schema_version()):
        raise CopyRefused("the two databases are at different schema versions; upgrade both first")
    for table in target_tables:
        if await _count(target, table):
            raise CopyRefused(f"the target is not empty ({table} has rows): copy only into a new, empty database")
    kinds = await target.column_types()
    order = await _dependency_order(target, sorted(target_tables))
    async with target.transaction() as tx:
        for table in order:
            columns = target_tables[table]
            convert = [_converter(kinds[table][c]) for c in columns]
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join(f'${n}' for n in range(1, len(columns) + 1))})"
            by_id = " ORDER BY id" if "id" in columns else ""
            batch: list[tuple[object, ...]] = []
            async for row in source.iterate(f"SELECT {names} FROM {table}{by_id}", (), BATCH):
                batch.append(tuple(f(row[i]) for i, f in enumerate(convert)))
                if len(batch) >= BATCH:
                    await tx.executemany(insert, batch)
                    batch = []
            await tx.executemany(insert, batch)
            if "id" in columns:
                # Explicit ids were copied, so the identity sequence is moved past them.
                await tx.fetch_one(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
    copied = [Copied(table, await _count(source, table), await _count(target, table)) for table in order]
    width = max(len(c.table) for c in copied)
    for c in copied:
        say(f"  {c.table.ljust(width)}  {c.source:>9} → {c.target:>9}{'' if c.source == c.target else '  MISMATCH'}")
    wrong = [c.table for c in copied if c.source != c.target]
    if wrong:
        raise CopyRefused(f"row counts differ for {', '.join(wrong)}: do not switch to the copy")
    return copied
