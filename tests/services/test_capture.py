"""Capture, message by message: what is kept, how it is cleaned, and what is ignored."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.consent import Choice, Source
from bot.core.timeline import SessionState
from bot.services.capture import CaptureService
from bot.services.chat import Attachment, ChatMessage
from bot.services.consent import ConsentService, WithdrawalScope
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

from .cafe_setup import GUILD, LOBBY, ROOM_CHANNELS, STARTS, RunningCafe, running_cafe
from .fakes import FakeChat

ANN, BEN, CAL = 100000000000000001, 100000000000000002, 100000000000000003
KEY = bytes(range(32))
AT = STARTS + timedelta(minutes=5)


def message(message_id: int, author: int, text: str, *, channel: int = ROOM_CHANNELS[0], minutes: int = 10,
            **extra: object) -> ChatMessage:
    return ChatMessage(id=message_id, channel_id=channel, author_id=author, author_is_bot=False, content=text,
                       created_at=STARTS + timedelta(minutes=minutes), **extra)  # type: ignore[arg-type]


async def consented(db: Database, *people: int) -> RunningCafe:
    cafe = await running_cafe(db, [ANN, BEN, CAL])
    for person in people:
        await ConsentService(db).choose(cafe.session_id, person, Choice.RECORD, source=Source.BUTTON, at=AT)
    return cafe


async def texts(db: Database, cafe: RunningCafe) -> list[str]:
    return [text for _, text in await ContributionRepo(db).texts(cafe.session_id)]


async def test_consented_words_are_kept_under_a_pseudonym(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    assert await capture.on_message(message(1, ANN, "Peer support kept me going"))
    rows = await ContributionRepo(db).texts(cafe.session_id)
    pseudonym = await PeopleRepo(db).existing_pseudonym(GUILD, "series", ANN)
    assert rows == [(pseudonym, "Peer support kept me going")]
    row = await db.fetch_one("SELECT room_id, round_number, channel_id FROM contributions")
    assert row is not None and (row[0], row[1], int(row[2])) == (cafe.room_ids[0], 1, ROOM_CHANNELS[0])


async def test_words_of_someone_who_never_chose_or_declined_are_not_kept(db: Database) -> None:
    cafe = await consented(db)
    await ConsentService(db).choose(cafe.session_id, BEN, Choice.DECLINE, source=Source.BUTTON, at=AT)
    capture = CaptureService(db, KEY)
    assert not await capture.on_message(message(1, ANN, "not chosen"))
    assert not await capture.on_message(message(2, BEN, "declined"))
    assert not await capture.on_message(message(3, 999999999999999999, "a stranger"))
    assert await texts(db, cafe) == []


async def test_words_written_before_consent_was_given_are_not_kept(db: Database) -> None:
    cafe = await consented(db, ANN)  # consent at minute 5
    assert not await CaptureService(db, KEY).on_message(message(1, ANN, "too early", minutes=4))
    assert await texts(db, cafe) == []


async def test_mentions_become_pseudonyms_and_attachments_markers(db: Database) -> None:
    cafe = await consented(db, ANN, BEN)
    capture = CaptureService(db, KEY)
    await capture.on_message(message(1, BEN, "hello"))
    ben = await PeopleRepo(db).existing_pseudonym(GUILD, "series", BEN)
    await capture.on_message(message(
        2, ANN, f"I agree with <@{BEN}> and <@!{CAL}>", minutes=11,
        attachments=(Attachment("photo.jpg", "image/jpeg"),),
    ))
    assert (await texts(db, cafe))[1] == f"I agree with {ben} and [participant] [attachment: image/jpeg]"


async def test_bots_system_messages_and_other_channels_are_ignored(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    assert not await capture.on_message(replace(message(1, ANN, "bot"), author_is_bot=True))
    assert not await capture.on_message(message(2, ANN, "joined", is_system=True))
    assert not await capture.on_message(message(3, ANN, "elsewhere", channel=12345))
    assert not await capture.on_message(message(4, ANN, "   "))
    assert await capture.on_message(message(5, ANN, "in the lobby", channel=LOBBY))
    assert await texts(db, cafe) == ["in the lobby"]


async def test_nothing_is_kept_once_the_session_has_closed(db: Database) -> None:
    cafe = await consented(db, ANN)
    await SessionRepo(db).set_state(cafe.session_id, SessionState.CLOSED)
    assert not await CaptureService(db, KEY).on_message(message(1, ANN, "after the end"))
    assert await texts(db, cafe) == []


def edited(msg: ChatMessage, text: str, minutes: int) -> ChatMessage:
    return replace(msg, content=text, edited_at=STARTS + timedelta(minutes=minutes))


async def test_an_edit_is_kept_only_while_recording_and_one_made_after_declining_drops_the_message(
        db: Database) -> None:
    """Words edited in while recording is off were never agreed to, and the old words are ones the
    person chose to change: when unsure, record less."""
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    first = message(1, ANN, "first words")
    await capture.on_message(first)
    await capture.handle(edited(first, "better words", 12))
    assert await texts(db, cafe) == ["better words"]
    row = await db.fetch_one("SELECT edited FROM contributions")
    assert row is not None and row[0] == 1
    await ConsentService(db).choose(cafe.session_id, ANN, Choice.DECLINE, source=Source.BUTTON,
                                    at=STARTS + timedelta(minutes=13))
    await capture.handle(edited(first, "after declining", 14))
    assert await texts(db, cafe) == []


async def test_an_edit_in_the_same_moment_as_a_decline_is_not_kept(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    first = message(1, ANN, "first words")
    await capture.on_message(first)
    await ConsentService(db).choose(cafe.session_id, ANN, Choice.DECLINE, source=Source.BUTTON,
                                    at=STARTS + timedelta(minutes=12))
    await capture.handle(edited(first, "edited as I declined", 12))
    assert await texts(db, cafe) == []


async def test_an_edit_that_empties_a_message_removes_it(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    first = message(1, ANN, "words")
    await capture.on_message(first)
    await capture.handle(edited(first, "  ", 12))
    assert await texts(db, cafe) == []


async def test_a_deleted_message_leaves_the_store(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    await capture.on_message(message(1, ANN, "words"))
    await SessionRepo(db).set_state(cafe.session_id, SessionState.CLOSED)
    assert await capture.on_delete(1)
    assert not await capture.on_delete(1)
    assert await texts(db, cafe) == []


async def test_a_withdrawal_landing_during_capture_still_erases_the_message(db: Database) -> None:
    cafe = await consented(db, ANN)
    capture = CaptureService(db, KEY)
    read_ledger = capture.people.ledger

    async def ledger_then_withdraw(session_id: int, participant_id: int) -> list:  # type: ignore[type-arg]
        entries = await read_ledger(session_id, participant_id)
        await ConsentService(db).withdraw(ANN, WithdrawalScope.cafe(cafe.session_id), at=STARTS + timedelta(minutes=11))
        return entries

    capture.people.ledger = ledger_then_withdraw  # type: ignore[method-assign]
    assert not await capture.on_message(message(1, ANN, "written just before withdrawing"))
    assert await texts(db, cafe) == []


async def test_backfill_reads_after_the_last_seen_message_and_is_idempotent(db: Database) -> None:
    cafe = await consented(db, ANN, BEN)
    capture = CaptureService(db, KEY)
    chat = FakeChat()
    live = message(10, ANN, "seen live")
    chat.write(live)
    await capture.on_message(live)
    chat.write(message(11, BEN, "while away", channel=ROOM_CHANNELS[1]))
    chat.write(message(12, ANN, "also away"))
    chat.write(message(13, CAL, "never consented"))
    chat.write(message(14, BEN, "lobby while away", channel=LOBBY))
    session = await SessionRepo(db).get(cafe.session_id)
    assert session is not None
    report = await capture.backfill(chat, session)
    # The live message came before any read-back, so it did not move the cursor (a gap may have
    # lain behind it): the first backfill reads it again, harmlessly.
    assert (report.seen, report.captured) == (5, 3)
    assert ("history_after", (ROOM_CHANNELS[0], None)) in chat.calls
    assert sorted(await texts(db, cafe)) == ["also away", "lobby while away", "seen live", "while away"]
    again = await capture.backfill(chat, await SessionRepo(db).get(cafe.session_id))  # type: ignore[arg-type]
    assert (again.seen, again.captured) == (0, 0)
    assert ("history_after", (ROOM_CHANNELS[0], 13)) in chat.calls
    assert len(await texts(db, cafe)) == 4
