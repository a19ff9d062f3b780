"""Splitting people into breakout rooms, and moving them so they meet new people.

Rooms are kept even (sizes differ by at most one) because an uneven split leaves one group of
two beside a group of nine, which is a worse conversation for both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def room_count(people: int, room_size: int) -> int:
    """How many rooms `people` need so that none holds more than `room_size`; at least one."""
    if room_size < 2:
        raise ValueError("a room needs space for at least two people")
    return max(1, math.ceil(people / room_size))


def allocate(people: Sequence[int], rooms: int) -> list[list[int]]:
    """Deal people into `rooms` rooms in order, so sizes differ by at most one."""
    if rooms < 1:
        raise ValueError("there must be at least one room")
    split: list[list[int]] = [[] for _ in range(rooms)]
    for index, person in enumerate(people):
        split[index % rooms].append(person)
    return split


def rotate(previous: Sequence[Sequence[int]]) -> list[list[int]]:
    """Move people for a new round: whoever sat at position p of room j goes to room j + p.

    For a fixed position the move is a bijection on rooms, so sizes stay even; two people who
    shared a room are at different positions, so they part whenever a room holds no more
    people than there are rooms.
    """
    rooms = len(previous)
    moved: list[list[int]] = [[] for _ in range(rooms)]
    depth = max((len(room) for room in previous), default=0)
    for position in range(depth):
        for index, room in enumerate(previous):
            if position < len(room):
                moved[(index + position) % rooms].append(room[position])
    return moved


def place_latecomer(current: Sequence[Sequence[int]]) -> int:
    """The room a latecomer joins: the smallest, the first of equals."""
    sizes = [len(room) for room in current]
    return sizes.index(min(sizes))
