"""A session's steps and their misfire policy (invariant 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.timeline import (
    LATE_GRACE,
    Misfire,
    SessionState,
    StepKind,
    plan_steps,
    round_of,
    round_payload,
    round_steps,
    should_run,
)

START = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
REMINDER_BEFORE = timedelta(minutes=15)
DAY = timedelta(days=1)


def test_plan_steps_reminds_opens_moves_rounds_and_closes_in_order() -> None:
    steps = plan_steps(START, [20, 25, 15], now=START - timedelta(days=2))
    assert [(s.kind, s.payload) for s in steps] == [
        (StepKind.REMINDER, {"minutes_before": 1440}), (StepKind.REMINDER, {"minutes_before": 15}),
        (StepKind.OPEN, {}), (StepKind.ROUND, {"round": 2}), (StepKind.ROUND, {"round": 3}),
        (StepKind.CLOSE, {}),
    ]
    assert all(type(s.kind) is StepKind and s.kind == s.kind.value for s in steps)
    assert [s.due_at for s in steps] == [
        START - DAY, START - REMINDER_BEFORE, START, START + timedelta(minutes=20), START + timedelta(minutes=45),
        START + timedelta(minutes=60),
    ]
    assert steps[0].misfire is steps[1].misfire is Misfire.SKIP_IF_LATE
    assert all(s.misfire is Misfire.RUN_IF_RUNNING for s in steps[2:])


def test_an_organisers_reminder_times_each_become_a_step_and_past_ones_are_left_out() -> None:
    steps = plan_steps(START, [30], now=START - timedelta(hours=3), reminders=[60, 5, 600, 60])
    assert [(s.due_at, s.payload) for s in steps if s.kind is StepKind.REMINDER] == [
        (START - timedelta(minutes=60), {"minutes_before": 60}), (START - timedelta(minutes=5), {"minutes_before": 5}),
    ]


def test_plan_steps_leaves_out_a_reminder_that_would_already_be_due() -> None:
    steps = plan_steps(START, [30], now=START - REMINDER_BEFORE)
    assert [s.kind for s in steps] == [StepKind.OPEN, StepKind.CLOSE]
    assert steps[-1].due_at == START + timedelta(minutes=30)


def test_round_steps_from_a_later_round_retime_only_what_follows() -> None:
    moved_at = START + timedelta(minutes=7)
    steps = round_steps(moved_at, [20, 25, 15], first_round=2)
    assert [(s.kind, s.payload, s.due_at) for s in steps] == [
        (StepKind.ROUND, round_payload(3), moved_at + timedelta(minutes=25)),
        (StepKind.CLOSE, {}, moved_at + timedelta(minutes=40)),
    ]


def test_round_steps_in_the_last_round_only_close() -> None:
    steps = round_steps(START, [20, 25], first_round=2)
    assert [(s.kind, s.due_at) for s in steps] == [(StepKind.CLOSE, START + timedelta(minutes=25))]


def test_a_late_reminder_is_skipped_but_one_within_grace_runs() -> None:
    due = START - REMINDER_BEFORE
    assert should_run(Misfire.SKIP_IF_LATE, due, due + LATE_GRACE, SessionState.SCHEDULED)
    assert not should_run(Misfire.SKIP_IF_LATE, due, due + LATE_GRACE + timedelta(seconds=1), SessionState.SCHEDULED)


def test_a_late_round_still_runs_while_the_session_runs() -> None:
    assert should_run(Misfire.RUN_IF_RUNNING, START, START + timedelta(hours=3), SessionState.RUNNING)


@pytest.mark.parametrize("state", [SessionState.CLOSED, SessionState.CANCELLED])
@pytest.mark.parametrize("misfire", list(Misfire))
def test_nothing_runs_for_a_finished_session(state: SessionState, misfire: Misfire) -> None:
    assert not should_run(misfire, START, START, state)


def test_a_round_payload_reads_back_and_a_broken_one_is_refused() -> None:
    assert round_of(round_payload(4)) == 4
    for broken in ({}, {"round": 0}, {"round": "2"}, {"round": True}):
        with pytest.raises(ValueError, match="round number"):
            round_of(broken)


@pytest.mark.parametrize("misfire", list(Misfire))
def test_a_step_of_no_cafe_answers_only_to_its_lateness(misfire: Misfire) -> None:
    assert should_run(misfire, START, START + LATE_GRACE, None)
    late = START + LATE_GRACE + timedelta(seconds=1)
    assert should_run(misfire, START, late, None) is (misfire is Misfire.RUN_IF_RUNNING)
