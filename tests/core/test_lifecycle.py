"""The café's state machine: every state × every action is either allowed or refused with words."""

from __future__ import annotations

import itertools

import pytest

from bot.core import lifecycle
from bot.core.errors import UserError
from bot.core.lifecycle import Action
from bot.core.timeline import SessionState as S

#: The whole table, written out by hand so a change to the rules shows up here.
EXPECTED: dict[tuple[S, Action], S] = {
    (S.SCHEDULED, Action.OPEN): S.OPEN,
    (S.SCHEDULED, Action.CANCEL): S.CANCELLED,
    (S.SCHEDULED, Action.RESCHEDULE): S.SCHEDULED,
    (S.SCHEDULED, Action.RSVP): S.SCHEDULED,
    (S.SCHEDULED, Action.CHOOSE_CONSENT): S.SCHEDULED,
    (S.OPEN, Action.START_ROUND): S.RUNNING,
    (S.OPEN, Action.CLOSE): S.CLOSING,
    (S.OPEN, Action.RSVP): S.OPEN,
    (S.OPEN, Action.CHOOSE_CONSENT): S.OPEN,
    (S.RUNNING, Action.START_ROUND): S.RUNNING,
    (S.RUNNING, Action.FINISH_ROUND): S.RUNNING,
    (S.RUNNING, Action.CLOSE): S.CLOSING,
    (S.RUNNING, Action.RSVP): S.RUNNING,
    (S.RUNNING, Action.CHOOSE_CONSENT): S.RUNNING,
    (S.CLOSING, Action.CLOSE): S.CLOSING,
    (S.CLOSING, Action.FINISH_CLOSE): S.CLOSED,
    (S.CLOSING, Action.CHOOSE_CONSENT): S.CLOSING,
}

#: What a refusal must point the person to, where there is somewhere to go.
HINTS: dict[tuple[S, Action], str] = {
    (S.SCHEDULED, Action.START_ROUND): "/cafe open",
    (S.SCHEDULED, Action.FINISH_ROUND): "/cafe open",
    (S.SCHEDULED, Action.CLOSE): "/cafe cancel",
    (S.OPEN, Action.CANCEL): "/floor close",
    (S.RUNNING, Action.CANCEL): "/floor close",
    (S.CLOSED, Action.CHOOSE_CONSENT): "/withdraw",
    (S.CANCELLED, Action.OPEN): "/cafe schedule",
    (S.CANCELLED, Action.RESCHEDULE): "/cafe schedule",
    (S.OPEN, Action.RESCHEDULE): "/cafe schedule",
    (S.RUNNING, Action.RESCHEDULE): "/cafe schedule",
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(S, Action)))
def test_every_state_and_action_is_allowed_or_refused_with_a_reason(state: S, action: Action) -> None:
    if (state, action) in EXPECTED:
        assert lifecycle.allowed(state, action)
        assert lifecycle.advance(state, action, cafe=7) is EXPECTED[(state, action)]
        return
    assert not lifecycle.allowed(state, action)
    with pytest.raises(UserError) as refused:
        lifecycle.advance(state, action, cafe=7)
    words = str(refused.value)
    assert "#7" in words, words
    assert words.endswith((".", "`.")) and len(words) > 20, words
    if (state, action) in HINTS:
        assert HINTS[(state, action)] in words, words


def test_the_table_has_no_rule_the_test_does_not_know() -> None:
    assert lifecycle.TRANSITIONS == EXPECTED


def test_final_states_allow_nothing() -> None:
    for state in (S.CLOSED, S.CANCELLED):
        assert not any(lifecycle.allowed(state, action) for action in Action)
