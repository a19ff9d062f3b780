"""The feedback form closes on time whether or not the bot was running when it fell due: its
closing is a durable step with no café (the café's own steps end with it), run once after a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from cafe_harness import Cafe, make_guild, make_settings, start_bot
from test_after_cafe import closed_cafe, count, give_feedback

from bot.core.clock import CompressedClock
from bot.services.feedback import FORM_CLOSE
from bot.simulation.clock import DEFAULT_START


async def _form_step(cafe: Cafe) -> tuple[int, str, object]:
    row = await cafe.bot.db.fetch_one("SELECT id, status, session_id FROM scheduled_steps WHERE kind = ?",
                                      (FORM_CLOSE,))
    assert row is not None
    return int(row["id"]), str(row["status"]), row["session_id"]


async def test_the_form_closes_on_time_across_a_restart(tmp_path: Path) -> None:
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START, speed=1))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    ailsa, bruce, *_ = cafe.people
    session_id = await closed_cafe(cafe)
    assert "Thank you" in (await give_feedback(cafe, ailsa, session_id, rating="4")).content
    _, status, owner = await _form_step(cafe)
    assert status == "pending" and owner is None  # outlives the café's own timeline
    await sim.disconnect(bot)

    # Six days on the form is still open; the bot restarts and the step waits.
    cafe.bot = bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START + timedelta(days=6),
                                                                          speed=1))
    await asyncio.sleep(0.1)
    assert (await _form_step(cafe))[1] == "pending"
    assert "already answered" in (await give_feedback(cafe, ailsa, session_id, rating="1")).content
    await sim.disconnect(bot)

    # Eight days on, the form fell due while the bot was away: it closes once the bot is back.
    cafe.bot = bot = await start_bot(sim, settings, clock=CompressedClock(origin=DEFAULT_START + timedelta(days=8),
                                                                          speed=1))
    deadline = asyncio.get_running_loop().time() + 20
    while (await _form_step(cafe))[1] in ("pending", "running"):
        assert asyncio.get_running_loop().time() < deadline, "the form never closed"
        await asyncio.sleep(0.02)
    assert (await _form_step(cafe))[1] == "done"
    assert await count(cafe, "feedback_answered") == 0  # the markers go with the form
    assert await count(cafe, "feedback_answers") == 1
    late = await give_feedback(cafe, bruce, session_id, rating="5")
    assert late.modal is None and "closed on" in late.content
    row = await bot.db.fetch_one("SELECT detail FROM audit WHERE action = 'feedback_closed' AND session_id = ?",
                                 (session_id,))
    assert row is not None and row["detail"] == "answers=1"
    await sim.disconnect(bot)
