"""The database on both backends: transactions, the append-only consent ledger, streaming, and
what only the SQLite backend does (pragmas, placeholder rewriting, statement splitting)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.store.db import Database, IntegrityError, db_time, open_database, redacted
from bot.store.sqlite import SqliteDatabase, _split_statements, sqlite_sql

from .helpers import count, make_session

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


async def test_sqlite_wal_and_foreign_keys_are_on(sqlite_db: Database) -> None:
    journal = await sqlite_db.fetch_one("PRAGMA journal_mode")
    keys = await sqlite_db.fetch_one("PRAGMA foreign_keys")
    assert journal is not None and journal[0] == "wal"
    assert keys is not None and keys[0] == 1


async def test_closed_database_says_so() -> None:
    with pytest.raises(RuntimeError, match="not open"):
        _ = SqliteDatabase(":memory:").conn


def test_the_setting_picks_the_backend() -> None:
    assert open_database("blether.sqlite3").backend == "sqlite"
    assert open_database("postgresql://blether@/blether?host=/run/pg").backend == "postgresql"
    assert open_database("postgres://u:secret@db/blether").backend == "postgresql"
    assert redacted("postgresql://u:secret@db/blether") == "postgresql://u:…@db/blether"


async def test_the_consent_ledger_refuses_updates(db: Database) -> None:
    session_id = await make_session(db)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (42, $1)", (NOW,))
        await tx.execute(
            "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, recorded_at) "
            "VALUES ($1, 1, 'v', 'decline', 'button', $2)", (session_id, NOW),
        )
    with pytest.raises(IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE consent_ledger SET choice = 'record'")
    row = await db.fetch_one("SELECT choice FROM consent_ledger")
    assert row is not None and row[0] == "decline"


async def test_a_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (1, $1)", (NOW,))
            await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (1, $1)", (NOW,))
    assert await count(db, "participants") == 0


async def test_an_error_raised_by_the_caller_rolls_back(db: Database) -> None:
    with pytest.raises(KeyError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (1, $1)", (NOW,))
            raise KeyError("boom")
    assert await count(db, "participants") == 0
    async with db.transaction() as tx:  # the lock (or the pool's connection) was released
        await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (1, $1)", (NOW,))
    assert await count(db, "participants") == 1


async def test_the_tx_api_counts_returns_and_reads_on_both_backends(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.fetch_one(
            "INSERT INTO participants (discord_user_id, created_at) VALUES ($1, $2) RETURNING id", (2**62, NOW))
        await tx.executemany("INSERT INTO participants (discord_user_id, created_at) VALUES ($1, $2)",
                             [(n, NOW) for n in (5, 6, 7)])
        assert first is not None
        changed = await tx.execute("UPDATE participants SET created_at = $1 WHERE discord_user_id IN ($2, $3)",
                                   (NOW, 5, 6))
        rows = await tx.fetch_all("SELECT discord_user_id FROM participants WHERE id = $1", (first[0],))
    assert changed == 2
    # A Discord id is a 64-bit integer on both backends, and a time comes back as the same moment.
    assert [int(r[0]) for r in rows] == [2**62]
    row = await db.fetch_one("SELECT created_at FROM participants WHERE discord_user_id = $1", (2**62,))
    assert row is not None and db_time(row[0]) == NOW


async def test_iterate_streams_every_row(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.executemany("INSERT INTO participants (discord_user_id, created_at) VALUES ($1, $2)",
                             [(i, NOW) for i in range(7)])
    ids = [int(row["discord_user_id"]) async for row in db.iterate("SELECT * FROM participants ORDER BY id", batch=3)]
    assert ids == list(range(7))


async def test_an_export_stream_does_not_hold_up_writers(db: Database) -> None:
    """A long read (an export's cursor) and a write run side by side on both backends."""
    async with db.transaction() as tx:
        await tx.executemany("INSERT INTO participants (discord_user_id, created_at) VALUES ($1, $2)",
                             [(i, NOW) for i in range(10)])
    seen = 0
    async for _ in db.iterate("SELECT id FROM participants ORDER BY id", batch=2):
        if seen == 0:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO participants (discord_user_id, created_at) VALUES (99, $1)", (NOW,))
        seen += 1
    assert seen >= 10 and await count(db, "participants") == 11


def test_sqlite_reads_numbered_placeholders_as_its_own() -> None:
    assert sqlite_sql("SELECT $1, $2 WHERE a = $1 AND b = $10") == "SELECT ?1, ?2 WHERE a = ?1 AND b = ?10"


def test_trigger_bodies_stay_whole_when_splitting() -> None:
    sql = (
        "-- comment\nCREATE TABLE a (x);\n\nCREATE TRIGGER t BEFORE UPDATE ON a\nBEGIN\n"
        "    SELECT RAISE(ABORT, 'no');\nEND;\nCREATE TABLE b (y);\n"
    )
    statements = _split_statements(sql)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].rstrip().endswith("END;")
