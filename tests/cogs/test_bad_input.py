"""Bad input gets a clear message and changes nothing (invariant 7), and roles are enforced (6)."""

from __future__ import annotations

from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.simulation.permissions import MANAGE_MESSAGES
from bot.store.db import Database


async def _counts(db: Database) -> tuple[int, int, int]:
    sessions = await db.fetch_one("SELECT COUNT(*) FROM sessions")
    steps = await db.fetch_one("SELECT COUNT(*) FROM scheduled_steps")
    rounds = await db.fetch_one("SELECT COUNT(*) FROM rounds")
    assert sessions and steps and rounds
    return int(sessions[0]), int(steps[0]), int(rounds[0])


async def test_unknown_plan_is_named_with_the_choices(cafe: Cafe) -> None:
    before = await _counts(cafe.bot.db)
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                  plan="no-such-plan", when="in 2 hours")
    assert result.ephemeral
    assert "no plan called 'no-such-plan'" in result.content
    assert "whats-next-for-recovery" in result.content
    assert await _counts(cafe.bot.db) == before
    assert len(cafe.sim.messages(cafe.announcements)) == 0


async def test_a_path_is_not_a_plan_name(cafe: Cafe) -> None:
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                  plan="../../etc/passwd", when="in 2 hours")
    assert "is not a plan name" in result.content
    assert await _counts(cafe.bot.db) == (0, 0, 0)


async def test_a_time_in_the_past_is_refused(cafe: Cafe) -> None:
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                  plan="whats-next-for-recovery", when="2020-01-01 18:00")
    assert "is in the past" in result.content
    assert await _counts(cafe.bot.db) == (0, 0, 0)


async def test_an_unreadable_time_says_how_to_write_one(cafe: Cafe) -> None:
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                                  plan="whats-next-for-recovery", when="when the cows come home")
    assert "couldn't read" in result.content and "2026-12-05 18:30" in result.content
    assert await _counts(cafe.bot.db) == (0, 0, 0)


async def test_a_plan_with_an_undefined_variable_is_refused_with_its_location(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    source = (Path(__file__).parents[2] / "prompts" / "whats-next-for-recovery" / "plan.yaml").read_text()
    broken = plans / "broken-plan"
    broken.mkdir(parents=True)
    (broken / "plan.yaml").write_text(
        source.replace("id: whats-next-for-recovery", "id: broken-plan").replace("{{ round.title }}",
                                                                                 "{{ round.titel }}", 1))
    sim, parts = make_guild()
    bot = await start_bot(sim, make_settings(tmp_path), plans_dir=plans)
    try:
        harness = Cafe(sim=sim, bot=bot, settings=bot.settings, **parts)  # type: ignore[arg-type]
        await harness.setup()
        result = await sim.slash(bot, harness.organiser, "cafe schedule", channel_id=harness.announcements,
                                 plan="broken-plan", when="in 2 hours")
        assert "has problems" in result.content
        assert "rounds[0].prompt" in result.content and "round.titel" in result.content
        assert await _counts(bot.db) == (0, 0, 0)
    finally:
        await sim.disconnect(bot)


async def test_only_organisers_schedule_and_export(cafe: Cafe) -> None:
    # An admin shows /cafe to everyone (Server Settings → Integrations): the role check still refuses.
    cafe.sim.set_command_access("cafe", cafe.sim.guild_id, True)
    participant = cafe.people[0]
    result = await cafe.sim.slash(cafe.bot, participant, "cafe schedule", channel_id=cafe.announcements,
                                  plan="whats-next-for-recovery", when="in 2 hours")
    assert "Only organisers" in result.content and result.ephemeral
    assert await _counts(cafe.bot.db) == (0, 0, 0)

    session_id = await cafe.schedule()
    calls_before = len(cafe.sim.calls)
    for who in (participant, cafe.facilitator):
        denied = await cafe.sim.slash(cafe.bot, who, "cafe export", channel_id=cafe.announcements,
                                      cafe=session_id)
        assert "Only organisers" in denied.content
    assert not [m for m in cafe.sim.messages(cafe.organisers) if m.attachments]
    exports = await cafe.bot.db.fetch_one("SELECT COUNT(*) FROM exports")
    assert exports is not None and exports[0] == 0
    assert not [c for c in cafe.sim.calls[calls_before:] if c.via == "rest" and c.method == "POST"]


async def test_only_hosts_drive_rounds(cafe: Cafe) -> None:
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    # Discord shows /floor only to people with Manage Messages; a moderator who is not a host passes
    # that filter, and the role check refuses them.
    moderator = cafe.sim.add_member("morag-moderator", roles=[cafe.sim.add_role("Moderator",
                                                                               permissions=MANAGE_MESSAGES)])
    denied = await cafe.sim.slash(cafe.bot, moderator, "floor next", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "Only facilitators and organisers" in denied.content
    session = await cafe.bot.services.cafes.sessions.get(session_id)
    assert session is not None and session.current_round == 1


async def test_commands_before_setup_explain_setup(tmp_path: Path) -> None:
    sim, parts = make_guild()
    bot = await start_bot(sim, make_settings(tmp_path))
    try:
        result = await sim.slash(bot, parts["organiser"], "cafe schedule", channel_id=parts["announcements"],
                                 plan="whats-next-for-recovery", when="in 2 hours")
        assert "/blether setup" in result.content
    finally:
        await sim.disconnect(bot)


async def test_export_needs_one_scope(cafe: Cafe) -> None:
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements)
    assert "either a café" in result.content
    wrong = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                 cafe=999)
    assert "no café #999" in wrong.content
