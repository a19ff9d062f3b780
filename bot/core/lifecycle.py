"""A café's life as one state machine: which actions each state allows, and what it becomes.

Every service asks here before it changes a café, so the rules (a café opens once, a round only
starts while it is open or running, only a café that hasn't opened can be cancelled) live in
one table that a test walks state by state, and every refusal says what to do instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from bot.core.errors import UserError
from bot.core.timeline import SessionState


class Action(StrEnum):
    OPEN = "open"
    START_ROUND = "start_round"
    # Finish a round a crash (or Discord refusing) left part-done: prompts, access, lobby notice.
    FINISH_ROUND = "finish_round"
    CLOSE = "close"
    FINISH_CLOSE = "finish_close"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    RSVP = "rsvp"
    CHOOSE_CONSENT = "choose_consent"


S = SessionState

#: (state, action) → the state the café is in afterwards. A pair not listed is refused.
TRANSITIONS: Final[dict[tuple[SessionState, Action], SessionState]] = {
    (S.SCHEDULED, Action.OPEN): S.OPEN,
    (S.OPEN, Action.START_ROUND): S.RUNNING,
    (S.RUNNING, Action.START_ROUND): S.RUNNING,
    (S.RUNNING, Action.FINISH_ROUND): S.RUNNING,
    (S.OPEN, Action.CLOSE): S.CLOSING,
    (S.RUNNING, Action.CLOSE): S.CLOSING,
    # A close interrupted part-way (a crash, Discord refusing) can be carried on.
    (S.CLOSING, Action.CLOSE): S.CLOSING,
    (S.CLOSING, Action.FINISH_CLOSE): S.CLOSED,
    (S.SCHEDULED, Action.CANCEL): S.CANCELLED,
    # Only a café nobody has entered yet can move: its rooms do not exist and its steps are all ahead.
    (S.SCHEDULED, Action.RESCHEDULE): S.SCHEDULED,
    (S.SCHEDULED, Action.RSVP): S.SCHEDULED,
    (S.OPEN, Action.RSVP): S.OPEN,
    (S.RUNNING, Action.RSVP): S.RUNNING,
    (S.SCHEDULED, Action.CHOOSE_CONSENT): S.SCHEDULED,
    (S.OPEN, Action.CHOOSE_CONSENT): S.OPEN,
    (S.RUNNING, Action.CHOOSE_CONSENT): S.RUNNING,
    (S.CLOSING, Action.CHOOSE_CONSENT): S.CLOSING,
}

_ENDED: Final = "Café #{id} has ended"


def _refusal(state: SessionState, action: Action, cafe: int) -> str:
    """Why the action can't happen now, and what would work instead."""
    ended = state in (S.CLOSING, S.CLOSED)
    if state is S.CANCELLED:
        return f"Café #{cafe} was cancelled, so it can't be {_VERB[action]}. Schedule a new one with `/cafe schedule`."
    if action is Action.OPEN:
        if ended:
            return f"{_ENDED.format(id=cafe)}; a café can only be opened once."
        return f"Café #{cafe} is already {state.value}; it can only be opened once."
    if action in (Action.START_ROUND, Action.FINISH_ROUND):
        if state is S.SCHEDULED:
            return f"Café #{cafe} hasn't opened yet, so no round can start. Open it with `/cafe open`."
        if state is S.OPEN:
            return f"Café #{cafe} is open but no round has started yet; use `/floor next` to start one."
        return f"{_ENDED.format(id=cafe)}, so no round can start."
    if action is Action.CLOSE:
        if state is S.SCHEDULED:
            return f"Café #{cafe} hasn't opened yet. Use `/cafe cancel` to call it off."
        return f"Café #{cafe} is already closed."
    if action is Action.FINISH_CLOSE:
        return f"Café #{cafe} is {state.value}, not closing; use `/floor close` to end it."
    if action is Action.CANCEL:
        if ended:
            return f"{_ENDED.format(id=cafe)}; only a café that hasn't opened can be cancelled."
        return (f"Café #{cafe} is {state.value}; only a café that hasn't opened can be cancelled. "
                "Use `/floor close` to end a running one.")
    if action is Action.RESCHEDULE:
        if ended:
            return f"{_ENDED.format(id=cafe)}; only a café that hasn't opened can be moved."
        return (f"Café #{cafe} is {state.value}; only a café that hasn't opened can be moved. Schedule another "
                "one with `/cafe schedule` instead.")
    if action is Action.RSVP:
        return f"{_ENDED.format(id=cafe)}, so it can't be joined any more."
    return f"{_ENDED.format(id=cafe)}; there is nothing more to record. You can still use `/withdraw`."


_VERB: Final[dict[Action, str]] = {
    Action.OPEN: "opened",
    Action.START_ROUND: "moved on",
    Action.FINISH_ROUND: "moved on",
    Action.CLOSE: "closed",
    Action.FINISH_CLOSE: "closed",
    Action.CANCEL: "cancelled again",
    Action.RESCHEDULE: "rescheduled",
    Action.RSVP: "joined",
    Action.CHOOSE_CONSENT: "recorded",
}


def allowed(state: SessionState, action: Action) -> bool:
    return (state, action) in TRANSITIONS


def advance(state: SessionState, action: Action, *, cafe: int) -> SessionState:
    """The state after `action`, or a `UserError` that says why not and what to do instead."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise UserError(_refusal(state, action, cafe)) from None
