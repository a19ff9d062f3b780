"""The dates of a series: the same local wall time each time, bounded, refusals in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.series import MAX_OCCURRENCES, Repeat, SeriesError, make_repeat, occurrences

LONDON = "Europe/London"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from([LONDON, "Australia/Sydney", "America/New_York", "Asia/Kolkata", "UTC"]),
    days_ahead=st.integers(min_value=1, max_value=200),
    hour=st.integers(min_value=4, max_value=23),
    minute=st.sampled_from([0, 15, 30, 45]),
    every=st.integers(min_value=1, max_value=30),
    count=st.integers(min_value=2, max_value=MAX_OCCURRENCES),
)
def test_every_occurrence_keeps_the_first_ones_local_time(zone: str, days_ahead: int, hour: int, minute: int,
                                                          every: int, count: int) -> None:
    local = (NOW.astimezone(ZoneInfo(zone)) + timedelta(days=days_ahead)).replace(hour=hour, minute=minute,
                                                                                    tzinfo=None)
    first = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    latest = NOW + timedelta(days=366)
    try:
        starts = occurrences(first, zone, Repeat(every, count=count), latest=latest)
    except SeriesError as refused:
        assert "more than a year ahead" in str(refused) or "clocks" in str(refused), refused
        return
    assert len(starts) == count and starts[0] == first and all(s <= latest for s in starts)
    walls = [s.astimezone(ZoneInfo(zone)) for s in starts]
    assert {(w.hour, w.minute) for w in walls} == {(hour, minute)}
    assert all((b.date() - a.date()).days == every for a, b in pairwise(walls))


def test_until_is_inclusive_and_at_least_two() -> None:
    first = datetime(2026, 1, 6, 19, 0, tzinfo=UTC)
    starts = occurrences(first, LONDON, Repeat(7, until=datetime(2026, 1, 20, 23, 59, tzinfo=UTC)),
                         latest=first + timedelta(days=366))
    assert [s.day for s in starts] == [6, 13, 20]
    with pytest.raises(SeriesError, match="before the second café"):
        occurrences(first, LONDON, Repeat(7, until=first + timedelta(days=3)), latest=first + timedelta(days=366))


def test_more_than_52_is_refused() -> None:
    first = datetime(2026, 1, 6, 19, 0, tzinfo=UTC)
    with pytest.raises(SeriesError, match="more than 52"):
        occurrences(first, LONDON, Repeat(1, until=first + timedelta(days=100)), latest=first + timedelta(days=366))


@pytest.mark.parametrize(("kind", "every", "count", "until", "words"), [
    ("monthly", None, 3, None, "not a repeat"),
    ("days", None, 3, None, "every_days"),
    ("days", 0, 3, None, "between 1 and"),
    ("weekly", 3, 3, None, "leave it out"),
    ("weekly", None, None, None, "not neither"),
    ("weekly", None, 3, NOW, "not both"),
    ("weekly", None, 1, None, "between 2 and 52"),
    ("weekly", None, 53, None, "between 2 and 52"),
])
def test_make_repeat_refusals(kind: str, every: int | None, count: int | None, until: datetime | None,
                              words: str) -> None:
    with pytest.raises(SeriesError, match=words):
        make_repeat(kind, every_days=every, count=count, until=until)


def test_make_repeat_gaps() -> None:
    assert make_repeat("weekly", every_days=None, count=2, until=None).every_days == 7
    assert make_repeat("fortnightly", every_days=None, count=2, until=None).label == "fortnightly"
    assert make_repeat("days", every_days=10, count=2, until=None).label == "every 10 days"
