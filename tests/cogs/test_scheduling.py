"""`/cafe schedule` as an organiser meets it (issue 11): times people type, a draft with
Discord timestamps and Confirm / Change before anything exists, and refusals with reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.simulation import InteractionResult, SimMessage
from bot.simulation.models import SimPermissionError
from bot.store.sessions import SessionRepo

PLAN = "whats-next-for-recovery"


def buttons(message: SimMessage) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components for c in row["components"]}


async def draft(cafe: Cafe, when: str, **options: object) -> InteractionResult:
    return await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements, plan=PLAN,
                                when=when, **options)


async def sessions(cafe: Cafe) -> int:
    return len(await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id))


async def cafe_at(tmp_path: Path, moment: datetime, timezone: str = "Europe/London") -> AsyncIterator[Cafe]:
    """A server whose café clock reads `moment` (running at the wall clock's pace)."""
    sim, parts = make_guild()
    bot = await start_bot(sim, make_settings(tmp_path), clock=CompressedClock(origin=moment, speed=1))
    harness = Cafe(sim=sim, bot=bot, settings=make_settings(tmp_path), **parts)  # type: ignore[arg-type]
    await harness.setup()
    if timezone != "Europe/London":
        result = await sim.slash(bot, sim.owner, "blether setup", channel_id=harness.announcements, timezone=timezone)
        assert timezone in result.content, result.content
    yield harness
    await sim.disconnect(bot)


async def test_the_draft_shows_timestamps_and_creates_nothing_until_confirmed(cafe: Cafe) -> None:
    before = len(cafe.sim.messages(cafe.announcements))
    shown = await draft(cafe, "in 3 hours")
    message = shown.messages[-1]
    assert message.visible_to == cafe.organiser.id, "the draft is the organiser's alone"
    assert "<t:" in shown.content and ":F>" in shown.content and ":R>" in shown.content
    assert "(Europe/London)" in shown.content and "Reminders by DM: 1 day(s), 15 minutes before." in shown.content
    assert set(buttons(message)) == {"Confirm", "Change"}
    assert await sessions(cafe) == 0 and len(cafe.sim.messages(cafe.announcements)) == before

    done = await cafe.confirm(shown)
    assert "Scheduled café #" in done.content and "<t:" in done.content
    assert not done.messages[-1].components, "the buttons go once the café exists"
    invitation = cafe.sim.messages(cafe.announcements)[-1]
    stored = (await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id))[0]
    assert f"<t:{int(stored.starts_at.timestamp())}:F>" in invitation.content
    listed = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafes", channel_id=cafe.announcements)
    assert f"<t:{int(stored.starts_at.timestamp())}:F>" in listed.content


async def test_change_takes_another_time_and_confirm_uses_it(cafe: Cafe) -> None:
    shown = await draft(cafe, "in 3 hours")
    message = shown.messages[-1]
    opened = await cafe.sim.click(cafe.bot, cafe.organiser, message, buttons(message)["Change"])
    assert opened.modal is not None
    changed = await cafe.sim.submit_modal(cafe.bot, cafe.organiser, opened.modal["custom_id"],
                                          {"When": "in 5 hours"})
    assert "in 5 hours" in changed.content, changed.content
    done = await cafe.confirm(changed)
    assert "Scheduled café #" in done.content
    stored = (await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id))[0]
    assert round((stored.starts_at - cafe.bot.clock.now()).total_seconds() / 3600) == 5


async def test_a_partly_understood_time_is_refused_with_examples_and_no_buttons(cafe: Cafe) -> None:
    for text in ("tomorrow at half seven-ish", "3 Dec", "next Tuesday 7pm blah"):
        shown = await draft(cafe, text)
        assert "next Tuesday 7pm" in shown.content, shown.content
        assert not shown.messages[-1].components
    assert await sessions(cafe) == 0


