"""The consent service: choices appended to the ledger, and withdrawal that erases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.consent import Choice, Source
from bot.core.errors import UserError
from bot.core.timeline import SessionState
from bot.services.capture import CaptureService
from bot.services.chat import ChatMessage
from bot.services.consent import ConsentService, WithdrawalScope, consent_text
from bot.store.db import Database
from bot.store.sessions import SessionRepo

from .cafe_setup import GUILD, STARTS, RunningCafe, running_cafe

ANN, BEN = 100000000000000001, 100000000000000002
KEY = bytes(range(32))
AT = STARTS + timedelta(minutes=5)


async def say(db: Database, cafe: RunningCafe, message_id: int, author: int, text: str) -> None:
    msg = ChatMessage(id=message_id, channel_id=cafe.channels[0], author_id=author, author_is_bot=False,
                      content=text, created_at=AT + timedelta(minutes=1))
    assert await CaptureService(db, KEY).on_message(msg)


async def recorded(db: Database, cafe: RunningCafe, *people: int) -> None:
    for person in people:
        await ConsentService(db).choose(cafe.session_id, person, Choice.RECORD, source=Source.BUTTON, at=AT)


async def stored_by(db: Database, session_id: int) -> list[str]:
    rows = await db.fetch_all("SELECT text FROM contributions WHERE session_id = $1 ORDER BY id", (session_id,))
    return [r[0] for r in rows]


async def test_each_choice_is_appended_with_the_version_of_the_text_shown(db: Database) -> None:
    cafe = await running_cafe(db, [ANN])
    service = ConsentService(db)
    state = await service.choose(cafe.session_id, ANN, Choice.RECORD, source=Source.BUTTON, at=AT)
    assert state.recording
    state = await service.choose(cafe.session_id, ANN, Choice.QUOTE, source=Source.COMMAND, at=AT)
    assert state.quote
    session, shown = await service.text_for(cafe.session_id, GUILD)
    assert state.text_version == shown.version == (await consent_text(session, 180)).version
    rows = await db.fetch_all("SELECT choice, source, text_version FROM consent_ledger ORDER BY id")
    assert [tuple(r) for r in rows] == [("record", "button", shown.version), ("quote", "command", shown.version)]
    assert not (await service.state(cafe.session_id, ANN, AT - timedelta(seconds=1))).decided


async def test_choose_refuses_withdrawal_an_ended_cafe_and_another_servers_cafe(db: Database) -> None:
    cafe = await running_cafe(db, [ANN])
    service = ConsentService(db)
    with pytest.raises(ValueError, match="withdraw"):
        await service.choose(cafe.session_id, ANN, Choice.WITHDRAW, source=Source.BUTTON, at=AT)
    with pytest.raises(UserError, match="no café #"):
        await service.choose(cafe.session_id, ANN, Choice.RECORD, source=Source.BUTTON, at=AT, guild_id=5)
    await SessionRepo(db).set_state(cafe.session_id, SessionState.CLOSED)
    with pytest.raises(UserError, match="ended"):
        await service.choose(cafe.session_id, ANN, Choice.RECORD, source=Source.BUTTON, at=AT)
    assert await db.fetch_all("SELECT * FROM consent_ledger") == []


async def test_withdrawing_from_one_cafe_erases_only_its_words(db: Database) -> None:
    first = await running_cafe(db, [ANN, BEN])
    await recorded(db, first, ANN, BEN)
    await say(db, first, 1, ANN, "ann in the first cafe")
    await say(db, first, 2, BEN, "ben in the first cafe")
    await SessionRepo(db).set_state(first.session_id, SessionState.CLOSED)
    second = await running_cafe(db, [ANN], channel_shift=10)
    await recorded(db, second, ANN)
    await say(db, second, 3, ANN, "ann in the second cafe")
    result = await ConsentService(db).withdraw(ANN, WithdrawalScope.cafe(first.session_id), at=AT + timedelta(hours=1))
    assert (result.sessions, result.erased) == ([first.session_id], 1)
    assert await stored_by(db, first.session_id) == ["ben in the first cafe"]
    assert await stored_by(db, second.session_id) == ["ann in the second cafe"]
    assert not (await ConsentService(db).state(first.session_id, ANN)).recording


async def test_withdrawing_everywhere_erases_every_cafe_of_this_server(db: Database) -> None:
    first = await running_cafe(db, [ANN])
    await recorded(db, first, ANN)
    await say(db, first, 1, ANN, "first")
    second = await running_cafe(db, [ANN], channel_shift=10)
    await recorded(db, second, ANN)
    result = await ConsentService(db).withdraw(ANN, WithdrawalScope.every_cafe(), at=AT + timedelta(hours=1),
                                               guild_id=GUILD)
    assert sorted(result.sessions) == [first.session_id, second.session_id]
    assert result.erased == 1
    assert await db.fetch_all("SELECT * FROM contributions") == []
    withdrawals = await db.fetch_all("SELECT session_id FROM consent_ledger WHERE choice = 'withdraw'")
    assert sorted(r[0] for r in withdrawals) == [first.session_id, second.session_id]
    elsewhere = await ConsentService(db).withdraw(ANN, WithdrawalScope.every_cafe(), at=AT, guild_id=GUILD + 1)
    assert elsewhere.sessions == []


async def test_withdrawing_when_unknown_changes_nothing(db: Database) -> None:
    result = await ConsentService(db).withdraw(ANN, WithdrawalScope.every_cafe(), at=AT)
    assert (result.sessions, result.erased, result.summaries_flagged) == ([], 0, 0)
    assert await db.fetch_all("SELECT * FROM participants") == []


async def test_summaries_quoting_the_person_are_flagged_not_rewritten(db: Database) -> None:
    cafe = await running_cafe(db, [ANN, BEN])
    await recorded(db, cafe, ANN)
    words = "Peer workers who had been there themselves made all the difference"
    await say(db, cafe, 1, ANN, words)
    summaries = [f"Someone said: {words}.", "People wanted shorter waits.", "P-none said little."]
    async with db.transaction() as conn:
        for n, text in enumerate(summaries):
            await conn.execute(
                "INSERT INTO summaries (session_id, room_id, round_number, text, updated_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                (cafe.session_id, cafe.room_ids[0], n, text, AT),
            )
    result = await ConsentService(db).withdraw(ANN, WithdrawalScope.cafe(cafe.session_id), at=AT + timedelta(hours=1))
    assert result.summaries_flagged == 1
    rows = await db.fetch_all("SELECT text, needs_review FROM summaries ORDER BY round_number")
    assert [tuple(r) for r in rows] == [(summaries[0], 1), (summaries[1], 0), (summaries[2], 0)]


def test_a_withdrawal_scope_is_one_cafe_or_every_cafe_never_both_or_neither() -> None:
    assert WithdrawalScope.every_cafe().session_id is None
    assert WithdrawalScope.cafe(7) == WithdrawalScope(every=False, session_id=7)
    for every, session_id in ((True, 7), (False, None)):
        with pytest.raises(ValueError, match="one café or from every café"):
            WithdrawalScope(every=every, session_id=session_id)
