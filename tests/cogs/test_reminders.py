"""Reminders (issue 11): a DM to everyone coming with the time as a Discord timestamp, one grouped
mention for closed DMs, Stop reminding me, and a reminder missed while the bot was down is
skipped, never sent late, never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.core.timeline import StepKind
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo

#: A café-minute is half a second: people join and press buttons long before a reminder is due.
SPEED = 120


async def reminders_settled(cafe: Cafe, session_id: int, seconds: float = 30.0) -> dict[int, str]:
    """Wait until no reminder of the café is pending or running; their statuses by minutes before."""
    steps = StepRepo(cafe.bot.db)
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        mine = [s for s in await steps.for_session(session_id) if s.kind == StepKind.REMINDER]
        if all(s.status not in ("pending", "running") for s in mine):
            await cafe.sim.settle()
            return {int(s.payload["minutes_before"]): s.status for s in mine}  # type: ignore[call-overload]
        assert asyncio.get_running_loop().time() < deadline, "reminders never ran"
        await asyncio.sleep(0.02)


async def fast_cafe(tmp_path: Path) -> Cafe:
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START, speed=SPEED))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    return cafe


async def test_reminders_by_dm_with_a_grouped_mention_for_closed_dms_and_a_way_to_stop(tmp_path: Path) -> None:
    # Reminders fall due 5 and 10 seconds from now.
    cafe = await fast_cafe(tmp_path)
    ailsa, bruce, catriona, dougie = cafe.people
    catriona.dms_open = False
    dougie.dms_open = False
    session_id = await cafe.schedule("in 30 minutes", reminders="20m, 10m")
    for person in cafe.people:
        await cafe.join(session_id, person)
    invitations_channel = cafe.sim.messages(cafe.announcements)

    # Ailsa stops reminders for this café as soon as the first one comes.
    deadline = asyncio.get_running_loop().time() + 20
    while not cafe.sim.dm_messages(ailsa):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    first = cafe.sim.dm_messages(ailsa)[-1]
    assert "<t:" in first.content and ":F>" in first.content
    labels = {c["label"]: c["custom_id"] for row in first.components for c in row["components"]}
    stopped = await cafe.sim.click(cafe.bot, ailsa, first, labels["Stop reminding me"])
    assert "no more reminders for café" in stopped.content

    assert await reminders_settled(cafe, session_id) == {20: "done", 10: "done"}
    assert len(cafe.sim.dm_messages(ailsa)) == 1, "no reminder after stopping"
    assert len(cafe.sim.dm_messages(bruce)) == 2
    grouped = [m for m in cafe.sim.messages(cafe.announcements) if m not in invitations_channel]
    assert len(grouped) == 2, "one grouped mention message per reminder round"
    for message in grouped:
        assert f"<@{catriona.id}>" in message.content and f"<@{dougie.id}>" in message.content
        assert f"<@{bruce.id}>" not in message.content
    posted = [c.json for c in cafe.sim.calls if c.method == "POST" and c.template == "/channels/{channel_id}/messages"
              and c.json and f"<@{catriona.id}>" in str(c.json.get("content"))]
    assert len(posted) == 2
    for payload in posted:
        assert sorted(payload["allowed_mentions"]["users"]) == sorted([catriona.id, dougie.id]), \
            "a reminder by mention notifies exactly the people it names"
    await cafe.sim.disconnect(cafe.bot)


async def test_stopping_for_the_whole_server_covers_its_next_cafe(tmp_path: Path) -> None:
    cafe = await fast_cafe(tmp_path)
    ailsa, bruce = cafe.people[:2]
    first = await cafe.schedule("in 30 minutes", reminders="20m")  # due in 5 seconds
    second = await cafe.schedule("in 50 minutes", reminders="30m")  # due in 10 seconds
    for session_id in (first, second):
        await cafe.join(session_id, ailsa)
        await cafe.join(session_id, bruce)
    await reminders_settled(cafe, first)
    dm = cafe.sim.dm_messages(ailsa)[-1]
    labels = {c["label"]: c["custom_id"] for row in dm.components for c in row["components"]}
    said = await cafe.sim.click(cafe.bot, ailsa, dm, labels["Stop reminding me (every café here)"])
    assert "any café on that server" in said.content
    assert await reminders_settled(cafe, second) == {30: "done"}
    assert len(cafe.sim.dm_messages(ailsa)) == 1 and len(cafe.sim.dm_messages(bruce)) == 2
    await cafe.sim.disconnect(cafe.bot)


async def test_a_reminder_missed_while_the_bot_was_down_is_skipped_and_none_is_sent_twice(tmp_path: Path) -> None:
    cafe = await fast_cafe(tmp_path)
    ailsa = cafe.people[0]
    # A start 60 café-minutes away: the 50-minute reminder comes while the bot runs, the 30-minute
    # one while it is down.
    session_id = await cafe.schedule("in 60 minutes", reminders="50m, 30m")
    await cafe.join(session_id, ailsa)
    deadline = asyncio.get_running_loop().time() + 20
    while not cafe.sim.dm_messages(ailsa):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)
    await cafe.sim.settle()
    await cafe.sim.disconnect(cafe.bot)

    # Back 50 café-minutes after the test began: the 30-minute reminder fell due at about 30-35.
    later = CompressedClock(origin=DEFAULT_START + timedelta(minutes=50), speed=SPEED)
    cafe.bot = await start_bot(cafe.sim, cafe.settings, clock=later)
    steps = StepRepo(cafe.bot.db)
    assert await reminders_settled(cafe, session_id) == {50: "done", 30: "skipped"}
    assert len(cafe.sim.dm_messages(ailsa)) == 1, "the late reminder is skipped, the first never resent"
    skipped = [s for s in await steps.for_session(session_id) if s.kind == StepKind.REMINDER and s.status == "skipped"]
    assert len(skipped) == 1
    await cafe.sim.disconnect(cafe.bot)
