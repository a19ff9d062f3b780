"""`blether db upgrade` on both backends, and `blether db copy` from SQLite into PostgreSQL: every
row arrives (counted per table), ids and times are converted, the target's id sequences move past
the copied ids, a non-empty target is refused, and an export of the copy equals one of the original."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.export.request import ExportRequest
from bot.services.exports import run_export
from bot.store.db import available_migrations, open_database
from bot.store.sessions import SessionRepo
from tests.export.export_fixture import seed

LATEST = available_migrations()[-1][0]


def _blether(tmp_path: Path, *args: str, database: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_"))}
    env["BLETHER_DATABASE"] = database
    return subprocess.run([sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_db_upgrade_works_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    first = _blether(tmp_path, "db", "upgrade", database=postgres_url)
    assert first.returncode == 0, first.stderr
    assert f"schema version {LATEST} " in first.stdout and "applied now: 1, 2" in first.stdout
    again = _blether(tmp_path, "db", "upgrade", database=postgres_url)
    assert again.returncode == 0 and "none needed" in again.stdout


def test_a_database_newer_than_blether_is_refused_by_the_cli(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    assert _blether(tmp_path, "db", "upgrade", database=str(database)).returncode == 0
    with sqlite3.connect(database) as conn:
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'x')", (LATEST + 1,))
    result = _blether(tmp_path, "cafes", database=str(database))
    assert result.returncode == 2
    assert f"schema version {LATEST + 1}" in result.stderr and f"up to {LATEST}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_postgresql_is_one_sentence(tmp_path: Path) -> None:
    result = _blether(tmp_path, "db", "upgrade", database=f"postgresql://nobody:secret@/x?host={tmp_path}")
    assert result.returncode == 2 and "could not connect to PostgreSQL" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}


async def _export(database: str, out: Path) -> dict[str, str]:
    async with open_database(database) as db:
        await run_export(db, ExportRequest(session_id=1, formats=("csv", "jsonl", "md")), out)
    return _files(out)


async def test_db_copy_moves_every_row_and_the_copy_exports_the_same(tmp_path: Path, postgres_url: str) -> None:
    source = await seed(tmp_path / "cafe.sqlite3")
    result = _blether(tmp_path, "db", "copy", "--from", str(source), "--to", postgres_url,
                      database=str(tmp_path / "unused.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "every count matches" in result.stdout and "contributions" in result.stdout
    async with open_database(source) as old, open_database(postgres_url) as new:
        for table in await old.tables():
            if table == "schema_migrations":
                continue
            rows = [await db.fetch_one(f"SELECT COUNT(*) FROM {table}") for db in (old, new)]
            assert [int(r[0]) for r in rows if r is not None] == [int(rows[0][0]), int(rows[0][0])], table  # type: ignore[index]
        # Ids became BIGINT and the sequences moved past the copied ids: a new café gets a new id.
        copied = await SessionRepo(new).get(1)
        assert copied is not None and isinstance(copied.guild_id, int)
        newest = await new.fetch_one("SELECT MAX(id) FROM sessions")
        created = await SessionRepo(new).create(
            guild_id=copied.guild_id, series="after", plan_id="p", plan_title="After the move", plan_snapshot={},
            starts_at=datetime(2031, 1, 1, tzinfo=UTC), timezone="UTC", room_size=4, rounds=[], steps=[],
            actor_id=1)
        assert newest is not None and created == int(newest[0]) + 1
    # The same export, byte for byte, from the original and from the copy (the export's own stamp aside).
    before = await _export(str(source), tmp_path / "before")
    after = await _export(postgres_url, tmp_path / "after")
    assert before.keys() == after.keys() and before
    for name in before:
        if name.endswith(".jsonl") or name.endswith(".csv"):
            assert before[name] == after[name], name


def test_db_copy_refuses_a_target_that_is_not_empty(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "cafe.sqlite3"

    asyncio.run(seed(source))
    assert _blether(tmp_path, "db", "copy", "--from", str(source), "--to", postgres_url,
                    database=str(source)).returncode == 0
    again = _blether(tmp_path, "db", "copy", "--from", str(source), "--to", postgres_url, database=str(source))
    assert again.returncode == 2
    assert "Nothing was copied" in again.stderr and "not empty" in again.stderr and "Traceback" not in again.stderr


def test_db_copy_says_what_to_give(tmp_path: Path) -> None:
    missing = _blether(tmp_path, "db", "copy", "--from", str(tmp_path / "nope.sqlite3"), "--to", "postgresql://x/y",
                       database=str(tmp_path / "db.sqlite3"))
    assert missing.returncode == 2 and "not a SQLite database file" in missing.stderr
