"""Migration 004: role names become unreadable as powers (kept only to ask for setup again), and
pseudonyms move to (server, series, person) with existing codes kept where the person has rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.pseudonyms import pseudonym_candidates
from bot.store.db import Database, available_migrations
from bot.store.guilds import GuildRepo
from bot.store.people import PeopleRepo

SERVER_A, SERVER_B, SERVER_C = 111111111111111111, 222222222222222222, 333333333333333333
NOW = "2030-01-01T00:00:00.000000+00:00"
KEY = bytes(range(32))


def schema_3_database(path: Path) -> None:
    """A database as it was before migration 004, with a shared series on three servers."""
    with sqlite3.connect(path) as conn:
        for number, sql in available_migrations():
            if number <= 3:
                conn.executescript(sql)
        conn.execute("PRAGMA user_version = 3")
        conn.execute("INSERT INTO guild_config VALUES (?, 'Café organiser', 'Café facilitator', NULL, '42', "
                     "'Europe/London', 90, ?)", (str(SERVER_A), NOW))
        for sid, guild in ((1, SERVER_A), (2, SERVER_B), (3, SERVER_C)):
            conn.execute("INSERT INTO sessions (id, guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, "
                         "timezone, room_size, created_at) VALUES (?, ?, 'shared', 'p', 'P', '{}', ?, 'UTC', 4, ?)",
                         (sid, str(guild), NOW, NOW))
        conn.execute("INSERT INTO participants (id, discord_user_id, created_at) VALUES (1, '500', ?)", (NOW,))
        conn.execute("INSERT INTO pseudonyms (series, participant_id, code) VALUES ('shared', 1, 'P-OLD1')")
        conn.execute("INSERT INTO contributions (session_id, round_number, participant_id, pseudonym, message_id, "
                     "channel_id, created_at, text) VALUES (1, 1, 1, 'P-OLD1', '9', '8', ?, 'words')", (NOW,))
        conn.execute("INSERT INTO rsvps VALUES (2, 1, 'going', ?)", (NOW,))


async def test_old_role_names_stay_readable_and_grant_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    schema_3_database(path)
    async with Database(path) as db:
        assert await db.schema_version() == available_migrations()[-1][0]
        config = await GuildRepo(db).get(SERVER_A)
    assert config is not None
    assert (config.organiser_role_id, config.facilitator_role_id) == (None, None)
    assert config.named_roles == ("Café organiser", "Café facilitator")
    assert (config.organisers_channel_id, config.timezone, config.retention_days) == (42, "Europe/London", 90)


async def test_existing_pseudonyms_stay_where_the_person_has_rows_and_new_ones_are_per_server(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    schema_3_database(path)
    async with Database(path) as db:
        people = PeopleRepo(db)
        # A's past words and B's RSVP keep the code the person already had there ...
        assert await people.existing_pseudonym(SERVER_A, "shared", 500) == "P-OLD1"
        assert await people.existing_pseudonym(SERVER_B, "shared", 500) == "P-OLD1"
        # ... and a server where they had nothing gets its own, unlinked code.
        assert await people.existing_pseudonym(SERVER_C, "shared", 500) is None
        fresh = await people.pseudonym(SERVER_C, "shared", 1, 500, KEY)
        assert fresh == pseudonym_candidates(KEY, SERVER_C, "shared", 500)[0] != "P-OLD1"


async def test_the_same_person_and_series_label_on_two_servers_get_unlinked_pseudonyms(tmp_path: Path) -> None:
    async with Database(tmp_path / "new.sqlite3") as db:
        people = PeopleRepo(db)
        async with db.transaction() as conn:
            person = await people.ensure_participant(conn, 500)
        on_a = await people.pseudonym(SERVER_A, "whats-next-for-recovery", person, 500, KEY)
        on_b = await people.pseudonym(SERVER_B, "whats-next-for-recovery", person, 500, KEY)
        assert on_a != on_b
        # Stable within one server's series, whatever the key does later.
        assert await people.pseudonym(SERVER_A, "whats-next-for-recovery", person, 500, bytes(32)) == on_a
