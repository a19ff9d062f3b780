"""Group commit and crashes: a batch the bot dies in the middle of is read back at the next start.

The capture path holds the messages it has judged kept in memory only and writes them in batches,
with the channels' cursors. A crash loses what was waiting and rolls back the batch being written;
Discord's history is the durable log, so the next start-up's read-back brings every consented
message in, once, and never a refused one (whose words never reached the database or any file).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import discord
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.bot import BletherBot
from bot.simulation import SimMember
from bot.store.contributions import NewContribution

RECORDING, DECLINING = 4, 2


async def _crash(cafe: Cafe) -> BletherBot:
    """Kill the bot where it stands (its database connection is left open, as a dead process's is)."""
    bot = cafe.bot
    await cafe.sim.crash(bot)
    bot.services.catch_up.stop()
    if bot.scheduler is not None:
        bot.scheduler.shutdown()
    await discord.Client.close(bot)
    return bot


async def _until(condition: object, what: str) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


async def test_a_crash_in_the_middle_of_a_batch_loses_nothing_and_stores_no_refused_word(tmp_path: Path) -> None:
    sim, parts = make_guild(people=RECORDING + DECLINING)
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule()
    recording, declining = cafe.people[:RECORDING], cafe.people[RECORDING:]
    for person in recording:
        await cafe.join(session_id, person, "record")
    for person in declining:
        await cafe.join(session_id, person, "decline")
    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content, opened.content
    await bot.backfill()  # the new rooms are read back once, so live messages move their cursors
    rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    room_ids = [r for r in rooms if r is not None]
    kept: dict[int, str] = {}
    refused: dict[int, str] = {}

    async def say_each(people: Sequence[SimMember], book: dict[int, str], *, wait: bool) -> None:
        for person in people:
            token = f"w{uuid.uuid4().hex}"
            said = await sim.say(bot, person, cafe.room_of(person, room_ids), f"{token} is what I said", wait=wait)
            book[said.id] = token

    # Written and committed in the ordinary way: batches land, cursors move.
    await say_each(recording, kept, wait=True)
    await say_each(declining, refused, wait=True)
    capture = bot.services.capture
    assert len(await capture.contributions.texts(session_id)) == RECORDING

    # Now batches gather for a long time, and the one that starts hangs inside its transaction.
    capture.batch_window, capture.batch_rows = 3600.0, 2
    writing, held = asyncio.Event(), asyncio.Event()
    store_batch = capture.contributions.store_batch

    async def store_then_hang(conn: object, rows: Sequence[NewContribution]) -> set[int]:
        stored = await store_batch(conn, rows)  # type: ignore[arg-type]
        writing.set()
        await held.wait()  # never set: the bot dies here, before the commit
        return stored

    capture.contributions.store_batch = store_then_hang  # type: ignore[method-assign]
    await say_each(recording, kept, wait=False)
    await say_each(declining, refused, wait=False)
    await say_each(recording, kept, wait=False)
    await _until(lambda: writing.is_set(), "a batch to be written")
    assert capture._queue, "messages judged kept are still waiting for a later batch"
    queued_words = {q.row.text for q in capture._queue}
    assert not any(token in text for text in queued_words for token in refused.values())

    dead = await _crash(cafe)
    try:
        # The cursor never passed a consented message that is not stored.
        stored_now = {int(r[0]) for r in await dead.db.fetch_all("SELECT message_id FROM contributions")}
        cursors = {int(r[0]): int(r[1]) for r in await dead.db.fetch_all(
            "SELECT channel_id, last_seen_message_id FROM rooms WHERE last_seen_message_id IS NOT NULL")}
        lost = [m for m in kept if m not in stored_now]
        assert lost, "the crash fell before any batch was lost: the test proves nothing"
        for message_id in lost:
            channel = sim.message(message_id).channel_id
            assert message_id > cursors.get(channel, 0), "the cursor stepped over a message never stored"

        cafe.bot = await start_bot(sim, settings)
        await sim.settle()
        rows = await cafe.bot.db.fetch_all(
            "SELECT message_id, text FROM contributions WHERE session_id = ?", (session_id,))
        stored = [(int(r[0]), str(r[1]).split()[0]) for r in rows]
        assert sorted(stored) == sorted(kept.items()), "every consented message, exactly once"
        files = b"".join(p.read_bytes() for p in settings.database_path.parent.glob("blether.sqlite3*"))
        for token in refused.values():
            assert token.encode() not in files, "a refused person's words reached the database"
        await sim.disconnect(cafe.bot)
    finally:
        await dead.db.close()


async def test_a_message_waiting_for_its_batch_goes_when_its_author_declines(tmp_path: Path) -> None:
    """A decline saved while the person's words wait in memory takes those written from its
    millisecond on out of the queue, inside its own transaction, so no batch stores them."""
    sim, parts = make_guild(people=1)
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule()
    (ailsa,) = cafe.people
    await cafe.join(session_id, ailsa, "record")
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    room = next(r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id))
    assert room is not None
    capture = bot.services.capture
    capture.batch_window, capture.batch_rows = 3600.0, 10_000
    before = await sim.say(bot, ailsa, room, "before declining", wait=False)
    await _until(lambda: len(capture._queue) == 1, "the first message to be queued")
    sim.advance(1)
    consent = await sim.slash(bot, ailsa, "consent", channel_id=room)
    # The same millisecond as the choice: a tie, which is not recorded.
    tie = await sim.say(bot, ailsa, room, "in the very millisecond", wait=False)
    await _until(lambda: len(capture._queue) == 2, "the second message to be queued")
    await sim.click(bot, ailsa, consent.messages[-1], f"blether:choose:{session_id}:decline")
    assert [q.row.message_id for q in capture._queue] == [before.id]
    await capture.flush()
    texts = [t for _, t in await capture.contributions.texts(session_id)]
    assert texts == ["before declining"]
    assert tie.id not in {int(r[0]) for r in await bot.db.fetch_all("SELECT message_id FROM contributions")}
    await sim.disconnect(bot)
