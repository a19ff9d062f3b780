"""Capture that heals across restarts (issue 9), through the simulated Discord."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cafe_harness import Cafe, UpgradedBot, start_bot

from bot.bot import BletherBot
from bot.core.clock import from_iso
from bot.services.chat import ChatError
from bot.services.steps import failure_reason
from bot.store.contributions import ContributionRepo

HISTORY = "/channels/{channel_id}/messages"


async def _open_cafe(cafe: Cafe, choices: dict[int, str | None]) -> tuple[int, int]:
    session_id = await cafe.schedule()
    for index, choice in choices.items():
        await cafe.join(session_id, cafe.people[index], choice)
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=cafe.announcements, cafe=session_id)
    cafe.sim.advance(1)
    rooms = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]
    return session_id, cafe.room_of(cafe.people[next(iter(choices))], rooms)


async def _texts(bot: BletherBot, session_id: int) -> list[str]:
    return [t for _, t in await ContributionRepo(bot.db).texts(session_id)]


def _db_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_an_edit_made_while_the_bot_was_away_reaches_the_store_with_its_mark(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    said = await cafe.sim.say(cafe.bot, cafe.people[0], room, "my sister's name is Morag and the ward was awful")
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.advance(5)
    cafe.sim.edit_offline(said.id, "the ward was awful")
    bot = await start_bot(cafe.sim, cafe.settings)
    try:
        assert await _texts(bot, session_id) == ["the ward was awful"]
        row = await bot.db.fetch_one("SELECT edited FROM contributions")
        assert row is not None and row[0] == 1
        assert b"Morag" not in _db_bytes(cafe.settings.database_path)
    finally:
        await cafe.sim.disconnect(bot)


async def test_a_message_first_read_after_an_offline_edit_keeps_its_edited_mark(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.advance(5)
    said = cafe.sim.say_offline(cafe.people[0], room, "first go")
    cafe.sim.advance(5)
    cafe.sim.edit_offline(said.id, "second go")
    bot = await start_bot(cafe.sim, cafe.settings)
    try:
        assert await _texts(bot, session_id) == ["second go"]
        row = await bot.db.fetch_one("SELECT edited FROM contributions")
        assert row is not None and row[0] == 1
    finally:
        await cafe.sim.disconnect(bot)


async def test_a_failed_backfill_leaves_no_gap_is_retried_and_the_hosts_are_told(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.advance(5)
    cafe.sim.say_offline(cafe.people[0], room, "written while the bot was down")
    # Discord fails every history read for a while: the start-up read-back and its retries.
    fault = cafe.sim.faults.fail("GET", HISTORY, times=4, status=503)

    class QuickRetries(BletherBot):
        def _build_services(self, pseudonym_key: bytes):  # type: ignore[no-untyped-def]
            services = super()._build_services(pseudonym_key)
            services.catch_up.delays = (0.05, 0.05, 0.05, 0.05, 0.05)
            return services

    bot = await start_bot(cafe.sim, cafe.settings, bot_class=QuickRetries)
    try:
        cafe.sim.advance(1)
        await cafe.sim.say(bot, cafe.people[0], room, "written live after the failed read-back")
        # The live message must not move the cursor past the unread one.
        deadline = asyncio.get_running_loop().time() + 10
        while "written while the bot was down" not in await _texts(bot, session_id):
            assert asyncio.get_running_loop().time() < deadline, "the retry never read the gap back"
            await asyncio.sleep(0.02)
        await cafe.sim.settle()
        assert len(fault.hits) == 4
        assert sorted(await _texts(bot, session_id)) == ["written live after the failed read-back",
                                                         "written while the bot was down"]
        told = [m.content for m in cafe.sim.messages(cafe.organisers)]
        assert sum("could not read back" in t for t in told) == 1, told
        assert sum("has now read back" in t for t in told) == 1, told
    finally:
        await cafe.sim.disconnect(bot)


async def test_a_backfill_that_keeps_failing_still_recovers_the_gap_at_the_next_start(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.say_offline(cafe.people[0], room, "the gap")
    cafe.sim.faults.fail("GET", HISTORY, times=1, status=503)

    class NoRetries(BletherBot):
        def _build_services(self, pseudonym_key: bytes):  # type: ignore[no-untyped-def]
            services = super()._build_services(pseudonym_key)
            services.catch_up.delays = ()
            return services

    bot = await start_bot(cafe.sim, cafe.settings, bot_class=NoRetries)
    cafe.sim.advance(1)
    await cafe.sim.say(bot, cafe.people[0], room, "after the gap")
    assert await _texts(bot, session_id) == ["after the gap"]
    await cafe.sim.disconnect(bot)
    bot = await start_bot(cafe.sim, cafe.settings)
    try:
        assert await _texts(bot, session_id) == ["the gap", "after the gap"]
    finally:
        await cafe.sim.disconnect(bot)


async def test_a_message_in_the_same_millisecond_as_a_record_click_is_refused_live_and_after_restart(
        cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record", 1: "decline"})
    person = cafe.people[1]
    await cafe.sim.say(cafe.bot, person, room, "same millisecond as my click")
    panel = await cafe.sim.slash(cafe.bot, person, "consent", channel_id=room)
    await cafe.sim.click(cafe.bot, person, panel.messages[-1], f"blether:choose:{session_id}:record")
    assert await _texts(cafe.bot, session_id) == []
    await cafe.sim.disconnect(cafe.bot)
    bot = await start_bot(cafe.sim, cafe.settings)
    try:
        assert await _texts(bot, session_id) == []
        assert b"same millisecond" not in _db_bytes(cafe.settings.database_path)
    finally:
        await cafe.sim.disconnect(bot)


async def test_withdrawn_words_are_in_no_file_of_the_database_while_the_bot_runs(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record", 1: "record"})
    leaver = cafe.people[0]
    await cafe.sim.say(cafe.bot, leaver, room, "words I will take back xyzzy")
    await cafe.sim.say(cafe.bot, cafe.people[1], room, "words that stay plugh")
    path = cafe.settings.database_path
    assert b"xyzzy" in _db_bytes(path)
    confirm = await cafe.sim.slash(cafe.bot, leaver, "withdraw", channel_id=room)
    button = next(b for b in confirm.buttons() if str(b["custom_id"]).startswith("blether:withdraw:"))
    await cafe.sim.click(cafe.bot, leaver, confirm.messages[-1], str(button["custom_id"]))
    for companion in ("", "-wal", "-shm"):
        file = path.with_name(path.name + companion)
        if file.exists():
            assert b"xyzzy" not in file.read_bytes(), companion
    assert b"plugh" in _db_bytes(path)
    assert await _texts(cafe.bot, session_id) == ["words that stay plugh"]


async def test_a_refused_command_sync_is_logged_and_the_bot_runs(cafe: Cafe, caplog: object) -> None:
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.faults.fail("PUT", "/applications/{application_id}/commands", status=400, code=50035,
                         message="Invalid Form Body")
    bot = UpgradedBot(cafe.settings)  # its commands changed, so it syncs (and is refused)
    await cafe.sim.connect(bot)
    try:
        assert bot.sync_failure is not None and "Invalid Form Body" in bot.sync_failure
        assert bot.is_ready() and bot.scheduler is not None
        session_id, room = await _open_cafe(Cafe(**{**cafe.__dict__, "bot": bot}), {0: "record"})
        await cafe.sim.say(bot, cafe.people[0], room, "capture runs")
        assert await _texts(bot, session_id) == ["capture runs"]
    finally:
        await cafe.sim.disconnect(bot)


def test_a_missing_permission_names_the_channel_and_the_permissions() -> None:
    refused = ChatError("Missing Permissions", status=400, code=50013, channel_id=1234, needs=("Manage Roles",))
    reason = failure_reason(refused)
    assert "<#1234>" in reason and "Manage Roles" in reason
    other = ChatError("Cannot send messages to this user", status=403, code=50007)
    assert "missing a permission" not in failure_reason(other)


async def test_consent_after_the_end_shows_the_choices_without_buttons(cafe: Cafe) -> None:
    session_id, _room = await _open_cafe(cafe, {0: "record"})
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=cafe.announcements, cafe=session_id)
    panel = await cafe.sim.slash(cafe.bot, cafe.people[0], "consent", channel_id=cafe.announcements,
                                 cafe=session_id)
    assert "has ended" in panel.content and "recorded" in panel.content
    assert panel.buttons() == []


async def test_an_export_of_a_cafe_that_never_ran_says_why_there_is_nothing(cafe: Cafe) -> None:
    session_id = await cafe.schedule()
    answer = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "nothing to export" in answer.content and "never ran" in answer.content, answer.content
    assert not any(m.attachments for m in cafe.sim.messages(cafe.organisers))


async def test_opened_and_closed_times_follow_the_cafe_clock(tmp_path: Path) -> None:
    from datetime import timedelta

    from cafe_harness import make_guild, make_settings

    from bot.core.clock import CompressedClock
    from bot.simulation.clock import DEFAULT_START

    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    origin = DEFAULT_START + timedelta(days=400)  # far from the wall clock, so a mix-up shows
    bot = await start_bot(sim, settings, clock=CompressedClock(origin=origin, speed=60))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    try:
        await cafe.setup()
        session_id, _room = await _open_cafe(cafe, {0: "record"})
        await sim.slash(bot, cafe.facilitator, "floor close", channel_id=cafe.announcements, cafe=session_id)
        row = await bot.db.fetch_one("SELECT opened_at, closed_at FROM sessions WHERE id = ?", (session_id,))
        assert row is not None
        for stamp in row:
            assert abs((from_iso(stamp) - origin).total_seconds()) < 30 * 24 * 3600, stamp
    finally:
        await sim.disconnect(bot)
