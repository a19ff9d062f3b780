"""The host's list of cafés (``blether cafes``): what each is and how much it holds, never whose."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class CafeLine:
    id: int
    guild_id: str
    series: str
    plan_title: str
    starts_at: str  # ISO 8601 UTC, as stored
    timezone: str
    state: str
    #: People who said they were going or were put in a room.
    people: int
    contributions: int


async def list_cafes(db: Database, guild_id: str | None = None) -> list[CafeLine]:
    """Every café (or one server's), oldest first, with counts read in the same query."""
    where, params = ("WHERE s.guild_id = ?", [guild_id]) if guild_id is not None else ("", [])
    rows = await db.fetch_all(
        "SELECT s.id, s.guild_id, s.series, s.plan_title, s.starts_at, s.timezone, s.state, "
        "(SELECT COUNT(*) FROM (SELECT participant_id FROM rsvps WHERE session_id = s.id AND status = 'going' "
        " UNION SELECT participant_id FROM assignments WHERE session_id = s.id)) AS people, "
        "(SELECT COUNT(*) FROM contributions c WHERE c.session_id = s.id) AS contributions "
        f"FROM sessions s {where} ORDER BY s.starts_at, s.id",
        params,
    )
    return [CafeLine(*row) for row in rows]
