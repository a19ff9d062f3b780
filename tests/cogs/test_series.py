"""A café that repeats (issue 11): `/cafe schedule repeat:` with a count or an end date, every
occurrence its own café in one series, cancelling one or the rest, and moving one — all through
the simulated Discord, across the clock changes and in another zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.core.models import Session
from bot.core.timeline import SessionState, StepKind
from bot.simulation import InteractionResult, SimMessage
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

PLAN = "whats-next-for-recovery"


async def cafe_at(tmp_path: Path, moment: datetime, timezone: str = "Europe/London") -> AsyncIterator[Cafe]:
    """A server whose café clock (and Discord's) reads `moment`."""
    sim, parts = make_guild()
    sim.now = moment
    bot = await start_bot(sim, make_settings(tmp_path), clock=CompressedClock(origin=moment, speed=1))
    harness = Cafe(sim=sim, bot=bot, settings=make_settings(tmp_path), **parts)  # type: ignore[arg-type]
    await harness.setup()
    if timezone != "Europe/London":
        await sim.slash(bot, sim.owner, "blether setup", channel_id=harness.announcements, timezone=timezone)
    yield harness
    await sim.disconnect(bot)


@pytest.fixture
async def autumn(tmp_path: Path) -> AsyncIterator[Cafe]:
    # Tuesday 20 October 2026, 12:00 BST; the clocks go back on Sunday the 25th.
    async for harness in cafe_at(tmp_path, datetime(2026, 10, 20, 11, 0, tzinfo=UTC)):
        yield harness


@pytest.fixture
async def spring(tmp_path: Path) -> AsyncIterator[Cafe]:
    # Friday 20 March 2026, 12:00 GMT; the clocks go forward on Sunday the 29th.
    async for harness in cafe_at(tmp_path, datetime(2026, 3, 20, 12, 0, tzinfo=UTC)):
        yield harness


@pytest.fixture
async def sydney(tmp_path: Path) -> AsyncIterator[Cafe]:
    # Tuesday 29 September 2026, 12:00 UTC (22:00 in Sydney); Sydney's clocks go forward on 4 October.
    async for harness in cafe_at(tmp_path, datetime(2026, 9, 29, 12, 0, tzinfo=UTC), "Australia/Sydney"):
        yield harness


async def draft(cafe: Cafe, when: str, **options: object) -> InteractionResult:
    return await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements, plan=PLAN,
                                when=when, **options)


async def confirmed(cafe: Cafe, shown: InteractionResult) -> str:
    """Press Confirm; a series' reply comes as an edit of the draft after a deferral, so the
    draft message is read back."""
    done = await cafe.confirm(shown)
    return done.content or cafe.sim.message(shown.messages[-1].id).content


async def series(cafe: Cafe, when: str, **options: object) -> list[Session]:
    shown = await draft(cafe, when, **options)
    done = await confirmed(cafe, shown)
    assert "Scheduled café #" in done, done
    listed = await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id)
    invitations = cafe.sim.messages(cafe.announcements)[-len(listed):]
    for session, invitation in zip(listed, invitations, strict=True):
        cafe.invitations[session.id] = invitation
    return listed


def buttons(message: SimMessage) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in message.components for c in row["components"]}


async def test_a_weekly_series_with_a_count_is_drafted_whole_then_stored_whole(cafe: Cafe) -> None:
    shown = await draft(cafe, "in 3 hours", repeat="weekly", count=4)
    assert "Repeats weekly" in shown.content and "4 cafés" in shown.content
    assert shown.content.count(":F>") >= 5, "the first start, then each of the four as a timestamp"
    assert await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id) == []
    done = await confirmed(cafe, shown)
    assert "and 3 more in the series" in done, done
    made = await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id)
    assert [s.occurrence for s in made] == [1, 2, 3, 4]
    assert {s.repeat_of for s in made} == {made[0].id} and len({s.series for s in made}) == 1
    assert [b.starts_at - a.starts_at for a, b in pairwise(made)] == [timedelta(days=7)] * 3
    steps = StepRepo(cafe.bot.db)
    for session in made:
        opens = [s for s in await steps.for_session(session.id) if s.kind == StepKind.OPEN]
        assert [s.due_at for s in opens] == [session.starts_at], "each café has its own steps"
        assert session.announce_message_id is not None and session.event_id is not None
    listed = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafes", channel_id=cafe.announcements)
    assert "4 café(s)" in listed.content and listed.content.count("  · #") == 4


