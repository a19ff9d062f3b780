"""The database: migrations, pragmas, transactions and the append-only consent ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store.db import Database, _split_statements, available_migrations

from .helpers import count, make_session


async def test_migrations_apply_once_and_record_the_version(tmp_path: Path) -> None:
    latest = available_migrations()[-1][0]
    path = tmp_path / "nested" / "blether.sqlite3"
    async with Database(path) as db:
        assert await db.schema_version() == latest
        assert await db.migrate() == []
    async with Database(path) as db:
        assert await db.schema_version() == latest
        assert await db.migrate() == []


async def test_a_failed_migration_rolls_back_and_keeps_the_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "fresh.sqlite3")
    await db.open()
    try:
        await db.conn.execute("PRAGMA user_version = 0")
        await db.conn.execute("DROP TABLE exports")
        with pytest.raises(sqlite3.OperationalError, match="already exists"):
            await db.migrate()
        assert await db.schema_version() == 0
        tables = await db.fetch_all("SELECT name FROM sqlite_master WHERE name = 'exports'")
        assert tables == []
    finally:
        await db.close()


async def test_wal_and_foreign_keys_are_on(db: Database) -> None:
    journal = await db.fetch_one("PRAGMA journal_mode")
    keys = await db.fetch_one("PRAGMA foreign_keys")
    assert journal is not None and journal[0] == "wal"
    assert keys is not None and keys[0] == 1


async def test_closed_database_says_so() -> None:
    with pytest.raises(RuntimeError, match="not open"):
        _ = Database(":memory:").conn


async def test_the_consent_ledger_refuses_updates(db: Database) -> None:
    session_id = await make_session(db)
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO participants (discord_user_id, created_at) VALUES ('42', 'now')")
        await conn.execute(
            "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, recorded_at) "
            "VALUES (?, 1, 'v', 'decline', 'button', 'now')", (session_id,),
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as conn:
            await conn.execute("UPDATE consent_ledger SET choice = 'record'")
    row = await db.fetch_one("SELECT choice FROM consent_ledger")
    assert row is not None and row[0] == "decline"


async def test_a_failed_transaction_stores_nothing(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO participants (discord_user_id, created_at) VALUES ('1', 'now')")
            await conn.execute("INSERT INTO participants (discord_user_id, created_at) VALUES ('1', 'now')")
    assert await count(db, "participants") == 0


async def test_an_error_raised_by_the_caller_rolls_back(db: Database) -> None:
    with pytest.raises(KeyError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO participants (discord_user_id, created_at) VALUES ('1', 'now')")
            raise KeyError("boom")
    assert await count(db, "participants") == 0
    async with db.transaction() as conn:  # the lock was released and the connection is usable
        await conn.execute("INSERT INTO participants (discord_user_id, created_at) VALUES ('1', 'now')")
    assert await count(db, "participants") == 1


async def test_iterate_streams_every_row(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO participants (discord_user_id, created_at) VALUES (?, 'now')", [(str(i),) for i in range(7)]
        )
    ids = [row["discord_user_id"] async for row in db.iterate("SELECT * FROM participants ORDER BY id", batch=3)]
    assert ids == [str(i) for i in range(7)]


def test_trigger_bodies_stay_whole_when_splitting() -> None:
    sql = (
        "-- comment\nCREATE TABLE a (x);\n\nCREATE TRIGGER t BEFORE UPDATE ON a\nBEGIN\n"
        "    SELECT RAISE(ABORT, 'no');\nEND;\nCREATE TABLE b (y);\n"
    )
    statements = _split_statements(sql)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].rstrip().endswith("END;")
