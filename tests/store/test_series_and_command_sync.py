"""The stores series-events and commands-sync brought, on both backends: the cog tests that drive
them run on SQLite only, so here each statement also meets PostgreSQL's types (BIGINT ids and
event ids, timestamptz starts compared as whole values, an ``IN`` list numbered after another
parameter, ON CONFLICT … DO UPDATE)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import to_iso
from bot.core.timeline import SessionState, plan_steps
from bot.store.command_syncs import GLOBAL_SCOPE, CommandSyncRepo
from bot.store.db import Database
from bot.store.sessions import NewSession, SessionRepo
from bot.store.steps import StepRepo

from .helpers import GUILD, ROUNDS, STARTS, make_session

OTHER_GUILD = 222222222222222222
ORGANISER = 333333333333333333
EVENT = 1300000000000000001
APPLICATION = 1200000000000000001


def _spec(guild_id: int = GUILD) -> NewSession:
    return NewSession(guild_id=guild_id, series="weekly", plan_id="plan", plan_title="Plan",
                      plan_snapshot={"rounds": [{}, {}]}, timezone="Europe/London", room_size=4,
                      rounds=tuple(ROUNDS), actor_id=ORGANISER, capacity=8, reminders=(60,))


async def _run(db: Database, count: int, *, repeat: bool = True) -> list[int]:
    occurrences = []
    for n in range(count):
        starts = STARTS + timedelta(weeks=n)
        occurrences.append((starts, plan_steps(starts, [20, 20], starts - timedelta(days=1))))
    return await SessionRepo(db).create_run(_spec(), occurrences, repeat=repeat)


async def _audit(db: Database, action: str) -> list[tuple[int, int, str]]:
    rows = await db.fetch_all("SELECT guild_id, actor_id, detail FROM audit WHERE action = $1 ORDER BY id", (action,))
    return [(int(r["guild_id"]), int(r["actor_id"]), r["detail"]) for r in rows]


async def test_a_run_is_stored_whole_and_numbered_from_its_first_cafe(db: Database) -> None:
    sessions = SessionRepo(db)
    ids = await _run(db, 3)
    run = [await sessions.get(i) for i in ids]
    assert [s.occurrence for s in run if s] == [1, 2, 3]
    assert {s.repeat_of for s in run if s} == {ids[0]}
    assert [s.starts_at for s in run if s] == [STARTS + timedelta(weeks=n) for n in range(3)]
    assert all(s is not None and s.guild_id == GUILD and s.capacity == 8 and s.reminders == (60,) for s in run)
    for session_id in ids:
        assert await StepRepo(db).pending_for(session_id)
    assert len(await _audit(db, "schedule")) == 3

    single = await _run(db, 1, repeat=False)
    alone = await sessions.get(single[0])
    assert alone is not None and alone.repeat_of is None and alone.occurrence is None
    assert await sessions.run_from(alone) == [alone]


async def test_the_rest_of_a_run_starts_at_this_cafe_and_cancels_together(db: Database) -> None:
    sessions = SessionRepo(db)
    ids = await _run(db, 4)
    other = await _run(db, 2)  # another schedule of the same plan: never part of this run
    second = await sessions.get(ids[1])
    assert second is not None
    rest = await sessions.run_from(second)
    assert [s.id for s in rest] == ids[1:]

    await sessions.cancel_all([s.id for s in rest])
    states = {i: (await sessions.get(i)).state for i in ids + other}  # type: ignore[union-attr]
    assert states == {ids[0]: SessionState.SCHEDULED, ids[1]: SessionState.CANCELLED, ids[2]: SessionState.CANCELLED,
                      ids[3]: SessionState.CANCELLED, other[0]: SessionState.SCHEDULED,
                      other[1]: SessionState.SCHEDULED}
    for session_id in ids[1:]:
        assert await StepRepo(db).pending_for(session_id) == []
    assert await StepRepo(db).pending_for(ids[0])
    await sessions.cancel_all([])  # nothing to call off is not an error


async def test_a_reschedule_moves_the_start_and_replaces_the_pending_steps(db: Database) -> None:
    sessions, steps = SessionRepo(db), StepRepo(db)
    session_id = await make_session(db)
    before = await steps.pending_for(session_id)
    later = STARTS + timedelta(days=2, minutes=15)
    new_steps = plan_steps(later, [20, 20], later - timedelta(days=1))
    await sessions.reschedule(session_id, later, new_steps, ORGANISER)

    moved = await sessions.get(session_id)
    assert moved is not None and moved.starts_at == later
    pending = await steps.pending_for(session_id)
    assert sorted(s.due_at for s in pending) == sorted(s.due_at for s in new_steps)
    assert {s.id for s in pending}.isdisjoint({s.id for s in before})
    rows = await db.fetch_all("SELECT id, status, note FROM scheduled_steps WHERE session_id = $1", (session_id,))
    notes = {int(r["id"]): (r["status"], r["note"]) for r in rows}
    assert all(notes[s.id] == ("cancelled", "rescheduled") for s in before)
    [(guild, actor, detail)] = await _audit(db, "reschedule")
    assert (guild, actor) == (GUILD, ORGANISER)
    assert detail == f"from={to_iso(STARTS)} to={to_iso(later)}"  # the same text on both backends


async def test_a_cafe_is_found_by_its_event_only_on_its_own_server(db: Database) -> None:
    sessions = SessionRepo(db)
    session_id = await make_session(db)
    assert await sessions.by_event(GUILD, EVENT) is None
    await sessions.set_event(session_id, EVENT)
    found = await sessions.by_event(GUILD, EVENT)
    assert found is not None and found.id == session_id and found.event_id == EVENT
    assert await sessions.by_event(OTHER_GUILD, EVENT) is None
    await sessions.set_event(session_id, None)
    assert await sessions.by_event(GUILD, EVENT) is None


async def test_a_command_sync_is_recorded_per_application_and_scope(db: Database) -> None:
    syncs = CommandSyncRepo(db)
    assert await syncs.last(APPLICATION, GLOBAL_SCOPE) is None
    before = db.now()
    await syncs.record(APPLICATION, GLOBAL_SCOPE, "a" * 64, 12)
    after = db.now()
    await syncs.record(APPLICATION, GUILD, "b" * 64, 3)
    first = await syncs.last(APPLICATION, GLOBAL_SCOPE)
    assert first is not None and (first.payload_hash, first.commands) == ("a" * 64, 12)
    assert before <= first.synced_at <= after  # an aware time, read back as the one written

    await syncs.record(APPLICATION, GLOBAL_SCOPE, "c" * 64, 13)  # the newer sync replaces the row
    again = await syncs.last(APPLICATION, GLOBAL_SCOPE)
    assert again is not None and (again.payload_hash, again.commands) == ("c" * 64, 13)
    server = await syncs.last(APPLICATION, GUILD)
    assert server is not None and server.payload_hash == "b" * 64
    assert await syncs.last(APPLICATION + 1, GLOBAL_SCOPE) is None
