"""Feedback answers cannot be linked to a person or a pseudonym, checked on the schema itself:
no column that names anyone or that could be joined to contributions, no time finer than the
hour, no rowid or counter that would give away the order answers came in, and a "has answered"
marker that holds no time and goes when the form closes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.after_cafe import AfterCafeRepo, AnswerRefused, hour_of
from bot.store.db import Database, IntegrityError, Row, open_database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo
from tests.store.helpers import STARTS, count, make_session

# Anything that could name a person or a message, or place an answer finer than the hour.
LINKABLE = re.compile(r"participant|user|pseudonym|actor|author|member|message|channel|room|round|contribution"
                      r"|created|recorded|_at$|minute|second|seq|order|position|id$")
AT = datetime(2030, 1, 5, 20, 47, 13, 123456, tzinfo=UTC)


async def _columns(db: Database, table: str) -> dict[str, Row]:
    """SQLite's own description of a table's columns (type, key)."""
    return {r["name"]: r for r in await db.fetch_all(f"PRAGMA table_info({table})")}


async def test_the_answers_table_has_no_column_that_could_link_an_answer(db: Database) -> None:
    tables = await db.tables()
    columns = tables["feedback_answers"]
    assert set(columns) == {"answer_key", "session_id", "hour", "rating", "answers"}
    assert [c for c in columns if c != "session_id" and LINKABLE.search(c)] == []
    # It points at its café only, and nothing in the schema points at an answer.
    pointing = {table: [t for t, _ in await db.foreign_keys_to(table)] for table in tables}
    assert [table for table, children in pointing.items() if "feedback_answers" in children] == ["sessions"]
    assert pointing["feedback_answers"] == []


async def test_the_answers_table_keeps_no_order(sqlite_db: Database) -> None:
    """No rowid (a WITHOUT ROWID table keyed by a random token), no autoincrement, no counter."""
    db = sqlite_db
    listed = {r["name"]: r for r in await db.fetch_all("PRAGMA table_list")}
    assert listed["feedback_answers"]["wr"] == 1, "feedback_answers must be WITHOUT ROWID"
    with pytest.raises(Exception, match="rowid"):
        await db.fetch_all("SELECT rowid FROM feedback_answers")
    assert await db.fetch_one("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'") is None
    key = (await _columns(db, "feedback_answers"))["answer_key"]
    assert key["pk"] == 1 and key["type"] == "TEXT"


async def test_answers_keep_the_hour_only(db: Database) -> None:
    session_id = await make_session(db)
    assert hour_of(AT) == "2030-01-05T20:00:00+00:00"
    async with db.transaction() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute("INSERT INTO feedback_answers VALUES ($1, $2, $3, NULL, '{}')",
                               ("a" * 32, session_id, AT.isoformat()))


async def test_the_answered_marker_holds_no_time_and_goes_when_the_form_closes(db: Database) -> None:
    assert set((await db.tables())["feedback_answered"]) == {"session_id", "participant_id"}
    session_id = await make_session(db)
    repo = AfterCafeRepo(db)
    await repo.open(session_id, AT + timedelta(days=7), seed=None, commitment=None)
    people = [await PeopleRepo(db).rsvp(session_id, user, going=True) for user in (501, 502, 503)]
    assert len(people) == 3
    for user, rating in ((501, 5), (502, 3), (503, 4)):
        await repo.answer(session_id, user, rating, {"worked": f"answer {user}"}, AT)
    with pytest.raises(AnswerRefused, match="twice"):
        await repo.answer(session_id, 502, 1, {}, AT)
    assert await count(db, "feedback_answers") == 3 and await count(db, "feedback_answered") == 3

    answers = await repo.answers_of([session_id])
    keys = [r[0] for r in await db.fetch_all("SELECT answer_key FROM feedback_answers ORDER BY answer_key")]
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert {a.hour for a in answers} == {datetime(2030, 1, 5, 20, tzinfo=UTC)}

    assert await repo.close_form(session_id) == 3
    assert await count(db, "feedback_answered") == 0 and await count(db, "feedback_answers") == 3
    with pytest.raises(AnswerRefused, match="closed"):
        await repo.answer(session_id, 501, 2, {}, AT)


async def test_on_postgresql_closing_the_form_leaves_no_trace_of_who_answered_when(postgres_url: str) -> None:
    """PostgreSQL stamps each row with the transaction that wrote it (xmin), and an answer was
    written in the same transaction as its person's marker. Once the form closes, the markers are
    gone and every answer carries the closing transaction's stamp, in the order of its random key."""
    async with open_database(postgres_url) as db:
        session_id = await make_session(db)
        repo = AfterCafeRepo(db)
        await repo.open(session_id, AT + timedelta(days=7), seed=None, commitment=None)
        for user in (501, 502, 503):
            await PeopleRepo(db).rsvp(session_id, user, going=True)
            await repo.answer(session_id, user, 4, {"worked": f"answer {user}"}, AT)
        before = await db.fetch_all("SELECT DISTINCT xmin::text FROM feedback_answers")
        assert len(before) == 3  # while the form is open each answer has its own writer
        assert await repo.close_form(session_id) == 3
        stamps = await db.fetch_all("SELECT xmin::text, answer_key FROM feedback_answers ORDER BY ctid")
        assert len({r[0] for r in stamps}) == 1
        assert [r[1] for r in stamps] == sorted(r[1] for r in stamps)
        assert sorted(a.answers["worked"] for a in await repo.answers_of([session_id])) == [
            "answer 501", "answer 502", "answer 503"]


async def test_attendees_are_everyone_who_sat_in_a_room_once_each_in_the_order_met(db: Database) -> None:
    session_id = await make_session(db)
    repo = AfterCafeRepo(db)
    async with db.transaction() as tx:
        people = [await PeopleRepo(db).ensure_participant(tx, user) for user in (502, 501, 503)]
    # 502 and 501 sit in both rounds (a DISTINCT with ORDER BY on an unselected column is
    # PostgreSQL's error, so each person must come once without it); 503 never sat down.
    await SessionRepo(db).plan_rooms(session_id, ["Oak", "Birch"], [(people[0], 1), (people[1], 2)])
    [oak, birch] = await SessionRepo(db).rooms(session_id)
    async with db.transaction() as tx:
        await tx.executemany("INSERT INTO assignments (session_id, round_number, participant_id, room_id) "
                             "VALUES ($1, 2, $2, $3)",
                             [(session_id, people[0], birch.id), (session_id, people[1], oak.id)])
    assert await repo.attendees(session_id) == [502, 501]
    assert await repo.attended(session_id, 501) and not await repo.attended(session_id, 503)


async def test_report_subscribers_of_several_cafes_come_once_each(db: Database) -> None:
    first, second = await make_session(db), await make_session(db, STARTS + timedelta(days=7))
    repo = AfterCafeRepo(db)
    for session_id, user in ((first, 502), (second, 502), (second, 501)):
        await PeopleRepo(db).rsvp(session_id, user, going=True)
        assert await repo.subscribe(session_id, user)
    assert await repo.subscribers([first, second]) == [502, 501]
    assert await repo.subscribers([]) == []
