"""Times as people type them (issue 11): read in the server's zone, preferring the future, and
refused with what was understood when a part of the text would be dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.when import WhenError, parse_start, stamp, stamps

LONDON = "Europe/London"
# Sunday 1 November 2026, 12:00 GMT (London is on GMT since 25 October).
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-03 18:30", datetime(2026, 12, 3, 18, 30, tzinfo=UTC)),
    ("3 Dec 6.30pm", datetime(2026, 12, 3, 18, 30, tzinfo=UTC)),
    ("5 Dec 6.30pm", datetime(2026, 12, 5, 18, 30, tzinfo=UTC)),
    ("3 December at 18.30", datetime(2026, 12, 3, 18, 30, tzinfo=UTC)),
    ("next Tuesday 7pm", datetime(2026, 11, 3, 19, 0, tzinfo=UTC)),
    ("tomorrow 18:00", datetime(2026, 11, 2, 18, 0, tzinfo=UTC)),
    ("tomorrow at 7.45pm", datetime(2026, 11, 2, 19, 45, tzinfo=UTC)),
    ("in an hour", NOW + timedelta(hours=1)),
    ("Saturday at noon", datetime(2026, 11, 7, 12, 0, tzinfo=UTC)),
    ("7pm", datetime(2026, 11, 1, 19, 0, tzinfo=UTC)),
])
def test_what_people_type_is_read_in_the_servers_zone(text: str, expected: datetime) -> None:
    assert parse_start(text, LONDON, NOW) == expected


def test_a_time_already_gone_today_is_refused_not_moved_to_tomorrow() -> None:
    with pytest.raises(WhenError, match="in the past"):
        parse_start("2026-11-01 9am", LONDON, NOW)


@pytest.mark.parametrize("text", ["3 Dec", "Saturday", "tomorrow", "next Tuesday"])
def test_a_day_without_a_time_is_refused_with_the_day_understood(text: str) -> None:
    with pytest.raises(WhenError, match=r"I understood the day as .* but not a time of day") as caught:
        parse_start(text, LONDON, NOW)
    assert "6.30pm" in str(caught.value)


def test_two_different_times_are_refused() -> None:
    with pytest.raises(WhenError, match="more than one time of day"):
        parse_start("3 Dec 6pm 7pm", LONDON, NOW)


@pytest.mark.parametrize("text", ["next Tuesday 7pm blah", "tomorrow at half seven-ish"])
def test_a_partly_understood_time_is_refused_with_examples(text: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_start(text, LONDON, NOW)
    assert "next Tuesday 7pm" in str(caught.value)


def test_a_half_past_time_is_never_read_on_the_hour() -> None:
    """The bug that started issue 11: `5 Dec 6.30pm` was read as 18:00."""
    assert parse_start("5 Dec 6.30pm", LONDON, NOW).minute == 30


# ---- across the clock changes (Europe/London: back on 25 Oct 2026, forward on 29 Mar 2026) ----

def test_tomorrow_evening_across_the_october_change_is_gmt() -> None:
    saturday = datetime(2026, 10, 24, 11, 0, tzinfo=UTC)  # 12:00 BST
    assert parse_start("tomorrow 18:00", LONDON, saturday) == datetime(2026, 10, 25, 18, 0, tzinfo=UTC)
    assert parse_start("today 18:00", LONDON, saturday) == datetime(2026, 10, 24, 17, 0, tzinfo=UTC)


def test_in_an_hour_across_the_october_change_is_sixty_minutes() -> None:
    just_before = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, half an hour before the change
    assert parse_start("in an hour", LONDON, just_before) == just_before + timedelta(hours=1)


def test_a_time_that_happens_twice_in_october_is_refused() -> None:
    with pytest.raises(WhenError, match="happens twice in Europe/London: the clocks go back"):
        parse_start("2026-10-25 01:30", LONDON, datetime(2026, 10, 20, tzinfo=UTC))


def test_a_time_that_does_not_exist_in_march_is_refused() -> None:
    with pytest.raises(WhenError, match="does not exist in Europe/London: the clocks go forward"):
        parse_start("29 March 2026 1.30am", LONDON, datetime(2026, 3, 20, tzinfo=UTC))


def test_next_sunday_evening_across_the_march_change_is_bst() -> None:
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # GMT
    assert parse_start("tomorrow 7pm", LONDON, saturday) == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)


def test_a_server_in_another_zone_reads_times_in_its_own() -> None:
    sydney = "Australia/Sydney"  # AEDT (+11) in November
    assert parse_start("tomorrow 18:00", sydney, NOW) == datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    new_york = "America/New_York"  # EST from 1 November 2026 (a week after London)
    assert parse_start("2026-10-31 18:00", new_york, datetime(2026, 10, 26, tzinfo=UTC)) == datetime(
        2026, 10, 31, 22, 0, tzinfo=UTC)
    assert parse_start("2026-11-02 18:00", new_york, datetime(2026, 10, 26, tzinfo=UTC)) == datetime(
        2026, 11, 2, 23, 0, tzinfo=UTC)


def test_discord_timestamps_show_the_instant() -> None:
    moment = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)
    assert stamp(moment) == f"<t:{int(moment.timestamp())}:F>"
    assert stamps(moment) == f"<t:{int(moment.timestamp())}:F> (<t:{int(moment.timestamp())}:R>)"
