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


# -- seating with wishes and hosts, and World Café rotation ---------------------------------------

from bot.core.allocation import (  # noqa: E402
    Wishes,
    choose_hosts,
    repeat_lower_bound,
    repeated_pairings,
    rotate_tables,
    seat,
)


def where(seating: list[list[int]]) -> dict[int, int]:
    return {person: table for table, people in enumerate(seating) for person in people}


def apart_broken(seating: list[list[int]], apart: list[tuple[int, int]]) -> list[tuple[int, int]]:
    seats = where(seating)
    return [(a, b) for a, b in apart if seats[a] == seats[b]]


@st.composite
def cafes(draw: st.DrawFn, *, max_people: int = 60) -> tuple[list[int], int, list[tuple[int, int]], dict[int, int]]:
    """People, tables (at least two, at least two people a table), a matching of keep-apart pairs
    (so keeping them apart is always possible) and up to one host per table."""
    tables = draw(st.integers(min_value=2, max_value=8))
    count = draw(st.integers(min_value=2 * tables, max_value=max(2 * tables, max_people)))
    people = draw(st.permutations(list(range(100, 100 + count))))
    hosts_count = draw(st.integers(min_value=0, max_value=tables))
    hosts = dict(zip(range(tables), people[:hosts_count], strict=False))
    others = people[hosts_count:]
    pairs = draw(st.integers(min_value=0, max_value=len(others) // 2))
    apart = [(others[2 * i], others[2 * i + 1]) for i in range(pairs)]
    return people, tables, apart, hosts


@settings(max_examples=80, deadline=None)
@given(cafes(), st.integers(min_value=0, max_value=2**32))
def test_seat_places_everyone_once_evenly_with_hosts_at_their_table_and_apart_kept(
    case: tuple[list[int], int, list[tuple[int, int]], dict[int, int]], seed: int,
) -> None:
    people, tables, apart, hosts = case
    seating = seat(people, tables, Wishes(apart=apart), hosts=hosts, seed=seed)
    assert len(seating) == tables
    assert everyone_once(seating, people)
    assert sizes_even(seating)
    assert all(where(seating)[host] == table for table, host in hosts.items())
    assert apart_broken(seating, apart) == []
    assert seating == seat(people, tables, Wishes(apart=apart), hosts=hosts, seed=seed)


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=2, max_value=6).flatmap(lambda t: st.tuples(
    st.just(t), st.integers(min_value=2 * t, max_value=40),
    st.lists(st.integers(min_value=0, max_value=t - 1), max_size=40),
    st.lists(st.integers(min_value=0, max_value=t - 1), max_size=40),
)), st.integers(min_value=0, max_value=1000))
def test_seat_honours_pre_assignments_and_choices_while_the_table_has_room(
    case: tuple[int, int, list[int], list[int]], seed: int,
) -> None:
    tables, count, fixed_tables, chosen_tables = case
    people = list(range(count))
    fixed = dict(zip(people, fixed_tables, strict=False))
    rest = people[len(fixed):]
    choices = dict(zip(rest, chosen_tables, strict=False))
    seating = seat(people, tables, Wishes(fixed=fixed, choices=choices), seed=seed)
    assert everyone_once(seating, people) and sizes_even(seating)
    seats = where(seating)
    capacity = count // tables  # every table holds at least this many
    for table in range(tables):
        asked = [p for p, t in fixed.items() if t == table]
        if len(asked) <= capacity:
            assert all(seats[p] == table for p in asked), "a pre-assignment within capacity is honoured"
        wanting = [p for p, t in choices.items() if t == table]
        if len(asked) + len(wanting) <= capacity:
            assert all(seats[p] == table for p in wanting), "a choice within capacity is honoured"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=6).flatmap(lambda t: st.tuples(
    st.just(t), st.integers(min_value=4 * t, max_value=40))), st.data())
