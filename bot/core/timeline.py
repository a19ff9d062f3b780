"""A session's timeline: its states and the steps the scheduler runs.

Each step has a misfire policy (DESIGN.md invariant 4): a reminder that comes late is
pointless and is skipped; opening, rounds and closing still run if the session still needs
them, because a café mid-way must not stall because the bot restarted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    RUNNING = "running"
    CLOSING = "closing"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ACTIVE_STATES = frozenset({SessionState.OPEN, SessionState.RUNNING})
FINAL_STATES = frozenset({SessionState.CLOSED, SessionState.CANCELLED})


class StepKind(StrEnum):
    REMINDER = "reminder"
    OPEN = "open"
    ROUND = "round"
    CLOSE = "close"


class Misfire(StrEnum):
    SKIP_IF_LATE = "skip_if_late"
    RUN_IF_RUNNING = "run_if_running"


REMINDER_BEFORE = timedelta(minutes=15)
LATE_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class PlannedStep:
    kind: StepKind
    round_number: int
    due_at: datetime
    misfire: Misfire


def plan_steps(starts_at: datetime, round_minutes: list[int], now: datetime) -> list[PlannedStep]:
    """Every step of a session starting at `starts_at`. Round 1 starts with the opening."""
    steps: list[PlannedStep] = []
    reminder_at = starts_at - REMINDER_BEFORE
    if reminder_at > now:
        steps.append(PlannedStep(StepKind.REMINDER, 0, reminder_at, Misfire.SKIP_IF_LATE))
    steps.append(PlannedStep(StepKind.OPEN, 1, starts_at, Misfire.RUN_IF_RUNNING))
    steps.extend(round_steps(starts_at, round_minutes, first_round=1))
    return steps


def round_steps(round_started_at: datetime, round_minutes: list[int], first_round: int) -> list[PlannedStep]:
    """The steps after round `first_round` began at `round_started_at`: later rounds, then close."""
    steps: list[PlannedStep] = []
    at = round_started_at
    for number in range(first_round, len(round_minutes) + 1):
        at = at + timedelta(minutes=round_minutes[number - 1])
        if number < len(round_minutes):
            steps.append(PlannedStep(StepKind.ROUND, number + 1, at, Misfire.RUN_IF_RUNNING))
    steps.append(PlannedStep(StepKind.CLOSE, 0, at, Misfire.RUN_IF_RUNNING))
    return steps


def should_run(misfire: Misfire, due_at: datetime, now: datetime, state: SessionState) -> bool:
    """Whether a step that fires at `now` still runs (invariant 4's misfire policy)."""
    if state in FINAL_STATES:
        return False
    if misfire is Misfire.SKIP_IF_LATE:
        return now - due_at <= LATE_GRACE
    return True
