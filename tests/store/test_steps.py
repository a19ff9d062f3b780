"""Durable steps in the store: any kind with a JSON payload, one live step per identity, and the
upgrade from schema 1 (closed list of kinds, `round_number` column) that keeps every step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.timeline import Misfire, SessionState, StepKind
from bot.store import db as db_module
from bot.store.db import Database, IntegrityError, available_migrations
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

from .helpers import STARTS, make_session

DUE = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


async def test_a_feature_stores_its_own_kind_with_a_payload_and_no_cafe(db: Database) -> None:
    steps = StepRepo(db)
    step = await steps.add("feedback_form_close", DUE, misfire=Misfire.RUN_IF_RUNNING,
                           payload={"form": 7, "guild": "111", "rooms": [1, 2]})
    assert step.session_id is None
    assert (step.kind, step.payload, step.due_at, step.status) == (
        "feedback_form_close", {"form": 7, "guild": "111", "rooms": [1, 2]}, DUE, "pending",
    )
    assert step.misfire is Misfire.RUN_IF_RUNNING
    assert await steps.pending() == [step]
    assert await steps.get(step.id) == step


async def test_pending_for_reads_only_that_cafes_pending_steps(db: Database) -> None:
    first, second = await make_session(db), await make_session(db)
    steps = StepRepo(db)
    await steps.add("chime", DUE, misfire=Misfire.SKIP_IF_LATE)
    own = await steps.pending_for(first)
    assert own and {s.session_id for s in own} == {first}
    done = own[0]
    await steps.claim(done.id)
    await steps.finish(done.id, "done")
    assert done.id not in {s.id for s in await steps.pending_for(first)}
    assert {s.session_id for s in await steps.pending_for(second)} == {second}


async def test_one_live_step_per_identity_but_the_same_timer_may_be_set_again_once_finished(db: Database) -> None:
    steps = StepRepo(db)
    held = await steps.add("rsvp_hold_expires", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"person": 5, "b": 1})
    with pytest.raises(IntegrityError, match="steps_one_live"):
        # The same payload written in another key order is the same identity.
        await steps.add("rsvp_hold_expires", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"b": 1, "person": 5})
    other = await steps.add("rsvp_hold_expires", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"person": 6, "b": 1})
    assert other.id != held.id
    await steps.claim(held.id)
    await steps.finish(held.id, "done")
    again = await steps.add("rsvp_hold_expires", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"person": 5, "b": 1})
    assert again.status == "pending"


@pytest.mark.parametrize(("kind", "payload", "message"), [
    ("", {}, "kind must be a name"),
    ("x" * 65, {}, "kind must be a name"),
    ("chime", {"when": datetime(2030, 1, 1, tzinfo=UTC)}, "only JSON values"),
    ("chime", {"ratio": float("nan")}, "only JSON values"),
    ("chime", {1: "a"}, "JSON object with text keys"),
])
async def test_a_bad_kind_or_payload_is_refused_before_anything_is_stored(
    db: Database, kind: str, payload: dict[object, object], message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        await StepRepo(db).add(kind, DUE, misfire=Misfire.SKIP_IF_LATE, payload=payload)  # type: ignore[arg-type]
    assert await StepRepo(db).pending() == []


async def test_a_step_finishes_only_as_done_skipped_or_failed(db: Database) -> None:
    step = await StepRepo(db).add("chime", DUE, misfire=Misfire.SKIP_IF_LATE)
    with pytest.raises(ValueError, match="finishes as one of"):
        await StepRepo(db).finish(step.id, "pending")
    assert (await StepRepo(db).get(step.id)) == step


async def test_a_step_of_no_cafe_outlives_a_cafe_closing_but_the_cafes_own_are_cancelled(db: Database) -> None:
    session_id = await make_session(db)
    steps = StepRepo(db)
    loose = await steps.add("feedback_form_close", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"form": 1})
    tied = await steps.add("feedback_form_close", DUE, misfire=Misfire.RUN_IF_RUNNING, payload={"form": 2},
                           session_id=session_id)
    await SessionRepo(db).set_state(session_id, SessionState.CANCELLED)
    assert [s.id for s in await steps.pending()] == [loose.id]
    assert (await steps.get(tied.id)).status == "cancelled"  # type: ignore[union-attr]


async def test_a_schema_1_database_upgrades_with_its_steps_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "old.sqlite3"
    first = [m for m in available_migrations() if m[0] == 1]
    monkeypatch.setattr(db_module, "available_migrations", lambda backend="sqlite": first)
    async with Database(path) as old:
        assert await old.schema_version() == 1
        async with old.transaction() as conn:
            await conn.execute(
                "INSERT INTO sessions (id, guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
                "room_size, created_at) VALUES (4, '1', 's', 'p', 'P', '{}', '2030-01-05T18:30:00Z', 'UTC', 4, "
                "'2030-01-01T00:00:00Z')"
            )
            await conn.executemany(
                "INSERT INTO scheduled_steps (id, session_id, kind, round_number, due_at, status, misfire, claimed_at, "
                "finished_at, note) VALUES ($1, 4, $2, $3, $4, $5, $6, $7, $8, $9)",
                [
                    (1, "reminder", 0, "2030-01-05T18:15:00Z", "skipped", "skip_if_late", "2030-01-05T18:20:00Z",
                     "2030-01-05T18:20:00Z", "late or no longer needed"),
                    (2, "open", 1, "2030-01-05T18:30:00Z", "done", "run_if_running", "2030-01-05T18:30:00Z",
                     "2030-01-05T18:30:01Z", ""),
                    (3, "round", 2, "2030-01-05T18:50:00Z", "pending", "run_if_running", None, None, None),
                    (4, "round", 3, "2030-01-05T19:10:00Z", "pending", "run_if_running", None, None, None),
                    (5, "close", 0, "2030-01-05T19:30:00Z", "pending", "run_if_running", None, None, None),
                ],
            )
    monkeypatch.undo()

    async with Database(path) as upgraded:
        assert await upgraded.schema_version() == available_migrations()[-1][0]
        steps = StepRepo(upgraded)
        stored = await steps.for_session(4)
        assert [(s.id, s.kind, s.payload, s.status, s.misfire) for s in stored] == [
            (1, StepKind.REMINDER, {}, "skipped", Misfire.SKIP_IF_LATE),
            (2, StepKind.OPEN, {}, "done", Misfire.RUN_IF_RUNNING),
            (3, StepKind.ROUND, {"round": 2}, "pending", Misfire.RUN_IF_RUNNING),
            (4, StepKind.ROUND, {"round": 3}, "pending", Misfire.RUN_IF_RUNNING),
            (5, StepKind.CLOSE, {}, "pending", Misfire.RUN_IF_RUNNING),
        ]
        assert stored[2].due_at == STARTS + timedelta(minutes=20)
        note = await upgraded.fetch_one("SELECT claimed_at, finished_at, note FROM scheduled_steps WHERE id = 1")
        assert note is not None and tuple(note) == ("2030-01-05T18:20:00Z", "2030-01-05T18:20:00Z",
                                                    "late or no longer needed")
        # The upgraded rows keep their identity: re-timing a round finds it by its payload, and a
        # second live round 2 is refused.
        with pytest.raises(IntegrityError, match="steps_one_live"):
            await steps.add(StepKind.ROUND, STARTS, misfire=Misfire.RUN_IF_RUNNING, payload={"round": 2},
                            session_id=4)
        columns = {r["name"] for r in await upgraded.fetch_all("PRAGMA table_info(scheduled_steps)")}
        assert "round_number" not in columns and "payload" in columns
        plan = await upgraded.fetch_all(
            "EXPLAIN QUERY PLAN SELECT * FROM scheduled_steps WHERE session_id = $1 AND status = 'pending'", (4,)
        )
        assert any("steps_by_session" in row["detail"] for row in plan)
