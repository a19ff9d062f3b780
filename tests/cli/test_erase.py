"""`blether erase`: the data controller's erasure reaches every server and prints what it removed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.core.consent import Choice, Source
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo

PERSON = 100000000000000001


async def _seed(path: Path) -> None:
    """The person's RSVP and words in one café on each of two servers."""
    async with Database(path) as db:
        for n, guild in enumerate((111111111111111111, 222222222222222222), start=1):
            async with db.transaction() as conn:
                row = await conn.fetch_one(
                    "INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
                    "room_size, created_at) VALUES ($1, $2, 'p', 'A café', '{}', $3, 'UTC', 4, $3) RETURNING id",
                    (guild, f"series-{n}", db.now()),
                )
                assert row is not None
                session_id = int(row[0])
            person = await PeopleRepo(db).rsvp(session_id, PERSON, going=True)
            async with db.transaction() as conn:
                await PeopleRepo(db).append_consent(conn, session_id, person, Choice.RECORD, "v1", Source.BUTTON,
                                                    datetime(2029, 12, 31, tzinfo=UTC))
            assert await ContributionRepo(db).add(
                session_id=session_id, room_id=None, round_number=1, participant_id=person, pseudonym=f"CODE{n}",
                message_id=n, channel_id=n, created_at=datetime(2030, 1, 1, tzinfo=UTC), text=f"words {n}",
                reply_to_message_id=None,
            )


async def _remaining(path: Path) -> list[int]:
    async with Database(path) as db:
        return [int((await db.fetch_one(f"SELECT COUNT(*) FROM {table}") or [0])[0])
                for table in ("participants", "rsvps", "contributions")]


def _erase(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_"))}
    env["BLETHER_DATABASE"] = str(tmp_path / "db.sqlite3")
    return subprocess.run([sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "erase",
                           "--user", str(PERSON), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_erase_asks_first_then_removes_every_servers_rows_and_reports_them(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    asyncio.run(_seed(database))
    unconfirmed = _erase(tmp_path)
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert asyncio.run(_remaining(database)) == [1, 2, 2]

    done = _erase(tmp_path, "--yes")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Removed 7 row(s) (every server): contributions 2, rsvps 2, consent_ledger 2, "
                                   "participants 1.")
    assert asyncio.run(_remaining(database)) == [0, 0, 0]
    again = _erase(tmp_path, "--yes")
    assert again.returncode == 0 and "Removed 0 row(s) (every server): nothing." in again.stdout
