"""Summaries and key points over the fake chat: offers as rounds end (once, also when resumed), the
summary kept, edited, audited and posted at the plenary; key points only on kept words, gone with them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.consent import Choice, Source
from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.services.chat import OfferKind
from bot.services.consent import ConsentService, WithdrawalScope
from bot.services.summaries import MAX_SUMMARY, KeyPointService, SummaryService, pack
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

from .conftest import GUILD
from .fakes import FakeChat, FixedClock
from .test_cafes import ORGANISER, PEOPLE, Desk, scheduled, service

FACILITATOR_ID = 500000000000000900


@dataclass
class Floor:
    desk: Desk
    summaries: SummaryService
    key_points: KeyPointService


def wired(db: Database, chat: FakeChat, clock: FixedClock) -> Floor:
    """The café services with the summaries' listeners, as the composition root wires them."""
    desk = service(db, chat, clock)
    summaries = SummaryService(desk.cafes)
    desk.floor.on_rounds_ended.append(summaries.rounds_ended)
    desk.closing.on_closing.append(summaries.closing)
    return Floor(desk, summaries, KeyPointService(desk.cafes))


async def running(db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig) -> tuple[Floor, int]:
    session_id = await scheduled(db, chat, clock, config)
    clock.advance(minutes=30)
    floor = wired(db, chat, clock)
    await floor.desk.floor.open(session_id, config, actor_id=None)
    return floor, session_id


def offers(chat: FakeChat) -> list[tuple[int, str]]:
    return [(channel, text) for channel, text, made in chat.posts
            if any(offer.kind is OfferKind.WRITE_SUMMARY for offer in made)]


async def offer_message(db: Database, session_id: int, room_number: int, round_number: int) -> int:
    row = await db.fetch_one(
        "SELECT o.message_id FROM summary_offers o JOIN rooms r ON r.id = o.room_id "
        "WHERE o.session_id = $1 AND r.number = $2 AND o.round_number = $3", (session_id, room_number, round_number))
    assert row is not None
    return int(row[0])


def test_summaries_are_packed_whole_into_as_few_messages_as_fit() -> None:
    assert pack(["a" * 900, "b" * 900, "c" * 900, "d" * 10]) == [[0, 1], [2, 3]]
    assert pack(["a" * 1998]) == [[0]]
    assert pack(["a" * 999, "b" * 999]) == [[0, 1]]  # 999 + 2 + 999 = 2000
    assert pack(["a" * 999, "b" * 1000]) == [[0], [1]]
    assert pack([]) == []


