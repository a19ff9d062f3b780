"""The café service over the fake chat: schedule, open, RSVP, rounds and close."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.core.timeline import SessionState, StepKind
from bot.core.when import stamps
from bot.services.cafes import Cafes
from bot.services.closing import ClosingService
from bot.services.floor import FloorService
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.services.rsvp import RsvpService
from bot.services.scheduling import SchedulingService
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

from .cafe_setup import PLAN_ID
from .fakes import FakeChat, FixedClock

ORGANISER = 500000000000000000
PEOPLE = [500000000000000001 + n for n in range(5)]


@dataclass
class Desk:
    """The café use cases as the bot wires them, over one store, the fake chat and a fixed clock."""

    cafes: Cafes
    scheduling: SchedulingService
    rsvp: RsvpService
    floor: FloorService
    closing: ClosingService


def service(db: Database, chat: FakeChat, clock: FixedClock, plans_dir: Path = DEFAULT_PLANS_DIR) -> Desk:
    db.clock = clock
    cafes = Cafes(db, chat, plans_dir=plans_dir)
    return Desk(cafes, SchedulingService(cafes), RsvpService(cafes), FloorService(cafes), ClosingService(cafes))


async def rows(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def scheduled(db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig, room_size: int = 2,
                    people: list[int] = PEOPLE) -> int:
    cafes = service(db, chat, clock)
    # Some tests run two cafés at once on one server: confirmed overlaps.
    result = await cafes.scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 30 minutes",
                                             room_size=room_size, allow_overlap=True)
    for person in people:
        await cafes.rsvp.rsvp(result.session.id, person)
    return result.session.id


async def opened(db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig) -> int:
    session_id = await scheduled(db, chat, clock, config)
    clock.advance(minutes=30)
    await service(db, chat, clock).floor.open(session_id, config, actor_id=None)
    return session_id


async def members_by_room(db: Database, session_id: int, round_number: int) -> list[list[int]]:
    assignments = await SessionRepo(db).assignments(session_id, round_number)
    rooms = await SessionRepo(db).rooms(session_id)
    return [sorted(p for p, r in assignments.items() if r == room.id) for room in rooms]


async def test_schedule_stores_the_session_with_its_rounds_and_steps(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    result = await service(db, chat, clock).scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 2 hours")
    assert result.session.starts_at == clock.now() + timedelta(hours=2)
    assert result.session.state is SessionState.SCHEDULED
    assert result.when == stamps(result.session.starts_at)
    assert await rows(db, "rounds") == 3
    kinds = [s.kind for s in await StepRepo(db).for_session(result.session.id)]
    assert kinds == [StepKind.REMINDER, StepKind.OPEN, StepKind.ROUND, StepKind.ROUND, StepKind.CLOSE]


@pytest.mark.parametrize(("changes", "message"), [
    ({"plan_ref": "no-such-plan"}, "Available plans: whats-next-for-recovery"),
    ({"plan_ref": "../x"}, "is not a plan name"),
    ({"plan_ref": "/etc/passwd"}, "is not a plan name"),
    ({"when": "05/12/2020 18:30"}, "is in the past"),
    ({"when": "whenever"}, "couldn't read"),
    ({"room_size": 1}, "between 2 and 25"),
    ({"room_size": 26}, "between 2 and 25"),
    ({"series": " "}, "series name"),
    ({"when": "in 367 days"}, "more than a year ahead"),
    ({"capacity": 100, "room_size": 2}, "need 50 rooms and a lobby in one category"),
    ({"capacity": 0}, "Capacity must be between"),
])
async def test_bad_schedule_input_is_explained_and_nothing_is_stored(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig, changes: dict[str, object], message: str,
) -> None:
    arguments: dict[str, object] = {"plan_ref": PLAN_ID, "when": "in 30 minutes"} | changes
    with pytest.raises(UserError, match=message):
        await service(db, chat, clock).scheduling.schedule(config, ORGANISER, **arguments)  # type: ignore[arg-type]
    for table in ("sessions", "rounds", "scheduled_steps", "audit"):
        assert await rows(db, table) == 0, table


async def test_a_server_near_discords_channel_limit_is_refused_a_cafe(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    chat.channels = 494
    with pytest.raises(UserError, match="This server has 494 channels; the café needs 7 more"):
        await service(db, chat, clock).scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 2 hours",
                                                           room_size=4, capacity=20)
    assert await rows(db, "sessions") == 0


async def test_an_overlapping_cafe_is_refused_unless_confirmed(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    desk = service(db, chat, clock)
    first = await desk.scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 2 hours")
    with pytest.raises(UserError, match=f"would overlap café\\(s\\) #{first.session.id}"):
        await desk.scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 150 minutes")
    await desk.scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 150 minutes", allow_overlap=True)
    # Back to back is not an overlap.
    await desk.scheduling.schedule(config, ORGANISER, plan_ref=PLAN_ID, when="in 5 hours")
    assert await rows(db, "sessions") == 3


async def test_a_broken_plan_is_explained_not_raised(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig, tmp_path: Path,
) -> None:
    broken = tmp_path / "plans" / "broken"
    broken.mkdir(parents=True)
    (broken / "plan.yaml").write_text("id: broken\ntitle: Broken\nrounds: []\n", encoding="utf-8")
    with pytest.raises(UserError, match="rounds"):
        await service(db, chat, clock, tmp_path / "plans").scheduling.schedule(
            config, ORGANISER, plan_ref="broken", when="in 30 minutes")
    assert await rows(db, "sessions") == 0


async def test_open_makes_a_private_category_lobby_and_even_rooms(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    assert len(chat.named("create_category")) == 1
    assert chat.named("create_category")[0][2] == (config.organiser_role_id, config.facilitator_role_id)
    rooms = chat.named("create_room")
    assert [r[2] for r in rooms] == ["lobby", "room-1", "room-2", "room-3"]
    assert sorted(rooms[0][3]) == PEOPLE
    assert sorted(len(r[3]) for r in rooms[1:]) == [1, 2, 2]
    assert sorted(p for r in rooms[1:] for p in r[3]) == PEOPLE  # each person in exactly one room
    session = await SessionRepo(db).get(session_id)
    assert session is not None and session.state is SessionState.RUNNING and session.current_round == 1
    assert sorted(len(room) for room in await members_by_room(db, session_id, 1)) == [1, 2, 2]
    with pytest.raises(UserError, match="only be opened once"):
        await service(db, chat, clock).floor.open(session_id, config, actor_id=None)


async def test_a_latecomer_joins_the_smallest_room_and_the_lobby(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    before = await members_by_room(db, session_id, 1)
    smallest = min(range(len(before)), key=lambda i: (len(before[i]), i))
    late = 600000000000000000
    placed = (await service(db, chat, clock).rsvp.rsvp(session_id, late)).seated
    assert placed
    person = await PeopleRepo(db).participant_id(late)
    after = await members_by_room(db, session_id, 1)
    assert person in after[smallest]
    rooms = await SessionRepo(db).rooms(session_id)
    session = await SessionRepo(db).get(session_id)
    assert session is not None
    # One call per channel, each carrying the channel's whole list with the latecomer in it.
    granted = chat.named("set_access")[-2:]
    assert [channel for channel, _ in granted] == [rooms[smallest].channel_id, session.lobby_channel_id]
    assert all(late in members for _, members in granted)
    assert late in chat.members[rooms[smallest].channel_id] and late in chat.members[session.lobby_channel_id]
    # A second click keeps the same room and grants its access again (in case the first grant failed).
    again = (await service(db, chat, clock).rsvp.rsvp(session_id, late)).seated
    assert again
    assert await members_by_room(db, session_id, 1) == after
    assert chat.named("set_access")[-2:] == granted


async def test_next_round_rotates_people_and_retimes_later_steps(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    first = await members_by_room(db, session_id, 1)
    clock.advance(minutes=7)  # a facilitator moves on early
    session = await service(db, chat, clock).floor.next_round(session_id, ORGANISER)
    assert session.current_round == 2
    second = await members_by_room(db, session_id, 2)
    shared_before = {frozenset((a, b)) for room in first for a in room for b in room if a < b}
    shared_after = {frozenset((a, b)) for room in second for a in room for b in room if a < b}
    assert not shared_before & shared_after
    assert sorted(p for room in second for p in room) == sorted(p for room in first for p in room)
    steps = {(s.kind, s.payload.get("round")): s for s in await StepRepo(db).for_session(session_id)}
    assert steps[(StepKind.ROUND, 3)].due_at == clock.now() + timedelta(minutes=20)
    assert steps[(StepKind.CLOSE, None)].due_at == clock.now() + timedelta(minutes=35)
    assert steps[(StepKind.ROUND, 2)].status == "done", "/floor next took the timer's round-2 step"
    audit = await db.fetch_all("SELECT action, detail FROM audit WHERE action = 'next_round'")
    assert [tuple(r) for r in audit] == [("next_round", "round=2")]
    clock.advance(minutes=20)
    await service(db, chat, clock).floor.next_round(session_id, ORGANISER)
    assert await members_by_room(db, session_id, 3) == second  # round 3 does not rotate
    with pytest.raises(UserError, match="last round"):
        await service(db, chat, clock).floor.next_round(session_id, ORGANISER)


async def test_a_round_starts_at_most_once(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    cafes = service(db, chat, clock)
    await cafes.floor.start_round(session_id, 2)
    posts = len(chat.posts)
    with pytest.raises(UserError, match="already started"):
        await cafes.floor.start_round(session_id, 2)
    with pytest.raises(UserError, match="already started"):
        await cafes.floor.start_round(session_id, 1)
    assert len(chat.posts) == posts
    prompts = await db.fetch_all("SELECT COUNT(*) FROM round_prompts WHERE round_number = 2")
    assert prompts[0][0] == 3


async def test_close_posts_goodbye_locks_every_channel_and_cancels_pending_steps(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    session = await service(db, chat, clock).closing.close(session_id, ORGANISER)
    assert session.state is SessionState.CLOSED
    rooms = await SessionRepo(db).rooms(session_id)
    expected = {room.channel_id for room in rooms} | {session.lobby_channel_id}
    assert chat.locked == expected
    closing = [channel for channel, text, _ in chat.posts if "Samaritans" in text and channel in expected]
    assert set(closing) == expected
    assert await StepRepo(db).pending() == []
    with pytest.raises(UserError, match="already closed"):
        await service(db, chat, clock).closing.close(session_id, ORGANISER)
    with pytest.raises(UserError, match="ended"):
        await service(db, chat, clock).rsvp.rsvp(session_id, 600000000000000000)


async def test_a_cafe_that_has_not_opened_is_cancelled_not_closed(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await scheduled(db, chat, clock, config, people=[])
    cafes = service(db, chat, clock)
    with pytest.raises(UserError, match="hasn't opened"):
        await cafes.closing.close(session_id, ORGANISER)
    await cafes.scheduling.publish(await cafes.cafes.require(session_id), 700000000000000000)
    session = await cafes.scheduling.cancel(session_id, ORGANISER, config.guild_id)
    assert session.state is SessionState.CANCELLED
    assert await StepRepo(db).pending() == []
    assert chat.posts[-1][0] == 700000000000000000
    with pytest.raises(UserError, match="no café #"):
        await cafes.cafes.require(session_id, guild_id=config.guild_id + 1)


async def test_a_facilitators_click_and_the_timer_together_start_the_round_once(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    cafes = service(db, chat, clock)  # the bot has one service; both paths go through it
    results = await asyncio.gather(cafes.floor.next_round(session_id, ORGANISER),
                                   cafes.floor.start_round(session_id, 2), return_exceptions=True)
    assert sum(isinstance(r, UserError) for r in results) == 1
    rooms = await SessionRepo(db).rooms(session_id)
    round_two = [text for _, text, _ in chat.posts if "what gets in the way" in text]
    assert len(round_two) == len(rooms)


async def test_rounds_start_only_while_the_cafe_is_open_or_running(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    waiting = await scheduled(db, chat, clock, config)
    with pytest.raises(UserError, match="no round can start"):
        await service(db, chat, clock).floor.start_round(waiting, 2)
    session = await SessionRepo(db).get(waiting)
    assert session is not None and session.state is SessionState.SCHEDULED and session.current_round == 0

    running = await opened(db, chat, clock, config)
    await service(db, chat, clock).closing.close(running, ORGANISER)
    with pytest.raises(UserError, match="no round can start"):
        await service(db, chat, clock).floor.start_round(running, 2)
    closed = await SessionRepo(db).get(running)
    assert closed is not None and closed.state is SessionState.CLOSED and closed.current_round == 1
