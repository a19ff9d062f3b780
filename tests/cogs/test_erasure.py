"""`/cafe erase` through discord.py's dispatch: an organiser erases what their own server holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cafe_harness import Cafe

from bot.core.consent import Choice, Source
from bot.simulation import SimPermissionError
from bot.store.contributions import ContributionRepo
from bot.store.people import PeopleRepo

OTHER_SERVER = 999999999999999999


async def _open_cafe_with_words(cafe: Cafe) -> int:
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0], "record")
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    rooms = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]
    await cafe.sim.say(cafe.bot, cafe.people[0], rooms[0], "erase me here")
    return session_id


async def _words_on_another_server(cafe: Cafe, discord_user_id: int) -> int:
    """The same person's RSVP and words in a café another server runs on the same Blether."""
    db = cafe.bot.db
    async with db.transaction() as conn:
        row = await conn.fetch_one(
            "INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
            "room_size, created_at) VALUES ($1, 'elsewhere', 'p', 'Elsewhere', '{}', $2, 'UTC', 4, $2) RETURNING id",
            (OTHER_SERVER, db.now()),
        )
        assert row is not None
        session_id = int(row[0])
    person = await PeopleRepo(db).rsvp(session_id, discord_user_id, going=True)
    async with db.transaction() as conn:
        await PeopleRepo(db).append_consent(conn, session_id, person, Choice.RECORD, "v1", Source.BUTTON,
                                            datetime(2029, 12, 31, tzinfo=UTC))
    assert await ContributionRepo(db).add(
        session_id=session_id, room_id=None, round_number=1, participant_id=person, pseudonym="ELSEWHERE1",
        message_id=1, channel_id=2, created_at=datetime(2030, 1, 1, tzinfo=UTC), text="words elsewhere",
        reply_to_message_id=None,
    )
    return session_id


async def test_an_organisers_erasure_stays_on_their_server_and_says_so(cafe: Cafe) -> None:
    here = await _open_cafe_with_words(cafe)
    person = cafe.people[0]
    elsewhere = await _words_on_another_server(cafe, person.id)

    answer = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe erase", channel_id=cafe.announcements,
                                  member=person)

    assert answer.ephemeral
    assert "this server's cafés" in answer.content and "`blether erase`" in answer.content
    assert "contributions 1" in answer.content and "participants" not in answer.content
    db = cafe.bot.db
    assert await ContributionRepo(db).count(here) == 0
    assert await ContributionRepo(db).texts(elsewhere) == [("ELSEWHERE1", "words elsewhere")]
    assert await PeopleRepo(db).participant_id(person.id) is not None
    assert await PeopleRepo(db).is_going(elsewhere, await PeopleRepo(db).participant_id(person.id) or 0)
    audit = await db.fetch_one("SELECT actor_id, detail FROM audit WHERE action = 'erase'")
    assert audit is not None and audit["actor_id"] == cafe.organiser.id


async def test_a_participant_cannot_erase_anyone(cafe: Cafe) -> None:
    here = await _open_cafe_with_words(cafe)
    with pytest.raises(SimPermissionError):  # Discord does not even show them /cafe
        await cafe.sim.slash(cafe.bot, cafe.people[1], "cafe erase", channel_id=cafe.announcements,
                             member=cafe.people[0])
    cafe.sim.set_command_access("cafe", cafe.sim.guild_id, True)  # an admin shows /cafe to everyone
    answer = await cafe.sim.slash(cafe.bot, cafe.people[1], "cafe erase", channel_id=cafe.announcements,
                                  member=cafe.people[0])
    assert "Erased" not in answer.content
    assert await ContributionRepo(cafe.bot.db).count(here) == 1
