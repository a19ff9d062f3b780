"""Tables before the café as use cases: choosing within capacity, the opening honouring choices and
hosts, and the new personal rows (choices, host offers, hosts, the table plan) erased and shown."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.core.plan import Tables
from bot.core.timeline import plan_steps
from bot.services.cafes import Cafes
from bot.services.floor import FloorService
from bot.services.privacy import ErasureScope, PrivacyService
from bot.services.rsvp import RsvpService
from bot.services.tables import TablesService
from bot.store.attendance import AttendanceRepo
from bot.store.db import Database

from .cafe_setup import GUILD, STARTS, shipped_plan
from .fakes import FakeChat

PEOPLE = [500000000000000000 + n for n in range(1, 8)]


async def scheduled(db: Database, room_size: int = 2) -> int:
    plan = shipped_plan().model_copy(update={"tables": Tables(choose=True, topics=["peer-support", "Work"])})
    return await Cafes(db, FakeChat()).sessions.create(
        guild_id=GUILD, series="s", plan_id=plan.id, plan_title=plan.title, plan_snapshot=plan.to_snapshot(),
        starts_at=STARTS, timezone="Europe/London", room_size=room_size,
        rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
        steps=plan_steps(STARTS, [r.minutes for r in plan.rounds], STARTS - timedelta(days=1)), actor_id=1,
    )


async def test_choosing_a_table_within_capacity(db: Database, chat: FakeChat) -> None:
    session_id = await scheduled(db, room_size=2)
    cafes = Cafes(db, chat)
    rsvp, tables = RsvpService(cafes), TablesService(cafes)
    with pytest.raises(UserError, match="I'll join"):
        await tables.choose(session_id, PEOPLE[0], 1)
    for person in PEOPLE[:3]:
        await rsvp.rsvp(session_id, person)
    menu = await tables.menu(session_id)
    assert [(o.number, o.topic, o.chosen, o.capacity) for o in menu] == [
        (1, "Peer support approaches and roles", 0, 2), (2, "Work", 0, 2)]
    await tables.choose(session_id, PEOPLE[0], 1)
    await tables.choose(session_id, PEOPLE[1], 1)
    await tables.choose(session_id, PEOPLE[1], 1)  # choosing the same again keeps the place
    with pytest.raises(UserError, match=r"Table 1 \(Peer support approaches and roles\) is full: 2 people chose it. "
                                        r"Tables with room: 2 \(Work\)"):
        await tables.choose(session_id, PEOPLE[2], 1)
    with pytest.raises(UserError, match="not on this café's list"):
        await tables.choose(session_id, PEOPLE[2], 3)
    assert await AttendanceRepo(db).table_choices(session_id) == [(1, 1), (2, 1)]


async def test_the_opening_seats_choices_and_a_facilitator_hosts(db: Database, chat: FakeChat,
                                                                  config: GuildConfig) -> None:
    session_id = await scheduled(db, room_size=6)
    cafes = Cafes(db, chat)
    rsvp, tables = RsvpService(cafes), TablesService(cafes)
    for person in PEOPLE[:6]:
        await rsvp.rsvp(session_id, person)
    await rsvp.rsvp(session_id, PEOPLE[6], can_host=True)
    await tables.choose(session_id, PEOPLE[0], 2)
    await tables.choose(session_id, PEOPLE[1], 2)
    await FloorService(cafes).open(session_id, config, actor_id=None)
    rooms = await cafes.sessions.rooms(session_id)
    seats = await cafes.sessions.assignments(session_id, 1)
    ids = {d: p for p, d in await cafes.people.going(session_id)}
    assert len(rooms) == 2, "one table per topic"
    assert seats[ids[PEOPLE[0]]] == seats[ids[PEOPLE[1]]] == rooms[1].id
    hosts = await AttendanceRepo(db).hosts(session_id)
    assert list(hosts.values()) == [ids[PEOPLE[6]]]
    host_room = next(r for r in rooms if r.id in hosts)
    posted = [text for channel, text, _ in chat.posts if channel == host_room.channel_id]
    assert any(f"Your table host: <@{PEOPLE[6]}>" in text for text in posted)


async def test_new_rows_are_shown_and_erased_with_the_person(db: Database, chat: FakeChat,
                                                             config: GuildConfig) -> None:
    session_id = await scheduled(db, room_size=6)
    cafes = Cafes(db, chat)
    rsvp, tables = RsvpService(cafes), TablesService(cafes)
    host, other = PEOPLE[0], PEOPLE[1]
    await rsvp.rsvp(session_id, host, can_host=True)
    await rsvp.rsvp(session_id, other)
    await tables.choose(session_id, host, 1)
    await tables.arrange(session_id, GUILD, 1, text=f"{host},1,host\napart,{host},{other}\n")
    await FloorService(cafes).open(session_id, config, actor_id=None)
    privacy = PrivacyService(db)
    shown = json.loads(await privacy.my_data(host))
    assert shown["table_choices"][0]["table_number"] == 1 and shown["host_offers"] and shown["room_hosts"]
    theirs = json.loads(await privacy.my_data(other))
    assert theirs["table_wishes"][0]["discord_user_id"] == "someone else", "the other person is never named"
    erasure = await privacy.erase_person(host, ErasureScope.server(GUILD))
    assert {"table_choices", "host_offers", "room_hosts", "table_wishes"} <= set(erasure.cafe_rows)
    attendance = AttendanceRepo(db)
    assert await attendance.hosts(session_id) == {}
    assert await attendance.wishes(session_id) == []
    assert await attendance.host_offers(session_id) == []


async def test_the_organiser_turns_choice_on_for_one_cafe_only_if_it_has_topics(db: Database, chat: FakeChat) -> None:
    cafes = Cafes(db, chat)
    tables = TablesService(cafes)
    plain = await cafes.sessions.create(
        guild_id=GUILD, series="s", plan_id="p", plan_title="t", plan_snapshot=shipped_plan().to_snapshot(),
        starts_at=STARTS, timezone="Europe/London", room_size=6, rounds=[("r", "R", 10, False)], steps=[], actor_id=1)
    with pytest.raises(UserError, match="no table topics"):
        await tables.arrange(plain, GUILD, 1, text=f"{PEOPLE[0]},1\n", choose=True)
    assert await AttendanceRepo(db).wishes(plain) == [], "a refusal stores nothing, the good file included"
    session_id = await scheduled(db)
    said = await tables.arrange(session_id, GUILD, 1, choose=False)
    assert "no longer choose" in said and await tables.menu(session_id) == []
    await tables.arrange(session_id, GUILD, 1, choose=True)
    assert len(await tables.menu(session_id)) == 2


async def test_a_long_prompt_counts_the_newcomers_instead_of_naming_them(db: Database, chat: FakeChat,
                                                                         config: GuildConfig) -> None:
    """A round post must fit in one Discord message, or the round fails mid-café."""
    plan = shipped_plan()
    rounds = [r.model_copy(update={"prompt": "Talk" + "." * 1870, "rotate": True}) if n == 1 else r
              for n, r in enumerate(plan.rounds)]
    plan = plan.model_copy(update={"rounds": rounds})
    cafes = Cafes(db, chat)
    session_id = await cafes.sessions.create(
        guild_id=GUILD, series="s", plan_id=plan.id, plan_title=plan.title, plan_snapshot=plan.to_snapshot(),
        starts_at=STARTS, timezone="Europe/London", room_size=6,
        rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds], steps=[], actor_id=1)
    rsvp = RsvpService(cafes)
    for person in [600000000000000000 + n for n in range(12)]:
        await rsvp.rsvp(session_id, person)
    floor = FloorService(cafes)
    await floor.open(session_id, config, actor_id=None)
    await floor.next_round(session_id, actor_id=None)
    second = [text for _, text, _ in chat.posts if text.startswith("Talk.")]
    assert len(second) == 2 and all(len(text) <= 2000 for text in second)
    assert all("New at this table this round: 3 people. Welcome!" in text for text in second)
    assert not any("<@" in text for text in second) and all(text.endswith("_") for text in second), "not cut"
