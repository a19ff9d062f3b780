"""Small builders shared by the store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.timeline import plan_steps
from bot.store.db import Database
from bot.store.sessions import SessionRepo

STARTS = datetime(2030, 1, 5, 18, 30, tzinfo=UTC)
GUILD = 111111111111111111
ROUNDS = [("one", "Round one", 20, False), ("two", "Round two", 20, True)]


async def make_session(db: Database, starts_at: datetime = STARTS) -> int:
    return await SessionRepo(db).create(
        guild_id=GUILD, series="series", plan_id="plan", plan_title="Plan", plan_snapshot={"rounds": [{}, {}]},
        starts_at=starts_at, timezone="Europe/London", room_size=4, rounds=ROUNDS,
        steps=plan_steps(starts_at, [20, 20], starts_at - timedelta(days=1)), actor_id=999,
    )


async def count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])