def test_seat_keeps_pairs_together(case: tuple[int, int], data: st.DataObject) -> None:
    tables, count = case
    people = list(range(count))
    base, extra = divmod(count, tables)
    room_for_pairs = extra * ((base + 1) // 2) + (tables - extra) * (base // 2)
    pairs = data.draw(st.integers(min_value=0, max_value=room_for_pairs))
    together = [(2 * i, 2 * i + 1) for i in range(pairs)]
    seating = seat(people, tables, Wishes(together=together), seed=pairs)
    assert everyone_once(seating, people) and sizes_even(seating)
    seats = where(seating)
    assert all(seats[a] == seats[b] for a, b in together)


def test_a_choice_over_capacity_overflows_to_the_least_full_table() -> None:
    people = list(range(8))
    seating = seat(people, 2, Wishes(choices=dict.fromkeys(people, 0)))
    assert seating[0] == [0, 1, 2, 3], "first come, first seated"
    assert seating[1] == [4, 5, 6, 7]


def test_choose_hosts_named_first_then_facilitators_then_none() -> None:
    assert choose_hosts(3, {7: 1}, [8, 9, 10, 11]) == {1: 7, 0: 8, 2: 9}
    assert choose_hosts(3, {}, [8], fixed={8: 2}) == {2: 8}, "a seated facilitator hosts their own table"
    assert choose_hosts(3, {7: 1, 6: 1}, []) == {1: 7}, "a second named host for a table is a participant"
    assert choose_hosts(2, {}, []) == {}


@settings(max_examples=60, deadline=None)
@given(cafes(max_people=50), st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=2**32))
def test_rotation_keeps_everyone_once_even_hosts_still_apart_kept_and_is_seeded(
    case: tuple[list[int], int, list[tuple[int, int]], dict[int, int]], rounds: int, seed: int,
) -> None:
    people, tables, apart, hosts = case
    history = [seat(people, tables, Wishes(apart=apart), hosts=hosts, seed=seed)]
    for number in range(rounds):
        moved = rotate_tables(history, hosts=hosts, apart=apart, seed=seed + number)
        assert moved == rotate_tables(history, hosts=hosts, apart=apart, seed=seed + number)
        assert len(moved) == tables
        assert everyone_once(moved, people) and sizes_even(moved)
        assert all(where(moved)[host] == table for table, host in hosts.items())
        assert apart_broken(moved, apart) == []
        history.append(moved)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=8).flatmap(
    lambda t: st.tuples(st.just(t), st.integers(min_value=2 * t, max_value=48))),
    st.integers(min_value=2, max_value=5), st.integers(min_value=0, max_value=10**6))
def test_rotation_repeats_no_more_than_shift_by_position_and_no_less_than_the_bound(
    case: tuple[int, int], rounds: int, seed: int,
) -> None:
    tables, count = case
    first = allocate(list(range(count)), tables)
    today, ours = [first], [first]
    for number in range(rounds - 1):
        today.append(rotate(today[-1]))
        ours.append(rotate_tables(ours, seed=seed + number))
    assert repeat_lower_bound(count, tables, rounds) <= repeated_pairings(ours) <= repeated_pairings(today)


def test_rotation_moves_a_keep_together_pair_as_one() -> None:
    history = [allocate(list(range(24)), 4)]
    for number in range(3):
        history.append(rotate_tables(history, together=[(0, 4)], hosts={1: 1}, seed=number))
        assert where(history[-1])[0] == where(history[-1])[4]
        assert where(history[-1])[1] == 1


def test_the_issue_figures_today_and_the_bound() -> None:
    def today(count: int, tables: int, rounds: int) -> int:
        seating = [allocate(list(range(count)), tables)]
        for _ in range(rounds - 1):
            seating.append(rotate(seating[-1]))
        return repeated_pairings(seating)

    assert today(16, 4, 4) == 16
    assert today(24, 4, 3) == 32
    assert repeat_lower_bound(16, 4, 4) == 0
    assert repeat_lower_bound(24, 4, 3) == 16  # 6 people from 4 earlier tables: at least 2 pairs a table
    assert repeat_lower_bound(6, 2, 3) == 4  # tables of 3 drawn from 2 earlier tables: a pair each
    assert repeated_pairings([[[1, 2], [3]], [[1, 2, 3]], [[1, 2]]]) == 2


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=4).flatmap(
    lambda t: st.tuples(st.just(t), st.integers(min_value=t, max_value=2 * t + 3))),
    st.integers(min_value=1, max_value=3))
def test_the_bound_is_a_bound_on_every_seating_of_tiny_cafes(case: tuple[int, int], rounds: int) -> None:
    """Exhaustive for tiny cafés: no even seating sequence beats the bound."""
    tables, count = case
    people = list(range(count))
    evens = [s for s in _even_seatings(people, tables)]
    best = min(repeated_pairings(combo) for combo in itertools.product(evens, repeat=rounds)) \
        if len(evens) ** rounds <= 20_000 else None
    if best is not None:
        assert repeat_lower_bound(count, tables, rounds) <= best


def _even_seatings(people: list[int], tables: int) -> list[list[list[int]]]:
    found: list[list[list[int]]] = []
    for labels in itertools.product(range(tables), repeat=len(people)):
        seating: list[list[int]] = [[] for _ in range(tables)]
        for person, table in zip(people, labels, strict=True):
            seating[table].append(person)
        if sizes_even(seating):
            found.append(seating)
        if len(found) > 200:
            break
    return found