async def test_refusals_say_why(cafe: Cafe) -> None:
    assert "more than a year ahead" in (await draft(cafe, "in 400 days")).content
    assert "in the past" in (await draft(cafe, "2020-01-01 18:00")).content
    too_many = await draft(cafe, "in 3 hours", capacity=1000, room_size=2)
    assert "Discord allows 50 channels in a category" in too_many.content
    assert "not a reminder time" in (await draft(cafe, "in 3 hours", reminders="soonish")).content
    assert await sessions(cafe) == 0


async def test_an_overlap_is_shown_and_confirm_accepts_it(cafe: Cafe) -> None:
    first = await cafe.schedule("in 3 hours")
    shown = await draft(cafe, "in 200 minutes")
    assert f"It overlaps #{first}" in shown.content and "**Confirm** schedules it anyway" in shown.content
    assert "Scheduled café #" in (await cafe.confirm(shown)).content
    assert await sessions(cafe) == 2


async def test_nobody_else_can_press_the_drafts_buttons(cafe: Cafe) -> None:
    shown = await draft(cafe, "in 3 hours")
    with pytest.raises(SimPermissionError):
        await cafe.sim.click(cafe.bot, cafe.people[0], shown.messages[-1], buttons(shown.messages[-1])["Confirm"])
    assert await sessions(cafe) == 0


async def test_a_draft_forgotten_by_a_restart_asks_to_schedule_again(cafe: Cafe) -> None:
    shown = await draft(cafe, "in 3 hours")
    cafe.bot.services.scheduling.discard(buttons(shown.messages[-1])["Confirm"].rsplit(":", 1)[1])
    pressed = await cafe.sim.click(cafe.bot, cafe.organiser, shown.messages[-1], buttons(shown.messages[-1])["Confirm"])
    assert "has expired" in pressed.content and "Run `/cafe schedule` again" in pressed.content
    assert await sessions(cafe) == 0


@pytest.fixture
async def october(tmp_path: Path) -> AsyncIterator[Cafe]:
    # Saturday 24 October 2026, 12:00 BST; the clocks go back that night.
    async for harness in cafe_at(tmp_path, datetime(2026, 10, 24, 11, 0, tzinfo=UTC)):
        yield harness


async def test_tomorrow_evening_across_the_october_change(october: Cafe) -> None:
    session_id = await october.schedule("tomorrow 18:00")
    stored = await SessionRepo(october.bot.db).get(session_id)
    assert stored is not None and stored.starts_at == datetime(2026, 10, 25, 18, 0, tzinfo=UTC)  # GMT again
    refused = await draft(october, "2026-10-25 01:30")
    assert "happens twice in Europe/London" in refused.content


@pytest.fixture
async def march(tmp_path: Path) -> AsyncIterator[Cafe]:
    # Saturday 28 March 2026, 12:00 GMT; the clocks go forward that night.
    async for harness in cafe_at(tmp_path, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)):
        yield harness


async def test_sunday_evening_across_the_march_change(march: Cafe) -> None:
    session_id = await march.schedule("tomorrow 7pm")
    stored = await SessionRepo(march.bot.db).get(session_id)
    assert stored is not None and stored.starts_at == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)  # BST
    assert "does not exist in Europe/London" in (await draft(march, "29 March 1.30am")).content


@pytest.fixture
async def sydney(tmp_path: Path) -> AsyncIterator[Cafe]:
    async for harness in cafe_at(tmp_path, datetime(2026, 11, 1, 12, 0, tzinfo=UTC), "Australia/Sydney"):
        yield harness


async def test_a_server_in_another_zone_reads_times_in_its_own(sydney: Cafe) -> None:
    shown = await draft(sydney, "tomorrow 18:00")
    assert "(Australia/Sydney)" in shown.content
    session_id = int((await sydney.confirm(shown)).content.split("#", 1)[1].split(",", 1)[0])
    stored = await SessionRepo(sydney.bot.db).get(session_id)
    # 12:00 UTC is 23:00 on 1 November in Sydney: tomorrow there is the 2nd, and 18:00 AEDT is 07:00 UTC
    # (read in London it would have been 18:00 UTC).
    assert stored is not None and stored.starts_at == datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
