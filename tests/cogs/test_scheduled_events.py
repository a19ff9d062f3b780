"""Each café mirrored as a Discord Scheduled Event (issue 11): its whole life, Discord's field
rules and refusals as the simulated Discord enforces them, a missing Manage Events permission
that never blocks a café, and Interested turning into a DM offer of the RSVP button."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.bot import BletherBot
from bot.config import Settings
from bot.core.clock import Clock
from bot.services.events import EVENT_STATUS
from bot.simulation import permissions as perm
from bot.simulation.scheduled_events import ACTIVE, CANCELED, COMPLETED, EXTERNAL, SCHEDULED
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

PLAN = "whats-next-for-recovery"


def external(start: datetime, **fields: Any) -> dict[str, Any]:
    """A valid EXTERNAL event, with `fields` changed (None removes one)."""
    payload: dict[str, Any] = {
        "name": "Café", "privacy_level": 2, "entity_type": EXTERNAL, "description": "A café.",
        "scheduled_start_time": start.isoformat(), "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "entity_metadata": {"location": "Here"},
    }
    payload.update(fields)
    return {k: v for k, v in payload.items() if v is not None}


async def reaches(event: dict[str, Any], status: int) -> None:
    """The started/ended mirror is a step of its own, run by the scheduler just after the café's."""
    deadline = asyncio.get_running_loop().time() + 10
    while event["status"] != status:
        assert asyncio.get_running_loop().time() < deadline, f"the event stayed at status {event['status']}"
        await asyncio.sleep(0.01)


async def event_of(cafe: Cafe, session_id: int) -> dict[str, Any]:
    session = await SessionRepo(cafe.bot.db).get(session_id)
    assert session is not None and session.event_id is not None, "the café has its event"
    return cafe.sim.scheduled_events[session.event_id]


async def test_the_event_follows_the_cafe_from_scheduled_to_completed(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours")
    session = await SessionRepo(cafe.bot.db).get(session_id)
    assert session is not None
    event = await event_of(cafe, session_id)
    assert event["status"] == SCHEDULED and event["entity_type"] == EXTERNAL and event["channel_id"] is None
    assert event["name"] == session.plan_title and event["entity_metadata"]["location"]
    start = datetime.fromisoformat(event["scheduled_start_time"])
    end = datetime.fromisoformat(event["scheduled_end_time"])
    assert start == session.starts_at and end - start == timedelta(minutes=cafe.bot.services.cafes.facts(
        session).plan.total_minutes)
    assert "I'll join" in event["description"] and "does not save a place" in event["description"]
    # The bot's cache holds it too: the gateway announced it.
    guild = cafe.bot.get_guild(cafe.sim.guild_id)
    assert guild is not None and guild.get_scheduled_event(int(event["id"])) is not None

    await cafe.join(session_id, cafe.people[0])
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    opened = await SessionRepo(cafe.bot.db).get(session_id)
    assert opened is not None
    await reaches(event, ACTIVE)
    assert event["entity_metadata"]["location"].endswith(f"/{cafe.sim.guild_id}/{opened.lobby_channel_id}")

    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=cafe.announcements, cafe=session_id)
    await reaches(event, COMPLETED)
    with pytest.raises(discord.HTTPException) as finished:
        await cafe.bot.http.edit_scheduled_event(cafe.sim.guild_id, int(event["id"]), name="Again")
    assert finished.value.status == 400 and finished.value.code == 180000


async def test_an_event_discord_already_ended_is_left_alone_without_a_notice(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours")
    await cafe.join(session_id, cafe.people[0])
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    event = await event_of(cafe, session_id)
    await reaches(event, ACTIVE)
    event["status"] = COMPLETED  # Discord's automation: an external event ends at its scheduled end
    before = len(cafe.sim.messages(cafe.organisers))
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=cafe.announcements, cafe=session_id)
    steps = StepRepo(cafe.bot.db)
    deadline = asyncio.get_running_loop().time() + 10
    while [s for s in await steps.pending() if s.kind == EVENT_STATUS]:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    await cafe.sim.settle()
    assert event["status"] == COMPLETED
    assert not [m for m in cafe.sim.messages(cafe.organisers)[before:] if "event" in m.content]


async def test_a_cancelled_cafe_cancels_its_event(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours")
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements, cafe=session_id)
    assert (await event_of(cafe, session_id))["status"] == CANCELED


