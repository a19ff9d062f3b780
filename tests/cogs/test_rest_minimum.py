"""The REST calls of scheduling a café and of a reminder round, held to the documented minimum
(docs/rest-calls.md): a change that adds calls to these paths has to update the document."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.core.timeline import StepKind
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo


def made(cafe: Cafe, since: int) -> list[str]:
    return [f"{c.method} {c.template}" for c in cafe.sim.calls[since:]]


async def test_scheduling_a_cafe_makes_the_documented_calls(cafe: Cafe) -> None:
    since = len(cafe.sim.calls)
    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                 plan="whats-next-for-recovery", when="in 3 hours")
    assert made(cafe, since) == ["POST /interactions/{webhook_id}/{webhook_token}/callback"]
    since = len(cafe.sim.calls)
    await cafe.confirm(shown)
    assert made(cafe, since) == [
        "POST /channels/{channel_id}/messages",  # the invitation, with its buttons
        "POST /guilds/{guild_id}/scheduled-events",  # the café on the server's events list
        "POST /interactions/{webhook_id}/{webhook_token}/callback",  # the draft becomes the receipt
    ]


async def test_scheduling_a_series_makes_the_documented_calls(cafe: Cafe) -> None:
    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                 plan="whats-next-for-recovery", when="in 3 hours", repeat="weekly", count=3)
    since = len(cafe.sim.calls)
    await cafe.confirm(shown)
    assert made(cafe, since) == [
        "POST /interactions/{webhook_id}/{webhook_token}/callback",  # deferred: a series takes longer
        *["POST /channels/{channel_id}/messages"] * 3,  # one invitation per café
        *["POST /guilds/{guild_id}/scheduled-events"] * 3,  # one event per café
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",  # the draft becomes the receipt
    ]


async def test_a_reminder_round_makes_one_dm_per_person_and_one_grouped_mention(tmp_path: Path) -> None:
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START, speed=120))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    open_dms, closed = cafe.people[:2], cafe.people[2:]
    for person in closed:
        person.dms_open = False
    session_id = await cafe.schedule("in 30 minutes", reminders="20m")
    for person in cafe.people:
        await cafe.join(session_id, person)
    since = len(sim.calls)
    steps = StepRepo(bot.db)
    deadline = asyncio.get_running_loop().time() + 30
    while [s for s in await steps.for_session(session_id) if s.kind == StepKind.REMINDER and s.status == "pending"]:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    await sim.settle()
    calls = made(cafe, since)
    # Each person: open the DM channel (once per life of the bot; discord.py caches it), then send;
    # the closed DMs share one mention in the invitation's channel.
    assert calls.count("POST /users/@me/channels") <= len(cafe.people)
    assert calls.count("POST /channels/{channel_id}/messages") == len(cafe.people) + 1
    assert len(calls) <= 2 * len(cafe.people) + 1, calls
    assert all(sim.dm_messages(person) for person in open_dms)
    await sim.disconnect(bot)


async def test_rescheduling_a_cafe_makes_the_documented_calls(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours")
    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe reschedule", channel_id=cafe.announcements,
                                 cafe=session_id, when="in 4 hours")
    since = len(cafe.sim.calls)
    await cafe.confirm(shown)
    assert made(cafe, since) == [
        "PATCH /channels/{channel_id}/messages/{message_id}",  # the invitation, edited in place
        "PATCH /guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",  # the event's new times
        "POST /interactions/{webhook_id}/{webhook_token}/callback",  # the draft becomes the receipt
    ]
