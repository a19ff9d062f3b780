"""Reading a start time as an organiser types it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.when import MAX_AHEAD, TimezoneError, WhenError, describe, parse_start, valid_timezone

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


@pytest.mark.parametrize("text", ["9999-12-31 23:59", "31/12/9999 23:59", "in 9999 days", "2040-01-01 10:00"])
def test_dates_beyond_the_horizon_are_refused_not_crashed(text: str) -> None:
    with pytest.raises(WhenError, match="years away"):
        parse_start(text, LONDON, NOW)


@pytest.mark.parametrize("text", ["5", "18", " 1830 ", "5th", "+5", "99999999999999999999999"])
def test_a_bare_number_is_not_a_start_time(text: str) -> None:
    with pytest.raises(WhenError, match="on its own is not a start time"):
        parse_start(text, LONDON, NOW)


@pytest.mark.parametrize("zone", ["x" * 256, "posix/Europe/London", "right/Europe/London", "localtime", "Factory",
                                  "../../etc/passwd", "/usr/share/zoneinfo/UTC", "Europe/Londn", ""])
def test_only_place_names_from_the_zone_database_are_time_zones(zone: str) -> None:
    with pytest.raises(TimezoneError, match="IANA time zone name"):
        valid_timezone(zone)
    with pytest.raises(WhenError, match="time zone needs fixing"):
        parse_start("2026-12-05 18:30", zone, NOW)


def test_a_close_misspelling_gets_a_suggestion() -> None:
    with pytest.raises(TimezoneError, match="Did you mean Europe/London"):
        valid_timezone("Europe/Londn")


@pytest.mark.parametrize("zone", ["Europe/London", " Europe/Dublin ", "UTC", "America/Argentina/Buenos_Aires"])
def test_real_zones_are_accepted_trimmed(zone: str) -> None:
    assert valid_timezone(zone) == zone.strip()


DATEISH = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789 -/:.+TZapmAPMinutesdayhour,", max_size=40),
    st.builds(lambda y, rest: f"{y}{rest}", st.integers(min_value=-10**6, max_value=10**25), st.text(max_size=12)),
    st.sampled_from(["9999-12-31 23:59", "0001-01-01 00:00", "2026-12-05 18:30 +99:99", "in 0 days",
                     "2026-02-30 10:00", "2026-12-05 25:61", "1e400", "nan", "inf", "Dec 5 9999999"]),
)


@settings(max_examples=400, deadline=None)
@given(DATEISH, st.sampled_from([LONDON, "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]))
def test_any_text_gives_a_future_time_or_a_when_error(text: str, zone: str) -> None:
    try:
        moment = parse_start(text, zone, NOW)
    except WhenError as exc:
        assert str(exc)
        return
    assert moment > NOW and moment.tzinfo is not None
    assert moment - NOW <= MAX_AHEAD
    assert describe(moment, zone)
