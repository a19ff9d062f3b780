"""Migrations on both backends: one numbered set each, the same schema from both, the version in
`schema_migrations`, a live SQLite database from before the table upgraded in place, and a
database newer than the code refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import db as db_module
from bot.store.db import BACKENDS, Database, SchemaTooNew, available_migrations, open_database
from bot.store.sessions import SessionRepo
from bot.store.sqlite import _split_statements

LATEST = available_migrations("sqlite")[-1][0]


def test_both_backends_ship_the_same_migration_numbers() -> None:
    numbers = {backend: [n for n, _ in available_migrations(backend)] for backend in BACKENDS}
    assert numbers["sqlite"] == numbers["postgresql"], (
        "every migration needs its twin with the same number in bot/store/migrations/sqlite and "
        "bot/store/migrations/postgresql"
    )
    assert numbers["sqlite"] == list(range(1, LATEST + 1))


async def test_both_backends_make_the_same_tables_and_columns(sqlite_db: Database, postgres_url: str) -> None:
    async with open_database(postgres_url) as pg:
        postgres = {table: sorted(columns) for table, columns in (await pg.tables()).items()}
    sqlite = {table: sorted(columns) for table, columns in (await sqlite_db.tables()).items()}
    assert sorted(sqlite) == sorted(postgres)
    for table in sqlite:
        assert sqlite[table] == postgres[table], table


async def test_migrations_apply_once_and_record_the_version(database_target: str) -> None:
    async with open_database(database_target) as db:
        assert await db.schema_version() == LATEST
        assert await db.migrate() == []
        rows = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
        assert [int(r[0]) for r in rows] == list(range(1, LATEST + 1))
    async with open_database(database_target) as db:
        assert db.upgraded == []
        assert await db.schema_version() == LATEST


async def test_a_database_newer_than_the_code_is_refused_naming_both_versions(database_target: str) -> None:
    async with open_database(database_target) as db, db.transaction() as tx:
        await tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", (LATEST + 5, db.now()))
    with pytest.raises(SchemaTooNew, match=rf"schema version {LATEST + 5}.*up to {LATEST}"):
        async with open_database(database_target):
            pass


async def test_a_failed_migration_rolls_back_and_keeps_the_version(
    database_target: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with open_database(database_target):
        pass
    shipped = available_migrations(open_database(database_target).backend)
    broken = "CREATE TABLE half_done (a INTEGER);\nCREATE TABLE half_done (a INTEGER);\n"
    monkeypatch.setattr(db_module, "available_migrations", lambda backend="sqlite": [*shipped, (LATEST + 1, broken)])
    with pytest.raises(Exception, match="already exists"):
        async with open_database(database_target):
            pass
    monkeypatch.undo()
    async with open_database(database_target) as db:
        assert await db.schema_version() == LATEST
        assert "half_done" not in await db.tables()


def _database_of_the_code_before_the_port(path: Path) -> None:
    """As Blether made it before `schema_migrations`: each migration, then PRAGMA user_version."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        for number, sql in available_migrations("sqlite"):
            if number > 7:
                break
            for statement in _split_statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        now = "2030-01-01T00:00:00.000000+00:00"
        conn.execute("INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
                     "room_size, created_at) VALUES ('111111111111111111', 's', 'p', 'A café', '{}', "
                     "'2030-01-05T18:30:00.000000+00:00', 'UTC', 4, ?)", (now,))
        conn.execute("INSERT INTO participants (id, discord_user_id, created_at) VALUES (1, '500000000000000001', ?)",
                     (now,))
        conn.execute("INSERT INTO rooms (id, session_id, number, name, channel_id) VALUES (1, 1, 1, 'Room 1', '9')")
        conn.execute("INSERT INTO rsvps VALUES (1, 1, 'going', ?)", (now,))
        conn.execute("INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, "
                     "message_id, channel_id, created_at, text) VALUES (1, 1, 1, 1, 'P-1', '10', '9', ?, 'words')",
                     (now,))


async def test_a_live_sqlite_database_adopts_its_user_version_once(tmp_path: Path) -> None:
    path = tmp_path / "live.sqlite3"
    _database_of_the_code_before_the_port(path)
    async with open_database(path) as db:
        assert db.upgraded == [n for n, _ in available_migrations("sqlite") if n > 7]
        rows = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
        assert [int(r[0]) for r in rows] == list(range(1, LATEST + 1))
        session = await SessionRepo(db).get(1)
        assert session is not None and session.guild_id == 111111111111111111 and session.plan_title == "A café"
        version = await db.fetch_one("PRAGMA user_version")
        assert version is not None and version[0] == LATEST
        # Migration 011 made Discord ids INTEGER columns, kept every row and every key between them.
        ids = await db.fetch_one("SELECT s.guild_id, p.discord_user_id, c.message_id, c.channel_id, r.channel_id "
                                 "FROM contributions c JOIN sessions s ON s.id = c.session_id "
                                 "JOIN participants p ON p.id = c.participant_id JOIN rooms r ON r.id = c.room_id")
        assert ids is not None and tuple(ids) == (111111111111111111, 500000000000000001, 10, 9, 9)
        assert await db.fetch_all("PRAGMA foreign_key_check") == []
        keys = await db.fetch_one("PRAGMA foreign_keys")
        assert keys is not None and keys[0] == 1
        assert await db.fetch_one("SELECT session_id FROM rsvps WHERE participant_id = 1") is not None
    async with open_database(path) as again:
        assert again.upgraded == []


