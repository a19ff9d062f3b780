"""Consent in chat, through discord.py's dispatch: buttons, /consent, /withdraw, /mydata, backfill."""

from __future__ import annotations

import json

from cafe_harness import Cafe, start_bot

from bot.store.contributions import ContributionRepo


async def _open_cafe(cafe: Cafe, choices: dict[int, str | None]) -> tuple[int, int]:
    session_id = await cafe.schedule()
    for index, choice in choices.items():
        await cafe.join(session_id, cafe.people[index], choice)
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    rooms = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]
    return session_id, rooms[0]


async def test_nobody_is_recorded_by_default_and_the_panel_shows_it(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: None})
    await cafe.sim.say(cafe.bot, cafe.people[0], room, "I never chose anything.")
    assert await ContributionRepo(cafe.bot.db).count(session_id) == 0
    panel = await cafe.sim.slash(cafe.bot, cafe.people[0], "consent", channel_id=room)
    assert panel.ephemeral and "not recorded" in panel.content
    labels = {b["label"] for b in panel.buttons()}
    assert "Record my contributions" in labels and "Join without my words being recorded" in labels


async def test_a_declined_persons_words_never_reach_the_database_not_even_briefly(cafe: Cafe) -> None:
    _session_id, room = await _open_cafe(cafe, {0: "record", 1: "decline"})
    statements: list[str] = []
    await cafe.bot.db.conn.set_trace_callback(statements.append)
    secret = "my private story about the ward"
    await cafe.sim.say(cafe.bot, cafe.people[1], room, secret)
    await cafe.sim.say(cafe.bot, cafe.people[0], room, "a consented line")
    await cafe.bot.db.conn.set_trace_callback(None)
    assert statements, "the trace saw no SQL at all"
    assert not any(secret in s for s in statements)
    assert any("a consented line" in s for s in statements)


async def test_consent_can_be_changed_with_the_buttons_and_quote_permission_is_separate(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "decline"})
    person = cafe.people[0]
    await cafe.sim.say(cafe.bot, person, room, "before I agreed")
    panel = await cafe.sim.slash(cafe.bot, person, "consent", channel_id=room)
    changed = await cafe.sim.click(cafe.bot, person, panel.messages[-1], f"blether:choose:{session_id}:record")
    assert "recorded" in changed.content and "Saved" in changed.content
    quote = await cafe.sim.click(cafe.bot, person, changed.messages[-1], f"blether:choose:{session_id}:quote")
    assert "allow" in quote.content
    cafe.sim.advance(1)
    await cafe.sim.say(cafe.bot, person, room, "after I agreed")
    texts = [t for _, t in await ContributionRepo(cafe.bot.db).texts(session_id)]
    assert texts == ["after I agreed"]
    ledger = await cafe.bot.db.fetch_all("SELECT choice, source FROM consent_ledger ORDER BY id")
    assert [(r["choice"], r["source"]) for r in ledger] == [("decline", "button"), ("record", "button"),
                                                            ("quote", "button")]


