"""A running café set up straight through the store, for the capture and consent tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from bot.core.plan import Plan, parse_plan
from bot.core.timeline import plan_steps
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

PLAN_ID = "whats-next-for-recovery"
STARTS = datetime(2030, 1, 5, 18, 30, tzinfo=UTC)
GUILD = 111111111111111111
ROOM_CHANNELS = (300000000000000001, 300000000000000002)
LOBBY = 300000000000000000


@cache
def shipped_plan() -> Plan:
    path = DEFAULT_PLANS_DIR / PLAN_ID / "plan.yaml"
    return parse_plan(path.read_text(encoding="utf-8"), source=str(path))


@dataclass(frozen=True)
class RunningCafe:
    session_id: int
    room_ids: tuple[int, ...]
    participants: dict[int, int]  # discord id → participant id
    channels: tuple[int, ...] = ROOM_CHANNELS


async def running_cafe(db: Database, people: list[int], series: str = "series", channel_shift: int = 0,
                       guild_id: int = GUILD) -> RunningCafe:
    """A session in round 1 with two rooms; `people` alternate between them. A second café in the
    same database needs its own `channel_shift`, as Discord never reuses a channel id."""
    channels = tuple(channel + channel_shift for channel in ROOM_CHANNELS)
    plan = shipped_plan()
    sessions = SessionRepo(db)
    session_id = await sessions.create(
        guild_id=guild_id, series=series, plan_id=plan.id, plan_title=plan.title, plan_snapshot=plan.to_snapshot(),
        starts_at=STARTS, timezone="Europe/London", room_size=plan.room_size,
        rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
        steps=plan_steps(STARTS, [r.minutes for r in plan.rounds], STARTS - timedelta(days=1)), actor_id=1,
    )
    participants = {user: await PeopleRepo(db).rsvp(session_id, user, going=True) for user in people}
    await sessions.record_opening(session_id, category_id=299999999999999999 + channel_shift,
                                  lobby_channel_id=LOBBY + channel_shift,
                                  rooms=[(f"room-{n}", c) for n, c in enumerate(channels, start=1)])
    rooms = tuple(room.id for room in await sessions.rooms(session_id))
    await sessions.start_round(
        session_id, 1, prompts=[(room, "What helps?") for room in rooms],
        assignments=[(p, rooms[i % 2]) for i, p in enumerate(participants.values())], later_steps=[], at=STARTS,
    )
    return RunningCafe(session_id, rooms, participants, channels)
