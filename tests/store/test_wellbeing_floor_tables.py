"""The stores the wellbeing, floor and bench work brought, on both backends: the cog tests that drive
them run on SQLite only, so here each statement also meets PostgreSQL's types (BIGINT ids, timestamptz
times compared as whole values, ON CONFLICT … DO UPDATE … WHERE, DELETE … RETURNING)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.consent import Choice, Source
from bot.core.timeline import Misfire, PlannedStep, StepKind, round_payload
from bot.store.attendance import AttendanceRepo
from bot.store.contributions import ContributionRepo, NewContribution
from bot.store.db import Database
from bot.store.floor import FloorRepo
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonRef
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo
from bot.store.wellbeing import WellbeingRepo

from .helpers import GUILD, STARTS, count, make_session

ANN, BEN = 600000000000000001, 600000000000000002
HOST = 600000000000000009


async def _opened(db: Database) -> tuple[int, list[int]]:
    """A café opened with two rooms (channels 21, 22) and its lobby (11): (café id, room ids)."""
    session_id = await make_session(db)
    sessions = SessionRepo(db)
    await sessions.record_opening(session_id, category_id=10, lobby_channel_id=11,
                                  rooms=[("room-1", 21), ("room-2", 22)])
    return session_id, [room.id for room in await sessions.rooms(session_id)]


async def test_ground_rules_and_stepping_out_are_kept_and_erased(db: Database) -> None:
    session_id = await make_session(db)
    wellbeing = WellbeingRepo(db)
    assert await wellbeing.acknowledge(session_id, ANN, "rules-v1")
    assert not await wellbeing.acknowledge(session_id, ANN, "rules-v2")  # the first agreement stands
    ann = await PeopleRepo(db).participant_id(ANN)
    assert ann is not None
    assert await wellbeing.acknowledged(session_id, ann)
    assert await wellbeing.acknowledged_by(session_id) == {ann}

    assert await wellbeing.step_out(session_id, ann)
    assert not await wellbeing.step_out(session_id, ann)  # already out
    assert await wellbeing.stepped_out(session_id) == {ann}
    assert await wellbeing.come_back(session_id, ann)
    assert not await wellbeing.come_back(session_id, ann)  # already back
    assert await wellbeing.stepped_out(session_id) == set()
    assert await wellbeing.step_out(session_id, ann)  # out again: the row is reused
    assert await wellbeing.stepped_out(session_id) == {ann}

    person = PersonRef(ANN, ann)
    rows = await wellbeing.person_rows(person, ErasureScope.everywhere())
    assert [r["rules_version"] for r in rows["ground_rules_acks"]] == ["rules-v1"]
    assert len(rows["step_outs"]) == 1
    async with db.transaction() as tx:
        assert await wellbeing.sessions_holding(tx, person) == {session_id}
    async with db.transaction() as tx:
        assert await wellbeing.erase_person(tx, person, ErasureScope.server(GUILD)) == {
            "ground_rules_acks": 1, "step_outs": 1}
    assert await count(db, "ground_rules_acks") == 0 and await count(db, "step_outs") == 0


async def test_a_support_request_is_claimed_once_and_resolved_once(db: Database) -> None:
    session_id, [room, _] = await _opened(db)
    attendance = AttendanceRepo(db)
    asked = db.now()
    request_id = await attendance.record_support_request(session_id, room, ANN)
    found = await attendance.open_request_since(session_id, ANN, asked)
    assert found is not None and found.id == request_id and found.room_id == room
    assert found.claimed_by is None and found.resolved_at is None and found.posts == []
    assert await attendance.open_request_since(session_id, BEN, asked) is None
    assert await attendance.open_request_since(session_id, ANN, found.created_at + timedelta(microseconds=1)) is None

    await attendance.set_alert_post(request_id, 31, 3001)
    await attendance.set_raised(request_id, 32, 3002)
    by_alert = await attendance.request_by_post(session_id, 3001)
    by_raised = await attendance.request_by_post(session_id, 3002)
    assert by_alert is not None and by_raised is not None and by_alert.id == by_raised.id == request_id
    assert by_alert.posts == [(31, 3001), (32, 3002)] and by_alert.raised_at is not None
    assert await attendance.request_by_post(session_id, 9999) is None

    assert await attendance.claim(request_id, HOST)
    assert not await attendance.claim(request_id, HOST + 1)  # the first claim stands
    claimed = await attendance.support_request(request_id)
    assert claimed is not None and claimed.claimed_by == HOST and claimed.claimed_at is not None
    assert await FloorRepo(db).waiting_support(session_id) == 0
    assert await attendance.resolve(request_id)
    assert not await attendance.resolve(request_id)
    assert await attendance.open_request_since(session_id, ANN, asked) is None
    assert await attendance.support_request(request_id + 1000) is None


async def test_latest_joined_anywhere_looks_past_the_server_only_from_a_dm(db: Database) -> None:
    session_id = await make_session(db)
    later = await make_session(db, STARTS + timedelta(days=7))
    people = PeopleRepo(db)
    ann = await people.rsvp(session_id, ANN, going=True)
    await people.rsvp(later, ANN, going=True)
    sessions = SessionRepo(db)
    assert await sessions.latest_joined_anywhere(ann, None) == later
    assert await sessions.latest_joined_anywhere(ann, GUILD) == later
    assert await sessions.latest_joined_anywhere(ann, GUILD + 1) is None


async def test_stale_access_is_marked_applied_and_counted_in_the_round(db: Database) -> None:
    session_id, [first, second] = await _opened(db)
    sessions, floor = SessionRepo(db), FloorRepo(db)
    people = PeopleRepo(db)
    ann = await people.rsvp(session_id, ANN, going=True)
    ben = await people.rsvp(session_id, BEN, going=True)
    await sessions.start_round(session_id, 1, prompts=[], assignments=[(ann, first), (ben, second)],
                               later_steps=[], at=STARTS)
    assert await floor.seated(session_id, 1) == [(first, ANN), (second, BEN)]
    assert await floor.stale(session_id) == ({first, second}, False)
    assert not await sessions.round_complete(session_id, 1)

    await floor.mark_stale(session_id, lobby=True)
    assert await floor.stale(session_id) == ({first, second}, True)
    await floor.lobby_applied(session_id)
    await floor.room_applied(session_id, first, 1)
    await floor.room_applied(session_id, second, 1)
    assert await floor.stale(session_id) == (set(), False)

    await floor.mark_stale(session_id, rooms=[second])
    assert await floor.stale(session_id) == ({second}, False)
    await floor.room_applied(session_id, second, 1)
    await floor.mark_stale(session_id, every_room=True)
    assert await floor.stale(session_id) == ({first, second}, False)

    # Someone who stepped out stays seated but is not let in.
    assert await WellbeingRepo(db).step_out(session_id, ben)
    assert await floor.seated(session_id, 1) == [(first, ANN)]

    # Moving a person marks both rooms and re-seats them.
    await floor.room_applied(session_id, first, 1)
    await floor.room_applied(session_id, second, 1)
    assert await floor.move(session_id, 1, ann, second) == first
    assert await floor.stale(session_id) == ({first, second}, False)
    assert await sessions.assignments(session_id, 1) == {ann: second, ben: second}


async def test_rooms_close_the_cafe_recalls_and_categories_are_kept(db: Database) -> None:
    session_id, [first, _] = await _opened(db)
    floor = FloorRepo(db)
    state = await floor.state(session_id)
    assert state.paused_at is None and not state.recalled and state.warning_minutes is None
    assert state.dashboard_message_id is None

    assert await floor.set_room_closed(session_id, first, True)
    assert not await floor.set_room_closed(session_id, first, True)
    assert await floor.closed_rooms(session_id) == {first}
    assert await floor.set_room_closed(session_id, first, False)
    assert await floor.closed_rooms(session_id) == set()
    assert await floor.set_recalled(session_id, True)
    assert not await floor.set_recalled(session_id, True)
    await floor.set_warning_minutes(session_id, 3)
    await floor.set_dashboard(session_id, 700000000000000001, 700000000000000002)
    state = await floor.state(session_id)
    assert state.recalled and state.warning_minutes == 3
    assert (state.dashboard_channel_id, state.dashboard_message_id) == (700000000000000001, 700000000000000002)

    await floor.add_category(session_id, 1, 800000000000000001)
    await floor.add_category(session_id, 2, 800000000000000002)
    await floor.add_category(session_id, 2, 800000000000000003)  # made again: the newest stands
    assert await floor.categories(session_id) == {1: 800000000000000001, 2: 800000000000000003}
    await floor.forget_categories(session_id)
    assert await floor.categories(session_id) == {}


async def test_pausing_shifts_the_pending_steps_and_resuming_clears_the_pause(db: Database) -> None:
    session_id = await make_session(db)
    floor, steps = FloorRepo(db), StepRepo(db)
    before = {(s.kind, s.payload.get("round")): s.due_at for s in await steps.pending_for(session_id)}
    paused = STARTS + timedelta(minutes=3)
    await floor.shift_pending(session_id, [StepKind.ROUND.value, StepKind.CLOSE.value], timedelta(minutes=5),
                              paused_at=paused)
    assert (await floor.state(session_id)).paused_at == paused
    after = {(s.kind, s.payload.get("round")): s.due_at for s in await steps.pending_for(session_id)}
    assert after[(StepKind.ROUND, 2)] == before[(StepKind.ROUND, 2)] + timedelta(minutes=5)
    assert after[(StepKind.CLOSE, None)] == before[(StepKind.CLOSE, None)] + timedelta(minutes=5)
    assert after[(StepKind.OPEN, None)] == before[(StepKind.OPEN, None)]  # not a kind that moved

    await floor.shift_pending(session_id, [StepKind.CLOSE.value], timedelta(0), resume=True)
    assert (await floor.state(session_id)).paused_at is None

    moved = await steps.shift_pending(session_id, [StepKind.ROUND.value], timedelta(minutes=2))
    assert [s.due_at for s in moved] == [before[(StepKind.ROUND, 2)] + timedelta(minutes=7)]
    assert {s.due_at for s in await steps.pending_for(session_id) if s.kind == StepKind.ROUND} == {moved[0].due_at}

    await floor.retime(session_id, [PlannedStep(StepKind.ROUND, STARTS, Misfire.RUN_IF_RUNNING, round_payload(2))])
    assert {s.due_at for s in await steps.pending_for(session_id) if s.kind == StepKind.ROUND} == {STARTS}
    await floor.drop_pending(session_id, StepKind.ROUND, round_payload(2))
    assert not [s for s in await steps.pending_for(session_id) if s.kind == StepKind.ROUND]


def _new(session_id: int, room: int | None, person: int, message_id: int,
         reply_to: int | None = None) -> NewContribution:
    return NewContribution(session_id=session_id, room_id=room, round_number=1, participant_id=person,
                           pseudonym="P-TEST", message_id=message_id, channel_id=21,
                           created_at=STARTS + timedelta(minutes=1), text=f"words {message_id}",
                           reply_to_message_id=reply_to)


async def test_a_batch_keeps_only_consented_new_messages_and_its_cursor_lands_with_it(db: Database) -> None:
    session_id, [room, _] = await _opened(db)
    people = PeopleRepo(db)
    ann = await people.rsvp(session_id, ANN, going=True)
    ben = await people.rsvp(session_id, BEN, going=True)
    async with db.transaction() as tx:
        await people.append_consent(tx, session_id, ann, Choice.RECORD, "v1", Source.BUTTON, STARTS)
    repo = ContributionRepo(db)
    first = 900000000000000001
    async with db.transaction() as tx:
        stored = await repo.store_batch(tx, [_new(session_id, room, ann, first), _new(session_id, room, ben, first + 1),
                                             _new(session_id, room, ann, first + 2, reply_to=first)])
        await SessionRepo(db).mark_seen_in(tx, 21, first + 2)
    assert stored == {first, first + 2}  # Ben never chose to be recorded
    async with db.transaction() as tx:
        assert await repo.store_batch(tx, [_new(session_id, room, ann, first)]) == set()  # already kept
        assert await repo.store_batch(tx, []) == set()
    row = await db.fetch_one("SELECT reply_to_id FROM contributions WHERE message_id = $1", (first + 2,))
    kept = await db.fetch_one("SELECT id FROM contributions WHERE message_id = $1", (first,))
    assert row is not None and kept is not None and row[0] == kept[0]
    room_row = await SessionRepo(db).room_by_channel(21)
    assert room_row is not None and room_row.last_seen_message_id == first + 2
    assert await FloorRepo(db).contributions_by_room(session_id, 1) == {room: 2}

    assert await repo.remove_from_record(first, GUILD + 1) is None  # another server's message
    removed = await repo.remove_from_record(first, GUILD)
    assert removed is not None and removed[1] == session_id and removed[0] == kept[0]
    assert await repo.remove_from_record(first, GUILD) is None


async def test_round_starts_read_back_as_times(db: Database) -> None:
    session_id, _ = await _opened(db)
    sessions = SessionRepo(db)
    await sessions.start_round(session_id, 1, prompts=[], assignments=[], later_steps=[], at=STARTS)
    second = STARTS + timedelta(minutes=20)
    await sessions.start_round(session_id, 2, prompts=[], assignments=[], later_steps=[], at=second)
    assert await sessions.round_starts(session_id) == [(1, STARTS), (2, second)]