async def test_pseudonyms_stay_the_same_across_a_series(cafe: Cafe) -> None:
    made = await series(cafe, "in 3 hours", repeat="fortnightly", count=2)
    person = cafe.people[0]
    for session in made:
        await cafe.join(session.id, person)
    people = PeopleRepo(cafe.bot.db)
    participant = await people.participant_id(person.id)
    assert participant is not None
    key = bytes.fromhex(cafe.settings.pseudonym_key or "")
    codes = {await people.pseudonym(s.guild_id, s.series, participant, person.id, key) for s in made}
    assert len(codes) == 1


async def test_a_series_until_a_date(autumn: Cafe) -> None:
    made = await series(autumn, "tomorrow 19:00", repeat="fortnightly", until="18 Dec")
    # 21 Oct, 4 Nov, 18 Nov, 2 Dec, 16 Dec: the 30th would be after the 18th.
    assert [s.starts_at.day for s in made] == [21, 4, 18, 2, 16]


async def test_a_weekly_series_keeps_its_local_time_across_the_october_change(autumn: Cafe) -> None:
    made = await series(autumn, "tomorrow 19:00", repeat="weekly", count=2)
    assert [s.starts_at for s in made] == [datetime(2026, 10, 21, 18, 0, tzinfo=UTC),  # 19:00 BST
                                           datetime(2026, 10, 28, 19, 0, tzinfo=UTC)]  # 19:00 GMT


async def test_a_weekly_series_keeps_its_local_time_across_the_march_change(spring: Cafe) -> None:
    made = await series(spring, "next Wednesday 19:00", repeat="weekly", count=2)
    assert [s.starts_at for s in made] == [datetime(2026, 3, 25, 19, 0, tzinfo=UTC),  # 19:00 GMT
                                           datetime(2026, 4, 1, 18, 0, tzinfo=UTC)]  # 19:00 BST


async def test_an_occurrence_the_clocks_skip_is_refused_with_its_number(spring: Cafe) -> None:
    refused = await draft(spring, "2026-03-22 01:30", repeat="weekly", count=3)
    assert "Café 2 of the series" in refused.content and "does not exist" in refused.content
    assert await SessionRepo(spring.bot.db).list_for_guild(spring.sim.guild_id) == []


async def test_a_series_in_another_zone_keeps_that_zones_local_time(sydney: Cafe) -> None:
    made = await series(sydney, "tomorrow 18:00", repeat="days", every_days=7, count=2)
    assert [s.starts_at for s in made] == [datetime(2026, 9, 30, 8, 0, tzinfo=UTC),  # 18:00 AEST
                                           datetime(2026, 10, 7, 7, 0, tzinfo=UTC)]  # 18:00 AEDT


async def test_series_refusals_say_what_to_change(cafe: Cafe) -> None:
    assert "go with `repeat`" in (await draft(cafe, "in 3 hours", count=3)).content
    assert "not both" in (await draft(cafe, "in 3 hours", repeat="weekly", count=3, until="in 40 days")).content
    assert "not both and not neither" in (await draft(cafe, "in 3 hours", repeat="weekly")).content
    assert "more than a year ahead" in (await draft(cafe, "in 200 days", repeat="weekly", count=52)).content
    assert "every_days" in (await draft(cafe, "in 3 hours", repeat="days", count=3)).content
    assert "before the second café" in (await draft(cafe, "in 3 hours", repeat="weekly", until="in 2 days")).content
    cafe.sim.add_category("filler")
    for n in range(480):
        cafe.sim.add_text_channel(f"filler-{n}")
    crowded = await draft(cafe, "in 3 hours", repeat="weekly", count=6)
    assert "Café 6 of the series" in crowded.content and "500" in crowded.content, crowded.content
    assert await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id) == []