async def test_withdraw_asks_first_then_erases_confirms_by_dm_and_stops_recording(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record", 1: "record"})
    leaver, stayer = cafe.people[0], cafe.people[1]
    await cafe.sim.say(cafe.bot, leaver, room, "words I will take back")
    await cafe.sim.say(cafe.bot, stayer, room, "words that stay")
    confirm = await cafe.sim.slash(cafe.bot, leaver, "withdraw", channel_id=room)
    assert confirm.ephemeral and "Withdraw from café" in confirm.content
    assert await ContributionRepo(cafe.bot.db).count(session_id) == 2  # nothing happens before confirming
    button = next(b for b in confirm.buttons() if str(b["custom_id"]).startswith("blether:withdraw:"))
    done = await cafe.sim.click(cafe.bot, leaver, confirm.messages[-1], str(button["custom_id"]))
    assert "erased" in done.content
    assert any("erased" in m.content for m in cafe.sim.dm_messages(leaver))
    await cafe.sim.say(cafe.bot, leaver, room, "said after withdrawing")
    texts = [t for _, t in await ContributionRepo(cafe.bot.db).texts(session_id)]
    assert texts == ["words that stay"]


async def test_an_edit_after_withdrawal_is_not_stored_and_a_deletion_leaves_the_store(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    person = cafe.people[0]
    first = await cafe.sim.say(cafe.bot, person, room, "first version")
    await cafe.sim.edit(cafe.bot, first.id, "second version")
    second = await cafe.sim.say(cafe.bot, person, room, "to be deleted")
    await cafe.sim.delete(cafe.bot, second.id)
    repo = ContributionRepo(cafe.bot.db)
    assert [t for _, t in await repo.texts(session_id)] == ["second version"]
    row = await cafe.bot.db.fetch_one("SELECT edited FROM contributions")
    assert row is not None and row[0] == 1


async def test_mydata_sends_everything_held_by_dm(cafe: Cafe) -> None:
    _session_id, room = await _open_cafe(cafe, {0: "record", 1: "record"})
    await cafe.sim.say(cafe.bot, cafe.people[0], room, "mine")
    await cafe.sim.say(cafe.bot, cafe.people[1], room, "someone else's")
    reply = await cafe.sim.slash(cafe.bot, cafe.people[0], "mydata", channel_id=room)
    assert "DM" in reply.content
    dm = cafe.sim.dm_messages(cafe.people[0])[-1]
    data = json.loads(dm.attachments[0]["data"])
    assert [c["text"] for c in data["contributions"]] == ["mine"]
    assert [c["choice"] for c in data["consent_ledger"]] == ["record"]
    assert "someone else's" not in json.dumps(data)


async def test_messages_written_while_the_bot_was_down_are_backfilled_under_the_same_rule(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record", 1: "decline"})
    await cafe.sim.say(cafe.bot, cafe.people[0], room, "said while the bot was up")
    regretted = await cafe.sim.say(cafe.bot, cafe.people[0], room, "deleted while the bot was down")
    await cafe.sim.disconnect(cafe.bot)
    cafe.sim.advance(5)
    cafe.sim.delete_offline(regretted.id)
    cafe.sim.say_offline(cafe.people[0], room, "said while the bot was down")
    cafe.sim.say_offline(cafe.people[1], room, "declined, said while the bot was down")
    bot = await start_bot(cafe.sim, cafe.settings)
    try:
        texts = [t for _, t in await ContributionRepo(bot.db).texts(session_id)]
        assert texts == ["said while the bot was up", "said while the bot was down"]
        await bot.backfill()  # a second pass (a reconnect) captures nothing twice
        assert [t for _, t in await ContributionRepo(bot.db).texts(session_id)] == texts
    finally:
        await cafe.sim.disconnect(bot)


async def test_a_support_call_reaches_the_facilitators_without_content(cafe: Cafe) -> None:
    session_id, room = await _open_cafe(cafe, {0: "record"})
    welcome = next(m for m in cafe.sim.messages(room) if any(
        str(b.get("custom_id", "")).startswith("blether:support:") for b in m.iter_components()))
    answer = await cafe.sim.click(cafe.bot, cafe.people[0], welcome, f"blether:support:{session_id}")
    assert answer.ephemeral and "116 123" in answer.content
    alert = cafe.sim.messages(cafe.hosts)[-1]
    assert str(cafe.people[0].id) in alert.content and "room-1" in alert.content
    row = await cafe.bot.db.fetch_one("SELECT * FROM support_requests")
    assert row is not None and set(row.keys()) == {"id", "session_id", "room_id", "participant_id", "created_at",
                                                   "handled_by", "handled_at", "resolved_at", "alert_channel_id",
                                                   "alert_message_id", "raised_at", "raised_channel_id",
                                                   "raised_message_id"}


async def test_an_erasure_request_runs_every_cogs_hook_and_leaves_no_row(cafe: Cafe) -> None:
    _session_id, room = await _open_cafe(cafe, {0: "record"})
    person = cafe.people[0]
    await cafe.sim.say(cafe.bot, person, room, "erase me")
    answer = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe erase", channel_id=cafe.announcements,
                                  member=person)
    assert "Erased" in answer.content
    for table in ("participants", "contributions", "consent_ledger", "rsvps", "pseudonyms", "assignments"):
        row = await cafe.bot.db.fetch_one(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, table


async def test_withdrawing_from_every_cafe_says_all_outright(cafe: Cafe) -> None:
    first, room = await _open_cafe(cafe, {0: "record"})
    leaver = cafe.people[0]
    await cafe.sim.say(cafe.bot, leaver, room, "words in the first café")
    confirm = await cafe.sim.slash(cafe.bot, leaver, "withdraw", channel_id=room, scope="all")
    assert "every café on this server" in confirm.content
    ids = [str(b["custom_id"]) for b in confirm.buttons()]
    assert ids == ["blether:withdraw:all"]  # no magic café number stands for "every café"
    done = await cafe.sim.click(cafe.bot, leaver, confirm.messages[-1], ids[0])
    assert "erased" in done.content
    assert await ContributionRepo(cafe.bot.db).count(first) == 0

