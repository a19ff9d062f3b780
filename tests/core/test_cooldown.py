"""The button cooldown rule: at most N presses in any window, and it forgets what has expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.cooldown import Cooldown
from bot.services.presses import SWEEP_EVERY, Presses

T0 = datetime(2030, 1, 1, tzinfo=UTC)
ONE = Cooldown(presses=1, window=timedelta(minutes=3))


def test_one_press_per_window_then_again_after_it() -> None:
    first = ONE.admit((), T0)
    assert first.allowed and first.remember == (T0,)
    second = ONE.admit(first.remember, T0 + timedelta(seconds=10))
    assert not second.allowed and second.retry_after == timedelta(minutes=3) - timedelta(seconds=10)
    assert ONE.admit(second.remember, T0 + timedelta(minutes=3)).allowed


@given(st.lists(st.integers(min_value=0, max_value=600), max_size=60), st.integers(1, 5), st.integers(1, 120))
def test_never_more_than_n_acting_presses_in_any_window(offsets: list[int], presses: int, seconds: int) -> None:
    rule = Cooldown(presses=presses, window=timedelta(seconds=seconds))
    remembered: tuple[datetime, ...] = ()
    acted: list[datetime] = []
    for offset in sorted(offsets):
        now = T0 + timedelta(seconds=offset)
        verdict = rule.admit(remembered, now)
        remembered = verdict.remember
        assert len(remembered) <= presses
        if verdict.allowed:
            acted.append(now)
    for moment in acted:
        assert sum(1 for t in acted if moment <= t < moment + rule.window) <= presses


def test_a_cooldown_needs_a_press_and_a_window() -> None:
    with pytest.raises(ValueError, match="at least one press"):
        Cooldown(presses=0, window=timedelta(seconds=1))


def test_presses_forget_people_whose_window_has_passed() -> None:
    presses = Presses()
    for user in range(SWEEP_EVERY):
        presses.press("support", 1, user, ONE, T0)
    assert len(presses) == SWEEP_EVERY  # all still inside their window
    later = T0 + timedelta(hours=1)
    for user in range(SWEEP_EVERY, 2 * SWEEP_EVERY):
        presses.press("support", 1, user, ONE, later)
    assert len(presses) == SWEEP_EVERY  # the first thousand were swept out
