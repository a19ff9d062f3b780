"""Summaries and key points through discord.py's own dispatch: a round ends, the room's button opens
the form, the summary reaches the lobby at the close; a facilitator's 📌 and the message command
(with a theme) mark key points; a participant's 📌 is only a reaction and their command is refused."""

from __future__ import annotations

import pytest
from cafe_harness import Cafe

from bot.services.consent import WithdrawalScope
from bot.simulation import SimMessage, SimPermissionError
from bot.store.db import Database


def _offer(messages: list[SimMessage], round_number: int) -> SimMessage:
    return next(m for m in messages if m.content.startswith(f"Round {round_number} —") and "has ended" in m.content)


async def _marks(db: Database, session_id: int) -> dict[str, tuple[int, str | None, str | None]]:
    rows = await db.fetch_all("SELECT text, key_point, theme, key_point_role FROM contributions WHERE session_id = $1",
                              (session_id,))
    return {r["text"]: (r["key_point"], r["theme"], r["key_point_role"]) for r in rows}


async def test_summary_written_at_the_round_end_reaches_the_lobby_at_the_close(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    ailsa, bruce, catriona, _ = cafe.people
    await cafe.join(session_id, ailsa, "record")
    await cafe.join(session_id, bruce, "decline")
    await cafe.join(session_id, catriona, "record")
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    (room_row,) = await bot.services.cafes.sessions.rooms(session_id)
    room = room_row.channel_id
    assert room is not None
    session = await bot.services.cafes.sessions.get(session_id)
    assert session is not None and session.lobby_channel_id is not None
    lobby = session.lobby_channel_id
    await sim.say(bot, ailsa, room, "Peer support kept me going.")

    await sim.slash(bot, cafe.facilitator, "floor next", channel_id=room, cafe=session_id)
    offer = _offer(sim.messages(room), 1)
    assert [c["custom_id"] for c in offer.iter_components() if "custom_id" in c] == [f"blether:summary:{session_id}"]
    # The offer comes before the next round's prompt.
    texts = [m.content for m in sim.messages(room)]
    assert texts.index(offer.content) < next(i for i, t in enumerate(texts) if "Round 2 of 3" in t)

    refused = await sim.click(bot, ailsa, offer, f"blether:summary:{session_id}")
    assert refused.modal is None and refused.ephemeral
    assert "Only the host of room-1 or a facilitator" in refused.content

    opened = await sim.click(bot, cafe.facilitator, offer, f"blether:summary:{session_id}")
    assert opened.modal is not None and opened.modal["title"] == "Summary: room-1, round 1"
    (field,) = [c for row in opened.modal["components"] for c in row["components"]]
    assert field["max_length"] == 1500 and "value" not in field
    custom_id = opened.modal["custom_id"]
    saved = await sim.submit_modal(bot, cafe.facilitator, custom_id, {"summary": "The room valued peer support."})
    assert "is saved" in saved.content and "at the plenary" in saved.content
    assert not any("valued peer support" in m.content for m in sim.messages(lobby))

    again = await sim.click(bot, cafe.facilitator, offer, f"blether:summary:{session_id}")
    assert again.modal is not None
    (field,) = [c for row in again.modal["components"] for c in row["components"]]
    assert field["value"] == "The room valued peer support."
    edited = await sim.submit_modal(bot, cafe.facilitator, again.modal["custom_id"],
                                    {"summary": "The room valued peer support and shorter waits."})
    assert "is updated" in edited.content

    await sim.slash(bot, cafe.facilitator, "floor close", channel_id=room, cafe=session_id)
    lobby_texts = [m.content for m in sim.messages(lobby)]
    (posted,) = [t for t in lobby_texts if "shorter waits" in t]
    assert posted.startswith("📝 **room-1 — round 1:")
    closing_at = next(i for i, t in enumerate(lobby_texts) if t != posted and lobby_texts.index(posted) < i)
    assert lobby_texts.index(posted) < closing_at  # before the closing words
    # The last round ended at the close: its offer is in the room, and a summary written now goes
    # to the lobby at once (the plenary is over).
    last = _offer(sim.messages(room), 2)
    late = await sim.click(bot, cafe.facilitator, last, f"blether:summary:{session_id}")
    assert late.modal is not None
    done = await sim.submit_modal(bot, cafe.facilitator, late.modal["custom_id"], {"summary": "Round two: hope."})
    assert "now in the lobby" in done.content
    assert sim.messages(lobby)[-1].content.endswith("Round two: hope.")

    audit = await bot.db.fetch_all("SELECT action, detail FROM audit WHERE session_id = $1 AND action LIKE 'summary%'",
                                   (session_id,))
    assert [(r[0], r[1]) for r in audit] == [("summary", "room=1 round=1"), ("summary_edit", "room=1 round=1"),
                                             ("summary", "room=1 round=2")]


async def test_a_summary_that_quotes_a_withdrawn_person_is_flagged_and_revising_clears_it(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    ailsa, _, catriona, _ = cafe.people
    await cafe.join(session_id, ailsa, "record")
    await cafe.join(session_id, catriona, "record")
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    (room_row,) = await bot.services.cafes.sessions.rooms(session_id)
    room = room_row.channel_id
    assert room is not None
    words = "Peer support kept me going through the worst of it."
    await sim.say(bot, ailsa, room, words)
    await sim.slash(bot, cafe.facilitator, "floor next", channel_id=room, cafe=session_id)
    offer = _offer(sim.messages(room), 1)
    opened = await sim.click(bot, cafe.facilitator, offer, f"blether:summary:{session_id}")
    assert opened.modal is not None
    await sim.submit_modal(bot, cafe.facilitator, opened.modal["custom_id"], {"summary": f"Someone said: {words}"})

    withdrawn = await bot.services.consent.withdraw(ailsa.id, WithdrawalScope.cafe(session_id),
                                                    at=bot.clock.now(), guild_id=sim.guild_id)
    assert withdrawn.summaries_flagged == 1
    assert (await bot.db.fetch_one("SELECT needs_review FROM summaries"))[0] == 1  # type: ignore[index]

    again = await sim.click(bot, cafe.facilitator, offer, f"blether:summary:{session_id}")
    assert again.modal is not None
    await sim.submit_modal(bot, cafe.facilitator, again.modal["custom_id"], {"summary": "People valued peers."})
    assert (await bot.db.fetch_one("SELECT needs_review FROM summaries"))[0] == 0  # type: ignore[index]


async def test_key_points_by_pin_and_by_the_message_command(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    ailsa, bruce, catriona, _ = cafe.people
    await cafe.join(session_id, ailsa, "record")
    await cafe.join(session_id, bruce, "decline")
    await cafe.join(session_id, catriona, "record")
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    (room_row,) = await bot.services.cafes.sessions.rooms(session_id)
    room = room_row.channel_id
    assert room is not None
    first = await sim.say(bot, ailsa, room, "Peer support kept me going.")
    second = await sim.say(bot, catriona, room, "Waiting lists are far too long.")
    unkept = await sim.say(bot, bruce, room, "I declined, so this is never stored.")

    # A participant's pin is only a reaction; a facilitator's marks a key point.
    await sim.react(bot, catriona, first, "📌")
    assert (await _marks(bot.db, session_id))[first.content] == (0, None, None)
    await sim.react(bot, cafe.facilitator, first, "📌")
    assert (await _marks(bot.db, session_id))[first.content] == (1, None, "facilitator")
    # A pin on words that were never kept stores nothing.
    await sim.react(bot, cafe.facilitator, unkept, "📌")
    assert unkept.content not in await _marks(bot.db, session_id)

    # The message command: marked, then a theme from the plan's codebook.
    marked = await sim.message_command(bot, cafe.organiser, second, "Mark as key point")
    assert marked.ephemeral and "Marked as a key point" in marked.content
    (select,) = marked.selects()
    assert [o["value"] for o in select["options"]][:2] == ["-", "whole-person-approach"]
    themed = await sim.click(bot, cafe.organiser, marked.message, select["custom_id"], values=["peer-support"])
    assert "**Peer support approaches and roles**" in themed.content
    assert (await _marks(bot.db, session_id))[second.content] == (1, "peer-support", "organiser")

    # Unmarked again by the button beside the select.
    unmark = next(b for b in marked.buttons() if b["label"] == "Unmark")
    undone = await sim.click(bot, cafe.organiser, marked.message, unmark["custom_id"])
    assert "taken off" in undone.content
    assert (await _marks(bot.db, session_id))[second.content] == (0, None, None)

    # Words that were never kept cannot be marked, and the facilitator is told why.
    refused = await sim.message_command(bot, cafe.facilitator, unkept, "Mark as key point")
    assert refused.ephemeral and "not kept" in refused.content

    # Discord does not show a participant the command (its default permissions); shown to her by an
    # admin, her use of it is refused by the role check, and nothing changes.
    before = await _marks(bot.db, session_id)
    with pytest.raises(SimPermissionError):
        await sim.message_command(bot, ailsa, second, "Mark as key point")
    sim.set_command_access("Mark as key point", ailsa, True)
    denied = await sim.message_command(bot, ailsa, second, "Mark as key point")
    assert denied.ephemeral and "Only facilitators and organisers" in denied.content
    assert await _marks(bot.db, session_id) == before


def _calls(cafe: Cafe, since: int) -> list[str]:
    return [f"{c.method} {c.template}" for c in cafe.sim.calls[since:]]


async def test_summaries_and_key_points_make_the_documented_calls(cafe: Cafe) -> None:
    """docs/rest-calls.md: the offers are one post per room as a round ends; writing and marking
    cost only the interactions' own answers, and a pin none at all."""
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    ailsa = cafe.people[0]
    for person in cafe.people:
        await cafe.join(session_id, person, "record")
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    room = rooms[0]
    assert room is not None
    said = await sim.say(bot, ailsa, room, "Peer support kept me going.")

    since = len(sim.calls)
    await sim.slash(bot, cafe.facilitator, "floor next", channel_id=room, cafe=session_id)
    round_calls = _calls(cafe, since)
    offers = [m for m in sim.messages(room) if "has ended" in m.content]
    assert len(offers) == len(rooms)
    since = len(sim.calls)
    await bot.services.summaries.rounds_ended(session_id, 2, False)  # nothing left to offer: no call
    assert _calls(cafe, since) == []
    # Each room's prompt, the lobby's notice, and each room's offer.
    assert round_calls.count("POST /channels/{channel_id}/messages") == 2 * len(rooms) + 1

    since = len(sim.calls)
    opened = await sim.click(bot, cafe.facilitator, offers[0], f"blether:summary:{session_id}")
    assert _calls(cafe, since) == ["POST /interactions/{webhook_id}/{webhook_token}/callback"]  # the form
    assert opened.modal is not None
    since = len(sim.calls)
    await sim.submit_modal(bot, cafe.facilitator, opened.modal["custom_id"], {"summary": "Peers, and waits."})
    assert _calls(cafe, since) == ["POST /interactions/{webhook_id}/{webhook_token}/callback",  # deferred
                                   "POST /webhooks/{webhook_id}/{webhook_token}"]  # the answer

    since = len(sim.calls)
    await sim.react(bot, cafe.facilitator, said, "📌")
    assert _calls(cafe, since) == []
    since = len(sim.calls)
    marked = await sim.message_command(bot, cafe.facilitator, said, "Mark as key point")
    assert _calls(cafe, since) == ["POST /interactions/{webhook_id}/{webhook_token}/callback"]
    since = len(sim.calls)
    (select,) = marked.selects()
    await sim.click(bot, cafe.facilitator, marked.message, select["custom_id"], values=["peer-support"])
    assert _calls(cafe, since) == ["POST /interactions/{webhook_id}/{webhook_token}/callback"]