def _database_of_the_code_before_the_port_with_its_features(path: Path) -> None:
    """As the last Blether before the port left it: migrations 001–010 (waitlist, summaries, tables
    and hosts) with Discord ids still TEXT in the old tables, and a row in each new table."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        for number, sql in available_migrations("sqlite"):
            if number > 10:
                break
            for statement in _split_statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        now = "2030-01-01T00:00:00.000000+00:00"
        conn.execute("INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
                     "room_size, created_at, hold_minutes) VALUES ('111111111111111111', 's', 'p', 'A café', '{}', "
                     "'2030-01-05T18:30:00.000000+00:00', 'UTC', 4, ?, 30)", (now,))
        for person in (1, 2):
            conn.execute("INSERT INTO participants (id, discord_user_id, created_at) VALUES (?, ?, ?)",
                         (person, f"50000000000000000{person}", now))
        conn.execute("INSERT INTO rooms (id, session_id, number, name, topic, channel_id) "
                     "VALUES (1, 1, 1, 'Room 1', 'Hope', '9')")
        conn.execute("INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, "
                     "message_id, channel_id, created_at, text, key_point, key_point_role, key_point_at) "
                     "VALUES (1, 1, 1, 1, 'P-1', '10', '9', ?, 'words', 1, 'facilitator', ?)", (now, now))
        conn.execute("INSERT INTO waitlist (session_id, participant_id, status, joined_at, hold_until) "
                     "VALUES (1, 2, 'offered', ?, ?)", (now, now))
        conn.execute("INSERT INTO summaries (session_id, room_id, round_number, text, updated_at, writer_role, "
                     "posted_at) VALUES (1, 1, 1, 'Warm.', ?, 'host', ?)", (now, now))
        conn.execute("INSERT INTO summary_offers VALUES (1, 1, 1, 11)")
        conn.execute("INSERT INTO host_offers VALUES (1, 1, ?)", (now,))
        conn.execute("INSERT INTO room_hosts VALUES (1, 1, 1)")
        conn.execute("INSERT INTO table_choices VALUES (1, 2, 1, ?)", (now,))
        conn.execute("INSERT INTO table_wishes (session_id, kind, discord_user_id, other_discord_id) "
                     "VALUES (1, 'apart', 500000000000000001, 500000000000000002)")


async def test_the_rebuild_keeps_the_rows_and_columns_of_the_features_before_it(tmp_path: Path) -> None:
    path = tmp_path / "features.sqlite3"
    _database_of_the_code_before_the_port_with_its_features(path)
    async with open_database(path) as db:
        assert db.upgraded == [n for n, _ in available_migrations("sqlite") if n > 10]
        session = await SessionRepo(db).get(1)
        assert session is not None and session.guild_id == 111111111111111111 and session.hold_minutes == 30
        kept = await db.fetch_one(
            "SELECT c.message_id, c.key_point_role, c.key_point_at, r.topic, r.channel_id, w.status, s.writer_role, "
            "o.message_id, h.participant_id, t.table_number, x.other_discord_id "
            "FROM contributions c JOIN rooms r ON r.id = c.room_id JOIN waitlist w ON w.session_id = c.session_id "
            "JOIN summaries s ON s.room_id = r.id JOIN summary_offers o ON o.room_id = r.id "
            "JOIN room_hosts h ON h.room_id = r.id JOIN table_choices t ON t.session_id = c.session_id "
            "JOIN table_wishes x ON x.session_id = c.session_id")
        assert kept is not None and tuple(kept) == (10, "facilitator", "2030-01-01T00:00:00.000000+00:00", "Hope", 9,
                                                    "offered", "host", 11, 1, 1, 500000000000000002)
        assert await db.fetch_all("PRAGMA foreign_key_check") == []
        # The new tables still point at the rebuilt ones: removing the café takes their rows with it.
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM sessions WHERE id = 1")
        for table in ("waitlist", "summary_offers", "host_offers", "room_hosts", "table_choices", "table_wishes"):
            row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
            assert row is not None and row[0] == 0, table
