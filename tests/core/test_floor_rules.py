"""The café floor's pure rules: room access from state, categories and the channel limit, the round's
clock, and the dashboard's text (within Discord's 2000 characters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.access import (
    FloorState,
    Level,
    categories_needed,
    category_of,
    channels_needed,
    lobby_access,
    room_access,
    room_for_channels,
)
from bot.core.floor import HOLD, Dashboard, RoomLine, dashboard_text, round_end, time_left, warning_step
from bot.core.timeline import StepKind

NOW = datetime(2030, 1, 5, 18, 0, tzinfo=UTC)
STAFF = (901, 902)


@given(people=st.sets(st.integers(1, 10**18), max_size=30), paused=st.booleans(), recalled=st.booleans(),
       closed=st.booleans(), ended=st.booleans())
def test_a_rooms_access_lists_exactly_its_people_and_staff(people: set[int], paused: bool, recalled: bool,
                                                           closed: bool, ended: bool) -> None:
    floor = FloorState(staff_roles=STAFF, paused=paused, recalled=recalled, ended=ended)
    access = room_access(floor, people, room_closed=closed)
    assert {m for m, _ in access.members} == people
    assert [r for r, _ in access.roles] == list(STAFF)
    quiet = paused or recalled or closed or ended
    assert all(level is (Level.READ if quiet else Level.WRITE) for _, level in access.members)
    assert all(level is (Level.READ if ended else Level.WRITE) for _, level in access.roles)
    assert access == room_access(floor, sorted(people, reverse=True), room_closed=closed), "order never matters"


def test_the_lobby_stays_open_through_a_pause_and_a_recall_until_the_end() -> None:
    for floor in (FloorState(STAFF, paused=True), FloorState(STAFF, recalled=True)):
        assert {level for _, level in lobby_access(floor, [1, 2]).members} == {Level.WRITE}
    assert {level for _, level in lobby_access(FloorState(STAFF, ended=True), [1, 2]).members} == {Level.READ}


def test_categories_hold_at_most_fifty_channels() -> None:
    assert [category_of(n) for n in (1, 49, 50, 99, 100, 149)] == [1, 1, 2, 2, 3, 3]
    for rooms in range(1, 301):
        per = [sum(1 for n in range(1, rooms + 1) if category_of(n) == c)
               for c in range(1, categories_needed(rooms) + 1)]
        per[0] += 1  # the lobby
        assert all(0 < size <= 50 for size in per), (rooms, per)
    assert channels_needed(60) == 2 + 1 + 60


def test_the_channel_limit_refuses_with_the_numbers() -> None:
    assert room_for_channels(400, 60) is None
    refusal = room_for_channels(480, 30)
    assert refusal is not None and "needs 32 channels" in refusal and "Delete 12" in refusal


def test_the_round_end_is_the_next_step_less_the_hold_while_paused() -> None:
    due = NOW + timedelta(minutes=12)
    assert round_end(due, None) == due
    assert round_end(due + HOLD, NOW) == due
    assert round_end(None, None) is None


def test_time_left_in_words() -> None:
    assert time_left(NOW + timedelta(minutes=5), NOW) == "about 5 minutes left"
    assert time_left(NOW + timedelta(seconds=50), NOW) == "about a minute left"
    assert time_left(NOW - timedelta(seconds=1), NOW) == "time is up"


def test_a_warning_only_when_there_is_time_for_it() -> None:
    ends = NOW + timedelta(minutes=10)
    planned = warning_step(2, ends, 2, NOW)
    assert planned is not None and planned.kind == StepKind.WARNING and planned.due_at == ends - timedelta(minutes=2)
    assert planned.payload == {"round": 2}
    assert warning_step(2, ends, 0, NOW) is None
    assert warning_step(2, ends, 10, NOW) is None


def test_the_dashboard_fits_a_message_however_many_rooms() -> None:
    rooms = [RoomLine(number=n, channel_id=10**18 + n, people=6, contributions=n, closed=n == 3)
             for n in range(1, 201)]
    board = Dashboard(session_id=7, title="What next", state="running", round_number=2, rounds=3,
                      ends_at=NOW + timedelta(minutes=4), paused=False, recalled=True, lobby_channel_id=5,
                      rooms=rooms, support_waiting=2)
    text = dashboard_text(board, NOW, "<t:1:R>")
    assert len(text) <= 2000
    assert "Round 2 of 3" in text and "about 4 minutes left" in text and "recalled" in text
    assert "more rooms" in text and "Support alerts waiting: **2**" in text
    assert "🔒 closed" in text
