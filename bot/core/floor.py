"""The live café's clock and the facilitators' dashboard, as pure rules.

A round's end is never stored on its own: it is the due time of the step that follows the round
(the next round, or the close). Extending a round moves those steps; pausing holds them a long way
off (`HOLD`) and resuming brings them back by the pause's length, all in the store's one write, so a
restart mid-pause loses nothing and the timeline simply "moves on with the pause".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.core.timeline import ROUND, Misfire, PlannedStep, StepKind, StepPayload

#: How far a pause pushes a café's pending steps. Far beyond any café, so a held step never fires.
HOLD: Final = timedelta(days=3650)
#: The steps that keep time with the rounds: moved by an extension, held by a pause.
TIMED_KINDS: Final = (StepKind.ROUND.value, StepKind.CLOSE.value, StepKind.WARNING.value)
#: The most a round can be extended by at once, in minutes.
MAX_EXTENSION: Final = 60
#: Discord's limit on a message's length.
MESSAGE_LIMIT: Final = 2000
#: When neither the café nor its plan says otherwise, each room is warned this long before the end.
DEFAULT_WARNING_MINUTES: Final = 2


def warning_payload(round_number: int) -> StepPayload:
    return {ROUND: round_number}


def warning_step(round_number: int, ends_at: datetime, minutes: int, now: datetime) -> PlannedStep | None:
    """The time warning of a round ending at `ends_at`, or None when there is to be none (0 minutes,
    or the round is already within its warning time)."""
    if minutes <= 0 or ends_at - timedelta(minutes=minutes) <= now:
        return None
    return PlannedStep(StepKind.WARNING, ends_at - timedelta(minutes=minutes), Misfire.SKIP_IF_LATE,
                       warning_payload(round_number))


def round_end(next_due: datetime | None, paused_at: datetime | None) -> datetime | None:
    """When the running round ends: the due time of the step after it, less the hold while paused
    (then it is the end the round would have if it resumed at the moment it was paused)."""
    if next_due is None:
        return None
    return next_due - HOLD if paused_at is not None else next_due


def time_left(ends_at: datetime, now: datetime) -> str:
    """A countdown in words, beside the Discord timestamp (which some apps show only as a time)."""
    seconds = (ends_at - now).total_seconds()
    if seconds <= 0:
        return "time is up"
    if seconds < 90:
        return "about a minute left"
    minutes = round(seconds / 60)
    return f"about {minutes} minutes left"


@dataclass(frozen=True)
class RoomLine:
    number: int
    channel_id: int | None
    people: int
    contributions: int
    closed: bool
    host: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """What the facilitators' dashboard shows of one café (ids and counts only, never anyone's words)."""

    session_id: int
    title: str
    state: str
    round_number: int
    rounds: int
    ends_at: datetime | None
    paused: bool
    recalled: bool
    lobby_channel_id: int | None
    rooms: Sequence[RoomLine]
    support_waiting: int


def dashboard_text(board: Dashboard, now: datetime, stamp: str | None) -> str:
    """The dashboard message. `stamp` is the round's end as a Discord timestamp (the caller makes it)."""
    lines = [f"**Café #{board.session_id} · {board.title}** — {board.state}"]
    if board.round_number >= 1:
        lines.append(f"Round {board.round_number} of {board.rounds}")
    if board.paused:
        lines.append("⏸ **Paused**: rooms are read-only and the clock is stopped. Resume to carry on.")
    elif board.ends_at is not None and stamp is not None:
        lines.append(f"Ends {stamp} — {time_left(board.ends_at, now)}")
    if board.recalled:
        where = f" in <#{board.lobby_channel_id}>" if board.lobby_channel_id else ""
        lines.append(f"📣 **Everyone is recalled**{where}; send them out again to reopen the rooms.")
    total = sum(room.people for room in board.rooms)
    lines.append(f"**Rooms** ({len(board.rooms)}, {total} people) — people · contributions this round")
    support = (f"🆘 Support alerts waiting: **{board.support_waiting}**" if board.support_waiting
               else "🆘 No support alerts waiting.")
    # Discord's 2000 characters: the rooms that do not fit are counted, never cut mid-line.
    budget = MESSAGE_LIMIT - len("\n".join(lines)) - len(support) - 40
    for index, room in enumerate(board.rooms):
        where = f"<#{room.channel_id}>" if room.channel_id else f"room {room.number}"
        host = f" · host: {room.host}" if room.host else ""
        shut = " · 🔒 closed" if room.closed else ""
        line = f"• {where}: {room.people} · {room.contributions}{host}{shut}"
        if len(line) + 1 > budget:
            lines.append(f"… and {len(board.rooms) - index} more rooms")
            break
        budget -= len(line) + 1
        lines.append(line)
    lines.append(support)
    return "\n".join(lines)
