"""A session's timeline: its states and the steps the scheduler runs.

Each step has a misfire policy (invariant 4 in docs/ARCHITECTURE.md): a reminder that comes late is
pointless and is skipped; opening, rounds and closing still run if the session still needs
them, because a café mid-way must not stall because the bot restarted.

A step's kind is a plain name: the café's four are listed here, and any other feature may store
steps of its own kinds (bot/services/steps.py is where their handlers are registered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    """The café's own kinds of step; being a StrEnum, each is also the stored kind string."""

    REMINDER = "reminder"
    OPEN = "open"
    ROUND = "round"
    CLOSE = "close"
    #: a few minutes before a round's end, each room is told (payload: the round)
    WARNING = "warning"


class Misfire(StrEnum):
    SKIP_IF_LATE = "skip_if_late"
    RUN_IF_RUNNING = "run_if_running"


#: Reminder times when the organiser gives none: a day before, and a quarter of an hour before.
DEFAULT_REMINDERS: tuple[int, ...] = (24 * 60, 15)
#: The payload key of a reminder step: how many minutes before the start it is sent.
BEFORE = "minutes_before"
LATE_GRACE = timedelta(minutes=2)


StepPayload = dict[str, object]
"""What a step is about, as a JSON object (ids and numbers, never people's words)."""

ROUND = "round"


@dataclass(frozen=True)
class PlannedStep:
    kind: str
    due_at: datetime
    misfire: Misfire
    payload: StepPayload = field(default_factory=dict)


def round_payload(number: int) -> StepPayload:
    """The payload of the step that starts round `number`."""
    return {ROUND: number}


def round_of(payload: Mapping[str, object]) -> int:
    """The round a round step starts; a payload without one is a bug in whoever stored it."""
    number = payload.get(ROUND)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"a round step needs a round number of 1 or more in its payload, not {number!r}")
    return number


def reminder_payload(minutes_before: int) -> StepPayload:
    return {BEFORE: minutes_before}


def reminder_steps(starts_at: datetime, reminders: Sequence[int], now: datetime) -> list[PlannedStep]:
    """One reminder per time the organiser chose, skipping those already past (a café scheduled
    an hour ahead gets no day-before reminder). Late ones are skipped, never sent late."""
    return [PlannedStep(StepKind.REMINDER, starts_at - timedelta(minutes=m), Misfire.SKIP_IF_LATE,
                        reminder_payload(m))
            for m in sorted(set(reminders), reverse=True) if starts_at - timedelta(minutes=m) > now]


def plan_steps(starts_at: datetime, round_minutes: list[int], now: datetime,
               reminders: Sequence[int] = DEFAULT_REMINDERS) -> list[PlannedStep]:
    """Every step of a session starting at `starts_at`. Round 1 starts with the opening."""
    steps: list[PlannedStep] = reminder_steps(starts_at, reminders, now)
    steps.append(PlannedStep(StepKind.OPEN, starts_at, Misfire.RUN_IF_RUNNING))
    steps.extend(round_steps(starts_at, round_minutes, first_round=1))
    return steps


def round_steps(round_started_at: datetime, round_minutes: list[int], first_round: int) -> list[PlannedStep]:
    """The steps after round `first_round` began at `round_started_at`: later rounds, then close."""
    steps: list[PlannedStep] = []
    at = round_started_at
    for number in range(first_round, len(round_minutes) + 1):
        at = at + timedelta(minutes=round_minutes[number - 1])
        if number < len(round_minutes):
            steps.append(PlannedStep(StepKind.ROUND, at, Misfire.RUN_IF_RUNNING, round_payload(number + 1)))
    steps.append(PlannedStep(StepKind.CLOSE, at, Misfire.RUN_IF_RUNNING))
    return steps


def should_run(misfire: Misfire, due_at: datetime, now: datetime, state: SessionState | None) -> bool:
    """Whether a step that fires at `now` still runs (invariant 4's misfire policy).

    `state` is the state of the step's café, or None for a step that belongs to no café: such a
    step answers only to its lateness.
    """
    if state in FINAL_STATES:
        return False
    if misfire is Misfire.SKIP_IF_LATE:
        return now - due_at <= LATE_GRACE
    return True
