"""Breakout rooms: even splits, rotations that meet new people, latecomers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.allocation import allocate, place_latecomer, room_count, rotate


def sizes_even(rooms: list[list[int]]) -> bool:
    sizes = [len(room) for room in rooms]
    return max(sizes) - min(sizes) <= 1


def everyone_once(rooms: list[list[int]], people: list[int]) -> bool:
    placed = [person for room in rooms for person in room]
    return sorted(placed) == sorted(people)


people_and_rooms = st.integers(min_value=0, max_value=60).flatmap(
    lambda n: st.tuples(st.just(list(range(1, n + 1))), st.integers(min_value=1, max_value=12))
)


@settings(max_examples=100)
@given(people_and_rooms)
def test_allocate_places_everyone_once_in_even_rooms(case: tuple[list[int], int]) -> None:
    people, rooms = case
    split = allocate(people, rooms)
    assert len(split) == rooms
    assert everyone_once(split, people)
    assert sizes_even(split)


@settings(max_examples=100)
@given(people_and_rooms, st.integers(min_value=1, max_value=4))
def test_rotate_keeps_everyone_once_and_rooms_even(case: tuple[list[int], int], rounds: int) -> None:
    people, rooms = case
    current = allocate(people, rooms)
    for _ in range(rounds):
        current = rotate(current)
        assert len(current) == rooms
        assert everyone_once(current, people)
        assert sizes_even(current)


def pairs(rooms: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(pair) for room in rooms for pair in itertools.combinations(room, 2)}


@settings(max_examples=100)
@given(st.integers(min_value=1, max_value=10).flatmap(
    lambda rooms: st.tuples(st.integers(min_value=0, max_value=rooms * rooms), st.just(rooms))
))
def test_rotate_parts_everyone_who_shared_a_room_when_rooms_are_small(case: tuple[int, int]) -> None:
    count, rooms = case  # at most `rooms` people per room
    before = allocate(list(range(count)), rooms)
    assert all(len(room) <= rooms for room in before)
    assert not pairs(before) & pairs(rotate(before))


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=500), st.integers(min_value=2, max_value=25))
def test_room_count_fits_everyone_with_as_few_rooms_as_possible(people: int, size: int) -> None:
    rooms = room_count(people, size)
    assert rooms >= 1
    assert rooms * size >= people
    assert rooms == 1 or (rooms - 1) * size < people


def test_room_count_refuses_rooms_for_one() -> None:
    with pytest.raises(ValueError, match="at least two"):
        room_count(10, 1)


def test_allocate_refuses_zero_rooms() -> None:
    with pytest.raises(ValueError, match="at least one room"):
        allocate([1, 2], 0)


def test_latecomer_joins_the_first_smallest_room() -> None:
    assert place_latecomer([[1, 2, 3], [4, 5], [6, 7]]) == 1
    assert place_latecomer([[], []]) == 0