async def test_each_room_gets_one_offer_per_ended_round_also_when_resumed(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    floor, session_id = await running(db, chat, clock, config)
    rooms = await SessionRepo(db).rooms(session_id)
    assert offers(chat) == []  # round 1 has only begun
    await floor.desk.floor.next_round(session_id, actor_id=ORGANISER)
    first = offers(chat)
    assert sorted(channel for channel, _ in first) == sorted(room.channel_id for room in rooms)  # type: ignore[misc]
    assert all(text.startswith("Round 1 —") and "has ended" in text for _, text in first)

    # Called again (a resumed round), nothing is posted twice; a post Discord made before a crash
    # but the store never heard of is found, not repeated.
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM summary_offers WHERE room_id = $1", (rooms[0].id,))
    await floor.summaries.rounds_ended(session_id, 2, True)
    assert offers(chat) == first
    assert await offer_message(db, session_id, 1, 1) == chat.posted[first[0]]

    await floor.desk.closing.close(session_id, ORGANISER)
    second = offers(chat)[len(first):]
    assert len(second) == len(rooms) and all(text.startswith("Round 2 —") for _, text in second)


async def test_a_summary_is_kept_edited_audited_and_posted_once_at_the_close(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    floor, session_id = await running(db, chat, clock, config)
    await floor.desk.floor.next_round(session_id, actor_id=ORGANISER)
    offer = await offer_message(db, session_id, 1, 1)
    summaries = floor.summaries

    with pytest.raises(UserError, match="Only the host of room-1 or a facilitator"):
        await summaries.draft(session_id, GUILD, offer, PEOPLE[0], False)
    with pytest.raises(UserError, match="no café"):
        await summaries.draft(session_id, GUILD + 1, offer, FACILITATOR_ID, True)
    with pytest.raises(UserError, match="no longer belongs"):
        await summaries.draft(session_id, GUILD, offer + 12345, FACILITATOR_ID, True)
    for bad, reason in (("   ", "empty"), ("x" * (MAX_SUMMARY + 1), "keep it to 1500")):
        with pytest.raises(UserError, match=reason):
            await summaries.save(session_id, GUILD, offer, FACILITATOR_ID, is_facilitator=True, role="facilitator",
                                 text=bad)
    assert await db.fetch_all("SELECT * FROM summaries") == []

    draft = await summaries.draft(session_id, GUILD, offer, FACILITATOR_ID, True)
    assert (draft.room.number, draft.round_number, draft.text) == (1, 1, "")
    saved = await summaries.save(session_id, GUILD, offer, FACILITATOR_ID, is_facilitator=True, role="facilitator",
                                 text="  Hope and waiting lists.  ")
    assert not saved.edited and not saved.posted
    saved = await summaries.save(session_id, GUILD, offer, ORGANISER, is_facilitator=True, role="organiser",
                                 text="Hope, and waiting lists that are too long.")
    assert saved.edited
    assert (await summaries.draft(session_id, GUILD, offer, FACILITATOR_ID, True)).text == \
        "Hope, and waiting lists that are too long."
    audit = await db.fetch_all("SELECT actor_id, action, detail FROM audit WHERE action LIKE 'summary%' ORDER BY id")
    assert [tuple(r) for r in audit] == [(FACILITATOR_ID, "summary", "room=1 round=1"),
                                         (ORGANISER, "summary_edit", "room=1 round=1")]

    session = await SessionRepo(db).get(session_id)
    assert session is not None and session.lobby_channel_id is not None
    lobby = session.lobby_channel_id
    assert not [text for channel, text, _ in chat.posts if channel == lobby and "waiting lists" in text]
    await floor.desk.closing.close(session_id, ORGANISER)
    in_lobby = [text for channel, text, _ in chat.posts if channel == lobby]
    (posted,) = [text for text in in_lobby if "waiting lists" in text]
    assert posted.startswith("📝 **room-1 — round 1:") and in_lobby.index(posted) < len(in_lobby) - 1
    assert await summaries.to_lobby(session_id, resuming=False) == 0  # posted once

    # After the close the plenary is over: a summary written now goes out at once.
    last = await offer_message(db, session_id, 2, 2)
    late = await summaries.save(session_id, GUILD, last, FACILITATOR_ID, is_facilitator=True, role="facilitator",
                                text="Round two in room two.")
    assert late.posted and chat.posts[-1][0] == lobby and chat.posts[-1][1].endswith("Round two in room two.")


async def test_a_withdrawal_flags_the_summary_quoting_the_person_and_a_rewrite_clears_it(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    floor, session_id = await running(db, chat, clock, config)
    person = PEOPLE[0]
    await ConsentService(db).choose(session_id, person, Choice.RECORD, source=Source.BUTTON, at=clock.now())
    clock.advance(seconds=1)
    participant = await PeopleRepo(db).participant_id(person)
    assert participant is not None
    room_id = (await SessionRepo(db).assignments(session_id, 1))[participant]
    (room,) = [r for r in await SessionRepo(db).rooms(session_id) if r.id == room_id]
    assert room.channel_id is not None
    words = "The crisis line never once picked up for me."
    await ContributionRepo(db).add(session_id=session_id, room_id=room.id, round_number=1,
                                   participant_id=participant, pseudonym="P-ONE", message_id=7001,
                                   channel_id=room.channel_id, created_at=clock.now(), text=words,
                                   reply_to_message_id=None)
    await floor.desk.floor.next_round(session_id, actor_id=ORGANISER)
    offer = await offer_message(db, session_id, room.number, 1)
    await floor.summaries.save(session_id, GUILD, offer, FACILITATOR_ID, is_facilitator=True, role="facilitator",
                               text=f"Someone said: {words}")
    await floor.key_points.mark(GUILD, room.channel_id, 7001, actor_id=FACILITATOR_ID, role="facilitator",
                                theme="peer-support")

    withdrawal = await ConsentService(db).withdraw(person, WithdrawalScope.cafe(session_id), at=clock.now())
    assert withdrawal.summaries_flagged == 1
    assert (await floor.summaries.draft(session_id, GUILD, offer, FACILITATOR_ID, True)).needs_review
    # The key point went with the words.
    assert await ContributionRepo(db).key_point(7001) is None
    assert await db.fetch_all("SELECT * FROM contributions WHERE key_point = 1") == []

    await floor.summaries.save(session_id, GUILD, offer, FACILITATOR_ID, is_facilitator=True, role="facilitator",
                               text="People spoke of crisis lines.")
    assert not (await floor.summaries.draft(session_id, GUILD, offer, FACILITATOR_ID, True)).needs_review


async def test_key_points_only_on_kept_words_with_a_theme_from_the_plan(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    floor, session_id = await running(db, chat, clock, config)
    person = PEOPLE[1]
    await ConsentService(db).choose(session_id, person, Choice.RECORD, source=Source.BUTTON, at=clock.now())
    clock.advance(seconds=1)
    participant = await PeopleRepo(db).participant_id(person)
    assert participant is not None
    rooms = await SessionRepo(db).rooms(session_id)
    channel = rooms[0].channel_id
    assert channel is not None
    await ContributionRepo(db).add(session_id=session_id, room_id=rooms[0].id, round_number=1,
                                   participant_id=participant, pseudonym="P-TWO", message_id=8001,
                                   channel_id=channel, created_at=clock.now(), text="Peers helped.",
                                   reply_to_message_id=None)
    key_points = floor.key_points

    with pytest.raises(UserError, match="not kept"):
        await key_points.mark(GUILD, channel, 8999, actor_id=FACILITATOR_ID, role="facilitator")
    with pytest.raises(UserError, match="not one"):
        await key_points.mark(GUILD, 123, 8001, actor_id=FACILITATOR_ID, role="facilitator")
    with pytest.raises(UserError, match="not one"):  # another server's café is no café here
        await key_points.mark(GUILD + 1, channel, 8001, actor_id=FACILITATOR_ID, role="facilitator")
    with pytest.raises(UserError, match="not a theme"):
        await key_points.mark(GUILD, channel, 8001, actor_id=FACILITATOR_ID, role="facilitator", theme="made-up")
    assert await ContributionRepo(db).key_point(8001) == (False, None)

    point = await key_points.mark(GUILD, channel, 8001, actor_id=FACILITATOR_ID, role="facilitator",
                                  theme="peer-support")
    assert (point.marked, point.theme, point.theme_name) == (True, "peer-support", "Peer support approaches and roles")
    # A pin later keeps the theme; the message command's choice replaces it.
    point = await key_points.mark(GUILD, channel, 8001, actor_id=ORGANISER, role="organiser", keep_theme=True)
    assert point.theme == "peer-support"
    row = await db.fetch_one("SELECT key_point, theme, key_point_role, key_point_at FROM contributions")
    assert row is not None and tuple(row)[:3] == (1, "peer-support", "organiser") and row[3] is not None
    assert [t for t, _ in await key_points.themes(point.session)][:3] == [
        "whole-person-approach", "valuing-lived-experience", "peer-support"]

    unmarked = await key_points.unmark(GUILD, channel, 8001, actor_id=FACILITATOR_ID)
    assert not unmarked.marked and await ContributionRepo(db).key_point(8001) == (False, None)
    actions = [r[0] for r in await db.fetch_all("SELECT action FROM audit WHERE action LIKE 'key_point%' ORDER BY id")]
    assert actions == ["key_point", "key_point", "key_point_removed"]


async def test_a_plenary_post_discord_made_before_a_crash_is_found_not_repeated(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    floor, session_id = await running(db, chat, clock, config)
    await floor.desk.floor.next_round(session_id, actor_id=ORGANISER)
    for number, text in ((1, "Room one: hope."), (2, "Room two: waiting.")):
        await floor.summaries.save(session_id, GUILD, await offer_message(db, session_id, number, 1), FACILITATOR_ID,
                                   is_facilitator=True, role="facilitator", text=text)
    session = await SessionRepo(db).get(session_id)
    assert session is not None and session.lobby_channel_id is not None
    # Discord took the post, then the bot died before the store heard: the resumed plenary finds it.
    made = await chat.post(session.lobby_channel_id, "📝 **room-1 — round 1: What can we build on?**\nRoom one: hope."
                           "\n\n📝 **room-2 — round 1: What can we build on?**\nRoom two: waiting.")
    posts = len(chat.posts)
    assert await floor.summaries.to_lobby(session_id, resuming=True) == 2
    assert len(chat.posts) == posts and made in chat.posted.values()
    assert await floor.summaries.to_lobby(session_id, resuming=True) == 0
