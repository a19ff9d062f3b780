"""Repositories: sessions and steps, people and pseudonyms, contributions, guilds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.consent import Choice, Source
from bot.core.models import GuildConfig
from bot.core.pseudonyms import pseudonym_candidates
from bot.core.timeline import Misfire, PlannedStep, SessionState, StepKind, round_payload
from bot.store.audit import AuditRepo
from bot.store.contributions import ContributionRepo
from bot.store.db import Database, IntegrityError, db_time
from bot.store.guilds import GuildRepo, pseudonym_key
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

from .helpers import GUILD, STARTS, count, make_session

KEY = bytes(range(32))
AT = datetime(2030, 1, 5, 18, 45, tzinfo=UTC)


async def add_contribution(db: Database, session_id: int, person: int, message_id: int, text: str = "hello",
                           reply_to: int | None = None) -> bool:
    """A contribution by someone who chose to be recorded before they wrote it (the store checks)."""
    async with db.transaction() as conn:
        await PeopleRepo(db).append_consent(conn, session_id, person, Choice.RECORD, "v1", Source.BUTTON,
                                            AT - timedelta(minutes=1))
    return await ContributionRepo(db).add(
        session_id=session_id, room_id=None, round_number=1, participant_id=person, pseudonym="P-TEST",
        message_id=message_id, channel_id=5, created_at=AT, text=text, reply_to_message_id=reply_to,
    )


async def test_create_stores_session_rounds_steps_and_audit_together(db: Database) -> None:
    session_id = await make_session(db)
    session = await SessionRepo(db).get(session_id)
    assert session is not None
    assert session.state is SessionState.SCHEDULED
    assert session.starts_at == STARTS
    assert await count(db, "rounds") == 2
    assert [s.kind for s in await StepRepo(db).for_session(session_id)] == [
        StepKind.REMINDER, StepKind.OPEN, StepKind.ROUND, StepKind.CLOSE,
    ]
    audit = await db.fetch_one("SELECT action, actor_id FROM audit")
    assert audit is not None and (audit[0], int(audit[1])) == ("schedule", 999)


async def test_create_stores_nothing_when_a_step_is_refused(db: Database) -> None:
    duplicate = PlannedStep(StepKind.CLOSE, STARTS, Misfire.RUN_IF_RUNNING)
    with pytest.raises(IntegrityError, match="steps_one_live"):
        await SessionRepo(db).create(
            guild_id=GUILD, series="s", plan_id="p", plan_title="P", plan_snapshot={}, starts_at=STARTS,
            timezone="Europe/London", room_size=4, rounds=[], steps=[duplicate, duplicate], actor_id=1,
        )
    for table in ("sessions", "rounds", "scheduled_steps", "audit"):
        assert await count(db, table) == 0, table


async def test_contributions_are_idempotent_on_the_message_id(db: Database) -> None:
    session_id = await make_session(db)
    async with db.transaction() as conn:
        person = await PeopleRepo(db).ensure_participant(conn, 42)
    assert await add_contribution(db, session_id, person, 1000, "first")
    assert not await add_contribution(db, session_id, person, 1000, "again")
    assert await ContributionRepo(db).texts(session_id) == [("P-TEST", "first")]


async def test_a_reply_links_to_the_captured_message(db: Database) -> None:
    session_id = await make_session(db)
    async with db.transaction() as conn:
        person = await PeopleRepo(db).ensure_participant(conn, 42)
    await add_contribution(db, session_id, person, 1000)
    await add_contribution(db, session_id, person, 1001, reply_to=1000)
    await add_contribution(db, session_id, person, 1002, reply_to=555)  # never captured
    rows = await db.fetch_all("SELECT message_id, reply_to_id FROM contributions ORDER BY id")
    first_id = (await db.fetch_one("SELECT id FROM contributions WHERE message_id = $1", (1000,)))[0]  # type: ignore[index]
    assert [(int(r[0]), r[1]) for r in rows] == [(1000, None), (1001, first_id), (1002, None)]


async def test_edit_delete_and_key_point_report_whether_the_message_was_kept(db: Database) -> None:
    session_id = await make_session(db)
    repo = ContributionRepo(db)
    async with db.transaction() as conn:
        person = await PeopleRepo(db).ensure_participant(conn, 42)
    await add_contribution(db, session_id, person, 1000)
    assert await repo.update_text(1000, "changed", edited_at=AT)
    assert not await repo.update_text(2000, "never kept", edited_at=AT)
    assert await repo.mark_key_point(1000, by="facilitator", theme="peer-support")
    assert not await repo.mark_key_point(2000, by="facilitator", theme=None)
    row = await db.fetch_one("SELECT text, edited, key_point, theme, key_point_role FROM contributions")
    assert row is not None and tuple(row) == ("changed", 1, 1, "peer-support", "facilitator")
    assert await repo.key_point(1000) == (True, "peer-support")
    assert await repo.unmark_key_point(1000)
    assert not await repo.unmark_key_point(1000)
    row = await db.fetch_one("SELECT key_point, theme, key_point_role, key_point_at FROM contributions")
    assert row is not None and tuple(row) == (0, None, None, None)
    assert await repo.owner(1000) == (session_id, person)
    assert await repo.delete_message(1000)
    assert not await repo.delete_message(1000)
    assert await repo.owner(1000) is None


async def test_a_pseudonym_is_given_once_and_kept(db: Database) -> None:
    people = PeopleRepo(db)
    async with db.transaction() as conn:
        person = await people.ensure_participant(conn, 42)
    code = await people.pseudonym(GUILD, "series", person, 42, KEY)
    assert code == pseudonym_candidates(KEY, GUILD, "series", 42)[0]
    assert await people.pseudonym(GUILD, "series", person, 42, bytes(32)) == code  # stored, not recomputed
    assert await people.existing_pseudonym(GUILD, "series", 42) == code
    assert await people.existing_pseudonym(GUILD, "other", 42) is None


async def test_a_colliding_pseudonym_is_lengthened(db: Database) -> None:
    people = PeopleRepo(db)
    async with db.transaction() as conn:
        other = await people.ensure_participant(conn, 7)
        person = await people.ensure_participant(conn, 42)
        short, longer = pseudonym_candidates(KEY, GUILD, "series", 42)[:2]
        await conn.execute("INSERT INTO pseudonyms (guild_id, series, participant_id, code) "
                           "VALUES ($1, 'series', $2, $3)", (GUILD, other, short))
    assert await people.pseudonym(GUILD, "series", person, 42, KEY) == longer
    assert await people.pseudonym(GUILD, "series", other, 7, KEY) == short


async def test_concurrent_first_messages_share_one_pseudonym(db: Database) -> None:
    people = PeopleRepo(db)
    async with db.transaction() as conn:
        person = await people.ensure_participant(conn, 42)
    codes = await asyncio.gather(*(people.pseudonym(GUILD, "series", person, 42, KEY) for _ in range(5)))
    assert set(codes) == {pseudonym_candidates(KEY, GUILD, "series", 42)[0]}
    assert await count(db, "pseudonyms") == 1


async def test_ensure_participant_returns_the_same_person(db: Database) -> None:
    people = PeopleRepo(db)
    async with db.transaction() as conn:
        first = await people.ensure_participant(conn, 42)
        again = await people.ensure_participant(conn, 42)
    assert first == again
    assert await people.participant_id(42) == first
    assert await people.discord_id(first) == 42
    assert await people.participant_id(43) is None


async def test_rsvps_list_people_going_in_order_and_follow_changes(db: Database) -> None:
    session_id = await make_session(db)
    people = PeopleRepo(db)
    a = await people.rsvp(session_id, 1001, going=True)
    b = await people.rsvp(session_id, 1002, going=True)
    await people.rsvp(session_id, 1003, going=False)
    assert await people.going(session_id) == [(a, 1001), (b, 1002)]
    await people.rsvp(session_id, 1001, going=False)
    assert await people.going(session_id) == [(b, 1002)]
    assert not await people.is_going(session_id, a)


async def test_the_ledger_reads_back_in_the_order_written(db: Database) -> None:
    session_id = await make_session(db)
    people = PeopleRepo(db)
    async with db.transaction() as conn:
        person = await people.ensure_participant(conn, 42)
        await people.append_consent(conn, session_id, person, Choice.RECORD, "v1", Source.BUTTON, AT)
        await people.append_consent(conn, session_id, person, Choice.DECLINE, "v1", Source.BUTTON,
                                    AT - timedelta(minutes=1))
    ledger = await people.ledger(session_id, person)
    assert [(e.choice, e.recorded_at) for e in ledger] == [
        (Choice.RECORD, AT), (Choice.DECLINE, AT - timedelta(minutes=1)),
    ]
    assert await people.sessions_with_consent(person) == [session_id]


async def test_a_step_is_claimed_at_most_once(db: Database) -> None:
    session_id = await make_session(db)
    repo = StepRepo(db)
    step = (await repo.pending())[0]
    claims = await asyncio.gather(repo.claim(step.id), repo.claim(step.id))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert winners[0].status == "running"
    await repo.finish(step.id, "done")
    assert await repo.claim(step.id) is None
    assert step.id not in {s.id for s in await repo.pending()}
    assert session_id == step.session_id


async def test_interrupted_steps_go_back_to_pending_due_now_and_marked(db: Database) -> None:
    await make_session(db)
    repo = StepRepo(db)
    first, second, *_ = await repo.pending()
    assert first.due_at > db.clock.now()
    await repo.claim(first.id)
    assert await repo.recover_interrupted() == 1
    row = await db.fetch_one("SELECT status, note FROM scheduled_steps WHERE id = $1", (first.id,))
    assert row is not None and tuple(row) == ("pending", "interrupted by a restart")
    again = await repo.get(first.id)
    assert again is not None and again.due_at <= db.clock.now()
    assert await repo.interrupted(first.id) and not await repo.interrupted(second.id)
    assert await repo.claim(first.id) is not None
    assert await repo.claim(second.id) is not None
    assert await repo.recover_interrupted() == 2


async def test_a_step_taken_by_hand_is_the_timers_step(db: Database) -> None:
    session_id = await make_session(db)
    repo = StepRepo(db)
    opening = next(s for s in await repo.pending() if s.kind == "open")
    taken = await repo.claim_for(session_id, "open", {})
    assert taken is not None and taken.id == opening.id
    assert await repo.claim(opening.id) is None, "the timer finds it taken"
    assert await repo.claim_for(session_id, "open", {}) is None
    await repo.release(opening.id)
    assert await repo.claim(opening.id) is not None
    await repo.finish(opening.id, "done")
    fresh = await repo.claim_for(session_id, "open", {})
    assert fresh is not None and fresh.id != opening.id and fresh.status == "running"


async def test_closing_a_session_cancels_its_pending_steps(db: Database) -> None:
    session_id = await make_session(db)
    repo = SessionRepo(db)
    await repo.set_state(session_id, SessionState.CLOSED, current_round=2)
    session = await repo.get(session_id)
    assert session is not None and session.state is SessionState.CLOSED and session.closed_at is not None
    assert session.current_round == 2
    assert await StepRepo(db).pending() == []
    assert {s.status for s in await StepRepo(db).for_session(session_id)} == {"cancelled"}


async def test_opening_and_starting_a_round_record_rooms_prompts_and_assignments(db: Database) -> None:
    session_id = await make_session(db)
    repo = SessionRepo(db)
    await repo.record_opening(session_id, category_id=10, lobby_channel_id=11, rooms=[("room-1", 21), ("room-2", 22)])
    rooms = await repo.rooms(session_id)
    assert [(r.number, r.channel_id) for r in rooms] == [(1, 21), (2, 22)]
    async with db.transaction() as conn:
        person = await PeopleRepo(db).ensure_participant(conn, 42)
    moved = STARTS + timedelta(minutes=5)
    await repo.start_round(
        session_id, 2, prompts=[(rooms[0].id, "Prompt")], assignments=[(person, rooms[1].id)],
        later_steps=[PlannedStep(StepKind.CLOSE, moved, Misfire.RUN_IF_RUNNING)], at=moved,
    )
    assert await repo.round_at(session_id, moved) == 2
    assert await repo.round_at(session_id, moved - timedelta(seconds=1)) is None
    session = await repo.get(session_id)
    assert session is not None and session.state is SessionState.RUNNING and session.current_round == 2
    assert await repo.assignments(session_id, 2) == {person: rooms[1].id}
    steps = {(s.kind, s.payload.get("round")): s for s in await StepRepo(db).for_session(session_id)}
    assert steps[(StepKind.CLOSE, None)].due_at == moved
    assert steps[(StepKind.ROUND, 2)].status == "skipped"
    assert steps[(StepKind.ROUND, 2)].payload == round_payload(2)
    assert (await repo.session_by_channel(22)) == session
    assert (await repo.session_by_channel(11)) == session
    assert await repo.session_by_channel(99) is None


async def test_mark_seen_only_moves_the_cursor_forward(db: Database) -> None:
    session_id = await make_session(db)
    repo = SessionRepo(db)
    await repo.record_opening(session_id, category_id=10, lobby_channel_id=11, rooms=[("room-1", 21)])
    await repo.mark_seen(21, 500)
    await repo.mark_seen(21, 40)
    room = await repo.room_by_channel(21)
    assert room is not None and room.last_seen_message_id == 500


async def test_guild_config_round_trips_and_updates(db: Database) -> None:
    repo = GuildRepo(db)
    config = GuildConfig(GUILD, 901, 902, None, 22, "Europe/Dublin", 30)
    await repo.save(config)
    assert await repo.get(GUILD) == config
    changed = GuildConfig(GUILD, 903, 902, 21, None, "Europe/London", 60)
    await repo.save(changed)
    assert await repo.all() == [changed]
    assert await repo.get(1) is None


async def test_the_pseudonym_key_is_generated_once_unless_configured(db: Database) -> None:
    first = await pseudonym_key(db, None)
    assert len(first) == 32
    assert await pseudonym_key(db, None) == first
    assert await pseudonym_key(db, "ab" * 32) == bytes.fromhex("ab" * 32)


async def test_audit_records_the_actor_by_discord_id(db: Database) -> None:
    await AuditRepo(db).record(GUILD, None, None, "purge", "before=x")
    await AuditRepo(db).record(GUILD, None, 5, "erase", "")
    rows = await db.fetch_all("SELECT actor_id, action, at FROM audit ORDER BY id")
    assert [(r[0] and int(r[0]), r[1]) for r in rows] == [(None, "purge"), (5, "erase")]
    assert db_time(rows[0][2]) <= datetime.now(UTC)
