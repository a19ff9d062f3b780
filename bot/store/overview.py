"""The host's list of cafés (``blether cafes``): what each is and how much it holds, never whose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database, db_time


@dataclass(frozen=True, slots=True)
class CafeLine:
    id: int
    guild_id: int
    series: str
    plan_title: str
    starts_at: datetime  # UTC
    timezone: str
    state: str
    #: People who said they were going or were put in a room.
    people: int
    contributions: int


async def list_cafes(db: Database, guild_id: int | None = None) -> list[CafeLine]:
    """Every café (or one server's), oldest first, with counts read in the same query."""
    where, params = ("WHERE s.guild_id = $1", [guild_id]) if guild_id is not None else ("", [])
    rows = await db.fetch_all(
        "SELECT s.id, s.guild_id, s.series, s.plan_title, s.starts_at, s.timezone, s.state, "
        "(SELECT COUNT(*) FROM (SELECT participant_id FROM rsvps WHERE session_id = s.id AND status = 'going' "
        " UNION SELECT participant_id FROM assignments WHERE session_id = s.id) AS present) AS people, "
        "(SELECT COUNT(*) FROM contributions c WHERE c.session_id = s.id) AS contributions "
        f"FROM sessions s {where} ORDER BY s.starts_at, s.id",
        params,
    )
    return [CafeLine(int(r[0]), int(r[1]), r[2], r[3], db_time(r[4]), r[5], r[6], int(r[7]), int(r[8]))
            for r in rows]
