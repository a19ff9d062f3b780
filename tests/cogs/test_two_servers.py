"""Issue 8, done-when: two servers on one Blether and one database. Everything server A's people
do — every command and every button — leaves server B's rows byte for byte as they were."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.store.db import Database


async def server_rows(db: Database, guild_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every row that belongs to the server: by its guild id, by one of its cafés, or (people)
    by a row of theirs in one of its cafés."""
    sessions = "SELECT id FROM sessions WHERE guild_id = ?"
    people = ("SELECT participant_id FROM rsvps WHERE session_id IN (" + sessions + ") UNION "
              "SELECT participant_id FROM consent_ledger WHERE session_id IN (" + sessions + ")")
    dump: dict[str, list[tuple[object, ...]]] = {}
    tables = [r[0] for r in await db.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        columns = {r[1] for r in await db.fetch_all(f"PRAGMA table_info({table})")}
        if "guild_id" in columns:
            rows = await db.fetch_all(f"SELECT * FROM {table} WHERE guild_id = ?", (str(guild_id),))
        elif "session_id" in columns:
            rows = await db.fetch_all(f"SELECT * FROM {table} WHERE session_id IN ({sessions})", (str(guild_id),))
        elif table == "participants":
            rows = await db.fetch_all(f"SELECT * FROM participants WHERE id IN ({people}) ORDER BY id",
                                      (str(guild_id), str(guild_id)))
        else:
            continue
        # Sorted here, not by rowid: some tables (the feedback answers) have none, by design.
        dump[table] = sorted((tuple(r) for r in rows), key=repr)
    return dump


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[tuple[Cafe, Cafe]]:
    settings = make_settings(tmp_path)
    made: list[Cafe] = []
    for seed in (3, 11):
        sim, parts = make_guild(seed=seed)
        bot = await start_bot(sim, settings)
        harness = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
        assert "Blether is set up" in (await harness.setup()).content
        made.append(harness)
    a, b = made
    assert a.sim.guild_id != b.sim.guild_id
    yield a, b
    for harness in made:
        if not harness.bot.is_closed():
            await harness.sim.disconnect(harness.bot)


async def _running_with_words(cafe: Cafe, series: str) -> tuple[int, int]:
    session_id = await cafe.schedule(series=series)
    await cafe.join(session_id, cafe.people[0], "record")
    await cafe.join(session_id, cafe.people[1], "record")
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    room = next(r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id))
    assert room is not None
    await cafe.sim.say(cafe.bot, cafe.people[0], room, f"words on {series}")
    return session_id, room


async def test_everything_server_a_does_leaves_server_b_byte_for_byte(servers: tuple[Cafe, Cafe]) -> None:
    a, b = servers
    b_cafe, _b_room = await _running_with_words(b, "shared-series")
    b_later = await b.schedule(series="shared-series")
    await b.join(b_later, b.people[2])
    b_before = await server_rows(b.bot.db, b.sim.guild_id)
    assert b_before["contributions"] and b_before["consent_ledger"] and b_before["pseudonyms"]

    sim, bot = a.sim, a.bot
    organiser, facilitator, person = a.organiser, a.facilitator, a.people[0]
    here, room = await _running_with_words(a, "shared-series")
    later = await a.schedule(series="shared-series")
    invitation = a.invitations[later]
    # Every command, with and without B's café numbers, and every button.
    for other in (b_cafe, b_later):
        for user, command, options in (
            (organiser, "cafe open", {"cafe": other}), (facilitator, "floor next", {"cafe": other}),
            (facilitator, "floor close", {"cafe": other}), (organiser, "cafe cancel", {"cafe": other}),
            (organiser, "cafe export", {"cafe": other}), (person, "consent", {"cafe": other}),
            (person, "withdraw", {"cafe": other}),
        ):
            refused = await sim.slash(bot, user, command, channel_id=a.announcements, **options)
            assert f"no café #{other}" in refused.content.lower() or "there is no café" in refused.content.lower(), (
                command, refused.content)
    await sim.slash(bot, organiser, "cafes", channel_id=a.announcements)
    await sim.slash(bot, organiser, "cafe export", channel_id=a.organisers, series="shared-series")
    await sim.click(bot, a.people[2], invitation, f"blether:rsvp:{later}")
    panel = await sim.slash(bot, person, "consent", channel_id=room)
    await sim.click(bot, person, panel.messages[-1], f"blether:choose:{here}:quote")
    support = next(m for m in sim.messages(room) if f"blether:support:{here}" in json.dumps(m.components))
    await sim.click(bot, person, support, f"blether:support:{here}")
    await sim.slash(bot, facilitator, "floor next", channel_id=room, cafe=here)
    await sim.slash(bot, person, "mydata", channel_id=room)
    confirm = await sim.slash(bot, person, "withdraw", channel_id=room, scope="all")
    await sim.click(bot, person, confirm.messages[-1], "blether:withdraw:all")
    await sim.slash(bot, organiser, "cafe erase", channel_id=a.announcements, member=a.people[1])
    await sim.slash(bot, facilitator, "floor close", channel_id=room, cafe=here)
    await sim.slash(bot, organiser, "cafe cancel", channel_id=a.announcements, cafe=later)
    await sim.slash(bot, sim.owner, "blether setup", channel_id=a.announcements, timezone="Asia/Tokyo",
                    retention_days=1)
    await a.bot.retention()

    assert await server_rows(b.bot.db, b.sim.guild_id) == b_before
