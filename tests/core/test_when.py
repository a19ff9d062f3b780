"""Reading a start time as an organiser types it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.when import WhenError, describe, parse_start

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LONDON = "Europe/London"


def test_iso_time_is_read_in_the_given_zone() -> None:
    # 5 June is in British Summer Time, so 18:30 local is 17:30 UTC.
    assert parse_start("2027-06-05 18:30", LONDON, NOW) == datetime(2027, 6, 5, 17, 30, tzinfo=UTC)


def test_slashed_dates_are_read_day_first() -> None:
    assert parse_start("05/12/2026 18:30", LONDON, NOW) == datetime(2026, 12, 5, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "delta"), [
    ("in 30 minutes", timedelta(minutes=30)),
    ("in 2 hours", timedelta(hours=2)),
    ("IN 1 day", timedelta(days=1)),
    ("in 5 mins", timedelta(minutes=5)),
])
def test_relative_times_count_from_now(text: str, delta: timedelta) -> None:
    assert parse_start(text, LONDON, NOW) == NOW + delta


def test_a_time_in_the_past_is_refused_with_the_date_it_read() -> None:
    with pytest.raises(WhenError, match=r"Saturday 5 December 2026 at 18:30 \(Europe/London\) is in the past"):
        parse_start("05/12/2026 18:30", LONDON, datetime(2027, 1, 1, tzinfo=UTC))


def test_in_zero_minutes_is_not_in_the_future() -> None:
    with pytest.raises(WhenError, match="not happened yet"):
        parse_start("in 0 minutes", LONDON, NOW)


@pytest.mark.parametrize("text", ["banana o'clock", "32/13/2026 25:99"])
def test_garbage_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(WhenError, match="couldn't read") as caught:
        parse_start(text, LONDON, NOW)
    assert "in 30 minutes" in str(caught.value)


def test_an_empty_time_asks_for_one() -> None:
    with pytest.raises(WhenError, match="Give a start time"):
        parse_start("   ", LONDON, NOW)


def test_describe_shows_weekday_and_zone() -> None:
    assert describe(datetime(2026, 12, 5, 18, 30, tzinfo=UTC), LONDON) == (
        "Saturday 5 December 2026 at 18:30 (Europe/London)"
    )


@pytest.mark.parametrize("text", ["2026-12-05 18:30", "2026/12/05 18:30", "2026-12-05T18:30:00+00:00"])
def test_year_first_dates_are_read_year_month_day(text: str) -> None:
    assert parse_start(text, LONDON, NOW) == datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
