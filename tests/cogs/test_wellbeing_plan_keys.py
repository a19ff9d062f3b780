"""Issue 13: a round's content note comes before its prompt, accessible versions sit beside the
welcome and the prompt, and a plan's pace slows every round."""

from __future__ import annotations

from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.services.plans import DEFAULT_PLANS_DIR

PLAN = "whats-next-for-recovery"


async def test_content_note_accessible_versions_and_pace_reach_the_rooms(tmp_path: Path) -> None:
    plans = tmp_path / "plans" / PLAN
    plans.mkdir(parents=True)
    text = (DEFAULT_PLANS_DIR / PLAN / "plan.yaml").read_text(encoding="utf-8")
    text = text.replace("    minutes: 20\n    prompt: |\n      **Round {{ round.number }}",
                        "    minutes: 20\n    content_note: This round may touch on hard times in hospital.\n"
                        "    accessible:\n      bsl_video: https://example.org/bsl/round-1\n"
                        "      easy_read: What helps you feel well?\n"
                        "    prompt: |\n      **Round {{ round.number }}", 1)
    text += "welcome_accessible:\n  bsl_video: https://example.org/bsl/welcome\npace: 1.5\n"
    (plans / "plan.yaml").write_text(text, encoding="utf-8")
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, plans_dir=tmp_path / "plans")
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content, opened.content
    session = await bot.services.cafes.refreshed(session_id)
    assert session.lobby_channel_id is not None
    welcome = sim.messages(session.lobby_channel_id)[0].text
    assert "<https://example.org/bsl/welcome>" in welcome
    [room] = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    assert room is not None
    first = sim.messages(room)[0].text
    note, prompt = first.index("Content note:"), first.index("What can we build on?")
    assert note < prompt
    assert "<https://example.org/bsl/round-1>" in first and "Easy read: What helps you feel well?" in first
    # pace 1.5: the 20-minute round runs 30 minutes, and says so.
    assert "30 minutes" in first
    await sim.disconnect(bot)