async def test_the_simulated_discord_keeps_discords_field_rules(cafe: Cafe) -> None:
    http, guild_id = cafe.bot.http, cafe.sim.guild_id
    soon = cafe.sim.now + timedelta(days=1)

    async def refused(**payload: Any) -> discord.HTTPException:
        with pytest.raises(discord.HTTPException) as caught:
            await http.create_guild_scheduled_event(guild_id, **payload)
        assert caught.value.status == 400
        return caught.value

    assert "scheduled_start_time" in str(await refused(**external(cafe.sim.now - timedelta(minutes=1))))
    assert "name" in str(await refused(**external(soon, name="x" * 101)))
    assert "name" in str(await refused(**external(soon, name="")))
    assert "description" in str(await refused(**external(soon, description="x" * 1001)))
    assert "location" in str(await refused(**external(soon, entity_metadata={})))
    assert "location" in str(await refused(**external(soon, entity_metadata={"location": "x" * 101})))
    assert "scheduled_end_time" in str(await refused(**external(soon, scheduled_end_time=None)))
    assert "scheduled_end_time" in str(await refused(**external(
        soon, scheduled_end_time=(soon - timedelta(minutes=5)).isoformat())))
    assert "privacy_level" in str(await refused(**external(soon, privacy_level=1)))

    made = await http.create_guild_scheduled_event(guild_id, **external(soon))
    event_id = int(made["id"])
    with pytest.raises(discord.HTTPException) as skipped:
        await http.edit_scheduled_event(guild_id, event_id, status=COMPLETED)
    assert skipped.value.status == 400 and "status" in str(skipped.value)
    await http.edit_scheduled_event(guild_id, event_id, status=ACTIVE)
    with pytest.raises(discord.HTTPException) as back:
        await http.edit_scheduled_event(guild_id, event_id, status=SCHEDULED)
    assert back.value.status == 400
    with pytest.raises(discord.HTTPException) as moved:
        later = (soon + timedelta(hours=1)).isoformat()
        await http.edit_scheduled_event(guild_id, event_id, scheduled_start_time=later)
    assert moved.value.status == 400, "a started event's start cannot move"
    await http.edit_scheduled_event(guild_id, event_id, status=COMPLETED)
    with pytest.raises(discord.NotFound) as unknown:
        await http.edit_scheduled_event(guild_id, 1, status=ACTIVE)
    assert unknown.value.code == 10070

    listed = await http.get_scheduled_events(guild_id, True)
    assert [int(e["id"]) for e in listed] == [event_id] and listed[0]["user_count"] == 0


async def test_a_server_holds_at_most_100_live_events(cafe: Cafe) -> None:
    soon = cafe.sim.now + timedelta(days=1)
    for _ in range(100):
        await cafe.bot.http.create_guild_scheduled_event(cafe.sim.guild_id, **external(soon))
    with pytest.raises(discord.HTTPException) as full:
        await cafe.bot.http.create_guild_scheduled_event(cafe.sim.guild_id, **external(soon))
    assert full.value.code == 30038


async def test_without_manage_events_the_cafes_go_ahead_and_organisers_are_told_once(cafe: Cafe) -> None:
    without = perm.DEFAULT_BOT & ~perm.MANAGE_EVENTS
    cafe.sim.set_role_permissions(cafe.sim.bot_role_id, without)
    before = len(cafe.sim.messages(cafe.organisers))
    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements, plan=PLAN,
                                 when="in 3 hours", repeat="weekly", count=3)
    await cafe.confirm(shown)
    await cafe.schedule("in 30 hours")
    made = await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id)
    assert len(made) == 4 and all(s.event_id is None for s in made)
    assert all(s.announce_message_id is not None for s in made), "every café still has its invitation"
    notices = cafe.sim.messages(cafe.organisers)[before:]
    assert len(notices) == 1, [n.content for n in notices]
    assert "Manage Events" in notices[0].content
    assert cafe.sim.scheduled_events == {}


@pytest.fixture
async def members_cafe(tmp_path: Path) -> AsyncIterator[Cafe]:
    """A host who turned on the Server Members intent: discord.py then knows every member, so
    it passes on Interested from people the bot has never seen."""
    sim, parts = make_guild()
    settings = replace(make_settings(tmp_path), members_intent=True)
    bot = await start_bot(sim, settings)
    harness = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await harness.setup()
    yield harness
    await sim.disconnect(bot)


async def test_interested_is_offered_the_rsvp_button_by_dm(members_cafe: Cafe) -> None:
    cafe = members_cafe
    session_id = await cafe.schedule("in 3 hours")
    event_id = int((await event_of(cafe, session_id))["id"])
    newcomer, coming = cafe.people[0], cafe.people[1]
    await cafe.join(session_id, coming)
    cafe.sim.interested(newcomer, event_id)
    cafe.sim.interested(coming, event_id)
    await cafe.sim.settle()
    offers = cafe.sim.dm_messages(newcomer)
    assert len(offers) == 1 and "Interested" in offers[0].content and "doesn't save a place" in offers[0].content
    assert not [m for m in cafe.sim.dm_messages(coming) if "Interested" in m.content], "already coming: no offer"
    people = PeopleRepo(cafe.bot.db)
    assert len(await people.going(session_id)) == 1, "Interested alone never counts as coming"
    await cafe.sim.click(cafe.bot, newcomer, offers[0], f"blether:rsvp:{session_id}")
    assert {d for _, d in await people.going(session_id)} == {newcomer.id, coming.id}


async def test_without_the_members_intent_someone_never_seen_gets_no_offer(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours")
    event_id = int((await event_of(cafe, session_id))["id"])
    cafe.sim.interested(cafe.people[3], event_id)
    await cafe.sim.settle()
    assert cafe.sim.dm_messages(cafe.people[3]) == []


async def test_a_bot_without_the_scheduled_events_intent_hears_nothing_of_them(tmp_path: Path) -> None:
    """A bot without the scheduled-events intent hears nothing of them (Discord sends nothing)."""
    sim, parts = make_guild()
    settings = make_settings(tmp_path)

    class NoEventsIntent(BletherBot):
        def __init__(self, settings: Settings, *, clock: Clock, **kwargs: Any) -> None:
            super().__init__(settings, clock=clock, **kwargs)
            self._connection._intents.guild_scheduled_events = False

    bot = await start_bot(sim, settings, bot_class=NoEventsIntent)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule("in 3 hours")
    guild = bot.get_guild(sim.guild_id)
    assert guild is not None and list(guild.scheduled_events) == []
    assert (await event_of(cafe, session_id))["status"] == SCHEDULED
    await sim.disconnect(bot)