async def test_cancel_one_occurrence_leaves_the_others(cafe: Cafe) -> None:
    made = await series(cafe, "in 3 hours", repeat="weekly", count=3)
    done = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements,
                                cafe=made[1].id)
    assert f"Café #{made[1].id} is cancelled" in done.content
    states = [s.state for s in await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id)]
    assert states == [SessionState.SCHEDULED, SessionState.CANCELLED, SessionState.SCHEDULED]
    events = cafe.sim.scheduled_events
    assert [events[s.event_id]["status"] for s in made if s.event_id] == [1, 4, 1]
    pending = [s for s in await StepRepo(cafe.bot.db).for_session(made[1].id) if s.status == "pending"]
    assert pending == []


async def test_cancel_the_rest_of_a_series(cafe: Cafe) -> None:
    made = await series(cafe, "in 3 hours", repeat="weekly", count=4)
    done = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements,
                                cafe=made[1].id, scope="rest")
    assert "Cancelled 3 café(s)" in done.content, done.content
    states = [s.state for s in await SessionRepo(cafe.bot.db).list_for_guild(cafe.sim.guild_id)]
    assert states == [SessionState.SCHEDULED] + [SessionState.CANCELLED] * 3
    assert "The rest of the series" in cafe.sim.messages(cafe.announcements)[-1].content
    assert [cafe.sim.scheduled_events[s.event_id or 0]["status"] for s in made] == [1, 4, 4, 4]


async def test_reschedule_one_moves_its_steps_invitation_and_event(cafe: Cafe) -> None:
    made = await series(cafe, "in 3 hours", repeat="weekly", count=2)
    first = made[0]
    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe reschedule", channel_id=cafe.announcements,
                                 cafe=first.id, when="in 5 hours")
    assert f"Move café #{first.id}" in shown.content and set(buttons(shown.messages[-1])) == {"Confirm", "Change"}
    done = await cafe.confirm(shown)
    assert f"Moved café #{first.id}" in done.content and "invitation shows the new time" in done.content
    moved = await SessionRepo(cafe.bot.db).get(first.id)
    assert moved is not None and moved.starts_at > first.starts_at + timedelta(hours=1)
    pending = {s.kind: s for s in await StepRepo(cafe.bot.db).for_session(first.id) if s.status == "pending"}
    assert pending[StepKind.OPEN].due_at == moved.starts_at
    assert pending[StepKind.REMINDER].due_at == moved.starts_at - timedelta(minutes=15)
    invitation = cafe.sim.message(cafe.invitations[first.id].id)
    assert f"<t:{int(moved.starts_at.timestamp())}:F>" in invitation.content and invitation.edited
    assert buttons(invitation), "the edited invitation keeps its buttons"
    event = cafe.sim.scheduled_events[moved.event_id or 0]
    assert datetime.fromisoformat(event["scheduled_start_time"]) == moved.starts_at
    other = await SessionRepo(cafe.bot.db).get(made[1].id)
    assert other is not None and other.starts_at == made[1].starts_at, "the rest of the series stays"


async def test_only_a_cafe_that_has_not_opened_can_move_or_be_cancelled(cafe: Cafe) -> None:
    made = await series(cafe, "in 3 hours", repeat="weekly", count=2)
    await cafe.join(made[0].id, cafe.people[0])
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=made[0].id)
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe reschedule", channel_id=cafe.announcements,
                                   cafe=made[0].id, when="in 5 hours")
    assert "only a café that hasn't opened can be moved" in refused.content
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements,
                                   cafe=made[0].id, scope="rest")
    assert "only a café that hasn't opened can be cancelled" in refused.content
