"""Splitting people into tables, choosing their hosts, and moving them so they meet new people.

Tables are kept even (sizes differ by at most one) because an uneven split leaves one group of
two beside a group of nine, which is a worse conversation for both. Everything here is pure and
seeded: the same people, wishes and seed always give the same seating, so a café that is resumed
after a crash, a test and a benchmark all see the same tables.

A World Café round marked `rotate` moves everyone but the table hosts. The aim over the whole café
is that people meet as many new people as possible: a *repeated pairing* is two people at the same
table in one more round than their first (`repeated_pairings`). Finding the best rotation is a
hard combinatorial problem (it contains resolvable block designs), so `rotate_tables` uses a
heuristic that is fast at a thousand people: a greedy placement by least conflict followed by a
seeded local search of swaps and moves, restarted a few times on small cafés where that is cheap,
and never worse than the old shift-by-position for the same round. `repeat_lower_bound` says how
far from the best any rotation could be.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, cast

Seating = list[list[int]]

#: The cost of two people who must be kept apart sharing a table: more than any number of repeated
#: pairings, so a seating breaks keep-apart only when nothing else fits.
APART: Final = 10**6
#: Local search stops after this many passes without an improvement or this many in all.
_PASSES: Final = 30
#: Small cafés get several restarts (different seeded orders), keeping the best; the number is
#: chosen so that the work stays about the same at every size.
_RESTART_BUDGET: Final = 12_000
_MAX_RESTARTS: Final = 500


def room_count(people: int, room_size: int) -> int:
    """How many rooms `people` need so that none holds more than `room_size`; at least one."""
    if room_size < 2:
        raise ValueError("a room needs space for at least two people")
    return max(1, math.ceil(people / room_size))


def allocate(people: Sequence[int], rooms: int) -> Seating:
    """Deal people into `rooms` rooms in order, so sizes differ by at most one."""
    if rooms < 1:
        raise ValueError("there must be at least one room")
    split: Seating = [[] for _ in range(rooms)]
    for index, person in enumerate(people):
        split[index % rooms].append(person)
    return split


def rotate(previous: Sequence[Sequence[int]]) -> Seating:
    """The old rotation, kept as the baseline `rotate_tables` must never do worse than: whoever sat
    at position p of room j goes to room j + p.

    For a fixed position the move is a bijection on rooms, so sizes stay even; two people who
    shared a room are at different positions, so they part whenever a room holds no more
    people than there are rooms.
    """
    rooms = len(previous)
    moved: Seating = [[] for _ in range(rooms)]
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


@dataclass(frozen=True)
class Wishes:
    """What the organiser and the people asked for, with tables counted from 0.

    `fixed` is the organiser's pre-assignment and `choices` what people picked (in the order they
    picked, first come first seated); both are honoured while the table has room in an even split,
    and whoever does not fit goes to the least full table. `together` pairs share a table;
    `apart` pairs never do unless nothing else fits.
    """

    fixed: Mapping[int, int] = field(default_factory=dict)
    choices: Mapping[int, int] = field(default_factory=dict)
    together: Sequence[tuple[int, int]] = ()
    apart: Sequence[tuple[int, int]] = ()


def choose_hosts(tables: int, named: Mapping[int, int], candidates: Sequence[int],
                 fixed: Mapping[int, int] | None = None) -> dict[int, int]:
    """One host per table where there are enough: table → person.

    The organiser's named hosts come first (a second one named for the same table is a
    participant there). Then `candidates` (facilitators who joined, in the order they joined)
    host the tables still without one: a candidate the organiser seated at a table hosts it if it
    has no host yet, the others take the lowest-numbered tables left.
    """
    fixed = fixed or {}
    hosts: dict[int, int] = {}
    for person, table in named.items():
        if 0 <= table < tables and table not in hosts:
            hosts[table] = person
    hosting = set(hosts.values())
    free = [c for c in dict.fromkeys(candidates) if c not in hosting]
    for person in free:
        own = fixed.get(person)
        if own is not None and 0 <= own < tables and own not in hosts:
            hosts[own] = person
            hosting.add(person)
    open_tables = iter(t for t in range(tables) if t not in hosts)
    for person in free:
        if person in hosting or person in fixed:
            continue
        spare = next(open_tables, None)
        if spare is None:
            break
        hosts[spare] = person
        hosting.add(person)
    return hosts


def seat(people: Sequence[int], tables: int, wishes: Wishes = Wishes(), *,
         hosts: Mapping[int, int] | None = None, seed: int = 0) -> Seating:
    """Seat `people` at `tables` tables for the first round, even to within one.

    Hosts (table → person) sit at their table. Then pre-assigned people, then people's choices,
    each while the table has room; keep-together pairs are seated as one group; keep-apart is
    kept by placement and then by swaps of people who asked for nothing.
    """
    if tables < 1:
        raise ValueError("there must be at least one table")
    people = list(dict.fromkeys(people))
    hosts = {t: p for t, p in (hosts or {}).items() if p in set(people) and 0 <= t < tables}
    rng = random.Random(seed)
    floor = _Floor(people, tables, _weights(wishes.apart, {}))
    pinned = set(hosts.values())
    for table, person in hosts.items():
        floor.place(person, table)
    units = _units(people, wishes.together)
    wanted: dict[int, int] = {}
    for source in (wishes.choices, wishes.fixed):  # fixed wins over a choice
        for person, table in source.items():
            if 0 <= table < tables:
                wanted[person] = table
    order = [u for u in units if not (set(u) & pinned)]
    by_host = [u for u in units if set(u) & pinned]
    fixed_people, chosen = list(wishes.fixed), list(wishes.choices)
    rank = {p: i for i, p in enumerate(fixed_people)}
    rank.update({p: len(fixed_people) + i for i, p in enumerate(chosen) if p not in rank})

    def key(unit: list[int]) -> tuple[int, int, float]:
        first = min((rank[p] for p in unit if p in rank), default=len(rank))
        return (first, -len(unit), rng.random())

    for unit in by_host:  # a host's keep-together partner sits at the host's table if it fits
        table = next(hosts_table for hosts_table, p in hosts.items() if p in unit)
        rest = [p for p in unit if p not in pinned]
        floor.place_unit(rest, table, rng)
    overflow: list[list[int]] = []
    for unit in sorted(order, key=key):  # wishes first, in order; who does not fit waits
        preferred = next((wanted[p] for p in unit if p in wanted), None)
        if preferred is None or not floor.seat_if_room(unit, preferred):
            overflow.append(unit)
    for unit in overflow:  # then the rest, and the overflow, to the least full table
        floor.place_unit(unit, None, rng)
    movable = {p for u in units if len(u) == 1 for p in u} - pinned - set(wanted)
    floor.improve(movable, rng)
    return floor.seating()


def rotate_tables(history: Sequence[Sequence[Sequence[int]]], *, hosts: Mapping[int, int] | None = None,
                  apart: Sequence[tuple[int, int]] = (), together: Sequence[tuple[int, int]] = (),
                  seed: int = 0) -> Seating:
    """The seating for a rotating round, given every earlier round's seating (the last is now).

    Everyone in the last round is seated again at the same number of tables, even to within one;
    hosts (table → person) stay at their table, keep-together pairs move as one, keep-apart pairs
    never share a table unless nothing else fits, and pairs who have already shared a table are
    kept apart as far as possible (the number of such pairs is what is minimised).
    """
    if not history:
        raise ValueError("a rotation needs the current seating")
    current = [list(table) for table in history[-1]]
    tables = len(current)
    people = [p for table in current for p in table]
    hosts = {t: p for t, p in (hosts or {}).items() if 0 <= t < tables and p in set(people)}
    met: dict[int, set[int]] = {}
    for seating in history:
        for sitting in seating:
            for a, b in itertools.combinations(sitting, 2):
                met.setdefault(a, set()).add(b)
                met.setdefault(b, set()).add(a)
    weights = _weights(apart, met)
    units = _units(people, together)
    pinned = set(hosts.values())
    restarts = max(1, min(_MAX_RESTARTS, _RESTART_BUDGET // max(1, len(people))))
    best: Seating | None = None
    best_cost = -1
    for attempt in range(restarts):
        rng = random.Random(f"{seed}:{attempt}")
        floor = _Floor(people, tables, weights)
        for table, person in hosts.items():
            floor.place(person, table)
        for unit in units:
            if set(unit) & pinned:
                table = next(t for t, p in hosts.items() if p in unit)
                floor.place_unit([p for p in unit if p not in pinned], table, rng)
        free = [u for u in units if not (set(u) & pinned)]
        # The most entangled first: people who have met many and pairs that must stay apart.
        free.sort(key=lambda u: (-sum(len(weights.get(p, {})) for p in u), -len(u), rng.random()))
        for unit in free:
            floor.place_unit(unit, None, rng)
        floor.improve({p for u in units if len(u) == 1 for p in u} - pinned, rng)
        cost = floor.cost()
        if best is None or cost < best_cost:
            best, best_cost = floor.seating(), cost
        if best_cost == 0:
            break
    assert best is not None
    # The old shift-by-position wins when better, and ties too (while it repeats nobody a café
    # follows it, so over a café this does not fall behind it), unless both are perfect and the
    # shift would repeat someone in the very next round: then our own perfect round is worth more.
    shifted = rotate(current)
    if not _keeps(shifted, hosts, units):
        return best
    shift_cost = _cost(shifted, weights)
    if shift_cost < best_cost:
        return shifted
    if shift_cost == best_cost and not (best_cost == 0 and _shift_repeats_next(history, shifted, weights)):
        return shifted
    return best


def _shift_repeats_next(history: Sequence[Sequence[Sequence[int]]], shifted: Seating,
                        weights: Mapping[int, Mapping[int, int]]) -> bool:
    """Whether following the shift now leads it to repeat a pairing in the very next round: then a
    perfect round of our own is worth more than the shift's."""
    met = {p: set(q) for p, q in weights.items()}
    for table in shifted:
        for a, b in itertools.combinations(table, 2):
            met.setdefault(a, set()).add(b)
            met.setdefault(b, set()).add(a)
    return any(b in met.get(a, ()) for table in rotate(shifted) for a, b in itertools.combinations(table, 2))


def repeated_pairings(rounds: Iterable[Sequence[Sequence[int]]]) -> int:
    """How many times two people sat together again: each pair's meetings after its first."""
    together: Counter[tuple[int, int]] = Counter()
    for seating in rounds:
        for table in seating:
            together.update(itertools.combinations(sorted(table), 2))
    return sum(count - 1 for count in together.values() if count > 1)


def repeat_lower_bound(people: int, tables: int, rounds: int) -> int:
    """No seating of `people` at `tables` even tables over `rounds` rounds has fewer repeated pairings.

    The largest of three arguments (docs/PERFORMANCE.md derives them):

    - pigeonhole: a later round's table of s people draws on the t tables of round one, so at
      least the pairs of s split as evenly as possible over t groups met before; each later
      round adds that much at least;
    - pairs: every round seats Q = Σ C(sᵢ, 2) pairs and there are only C(n, 2) distinct ones, so
      at least rQ − C(n, 2) meetings repeat;
    - per person: someone at tables of at least s_min meets r(s_min − 1) people over the café but
      there are only n − 1 others; each repeat is shared by two people.
    """
    if people < 2 or tables < 1 or rounds < 1:
        return 0
    base, extra = divmod(people, tables)
    sizes = [base + 1] * extra + [base] * (tables - extra)

    def even_pairs(size: int, groups: int) -> int:
        q, r = divmod(size, groups)
        return r * math.comb(q + 1, 2) + (groups - r) * math.comb(q, 2)

    pigeonhole = (rounds - 1) * sum(even_pairs(s, tables) for s in sizes)
    pairs = rounds * sum(math.comb(s, 2) for s in sizes) - math.comb(people, 2)
    smallest = min(sizes)
    per_person = math.ceil(people * max(0, rounds * (smallest - 1) - (people - 1)) / 2)
    return max(0, pigeonhole, pairs, per_person)


# -- the engine ------------------------------------------------------------------------------


def _weights(apart: Sequence[tuple[int, int]], met: Mapping[int, set[int]]) -> dict[int, dict[int, int]]:
    """The cost of each pair sharing a table: 1 if they met before, APART if they must not."""
    weights: dict[int, dict[int, int]] = {p: dict.fromkeys(others, 1) for p, others in met.items()}
    for a, b in apart:
        if a != b:
            weights.setdefault(a, {})[b] = APART
            weights.setdefault(b, {})[a] = APART
    return weights


def _units(people: Sequence[int], together: Sequence[tuple[int, int]]) -> list[list[int]]:
    """People grouped by keep-together (joined transitively), each group in the order given."""
    present = set(people)
    parent = {p: p for p in people}

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for a, b in together:
        if a in present and b in present:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for p in people:
        groups.setdefault(root(p), []).append(p)
    return list(groups.values())


def _cost(seating: Sequence[Sequence[int]], weights: Mapping[int, Mapping[int, int]]) -> int:
    return sum(weights.get(a, {}).get(b, 0) for table in seating for a, b in itertools.combinations(table, 2))


def _keeps(seating: Sequence[Sequence[int]], hosts: Mapping[int, int], units: Sequence[Sequence[int]]) -> bool:
    where = {p: t for t, table in enumerate(seating) for p in table}
    return all(where.get(p) == t for t, p in hosts.items()) and all(len({where[p] for p in u}) == 1 for u in units)


class _Floor:
    """A seating being built: who sits where, each table's size within an even split, and for each
    person the cost of sitting at each table (kept up to date as people are placed and moved)."""

    def __init__(self, people: Sequence[int], tables: int, weights: Mapping[int, Mapping[int, int]]) -> None:
        self.tables = tables
        self.base, self.extra = divmod(len(people), tables)
        self.weights = weights
        self.members: list[list[int]] = [[] for _ in range(tables)]
        self.where: dict[int, int] = {}
        self.conflict: dict[int, list[int]] = {p: [0] * tables for p in people}
        self.large = 0  # tables holding base + 1

    def room(self, table: int, count: int = 1) -> bool:
        """Whether `count` more fit at `table` without spoiling the even split."""
        size = len(self.members[table]) + count
        if size <= self.base:
            return True
        if size > self.base + 1:
            return False
        already = len(self.members[table]) > self.base
        return already or self.large < self.extra

    def place(self, person: int, table: int) -> None:
        if len(self.members[table]) == self.base:
            self.large += 1
        self.members[table].append(person)
        self.where[person] = table
        conflict = self.conflict
        for other, weight in self.weights.get(person, {}).items():
            row = conflict.get(other)
            if row is not None:
                row[table] += weight

    def lift(self, person: int) -> None:
        table = self.where.pop(person)
        self.members[table].remove(person)
        if len(self.members[table]) == self.base:
            self.large -= 1
        conflict = self.conflict
        for other, weight in self.weights.get(person, {}).items():
            row = conflict.get(other)
            if row is not None:
                row[table] -= weight

    def seat_if_room(self, unit: Sequence[int], table: int) -> bool:
        """Seat a group at the table it asked for, if it has room and breaks no keep-apart there."""
        if not self.room(table, len(unit)) or sum(self.conflict[p][table] for p in unit) >= APART:
            return False
        for person in unit:
            self.place(person, table)
        return True

    def place_unit(self, unit: Sequence[int], preferred: int | None, rng: random.Random) -> None:
        """Seat a group at its preferred table if it has room and breaks no keep-apart there, else
        at the table where it meets the fewest people it should not, then the least full."""
        if not unit:
            return
        fits = [t for t in range(self.tables) if self.room(t, len(unit))]
        if not fits:
            for person in unit:  # a group larger than any table can take: seat its people one by one
                self.place_unit([person], preferred, rng)
            return

        def cost(table: int) -> int:
            return sum(self.conflict[p][table] for p in unit)

        if preferred is not None and preferred in fits and cost(preferred) < APART:
            table = preferred
        else:
            offset = rng.randrange(self.tables)
            table = min(fits, key=lambda t: (cost(t), len(self.members[t]), (t + offset) % self.tables))
        for person in unit:
            self.place(person, table)

    def improve(self, movable: set[int], rng: random.Random) -> None:
        """Seeded local search: a person in conflict swaps with someone (or moves, where the split
        allows) to the change that lowers the total cost most; stop when a pass finds nothing."""
        conflict, weights, members, where = self.conflict, self.weights, self.members, self.where
        order = sorted(movable)
        for _ in range(_PASSES):
            rng.shuffle(order)
            better = False
            for a in order:
                home = where[a]
                mine = conflict[a]
                here = mine[home]
                if here == 0:
                    continue
                best_delta, best_move = 0, cast(tuple[int, int | None] | None, None)
                mine_w = weights.get(a, {})
                for table in range(self.tables):
                    if table == home or mine[table] >= here:
                        continue
                    if self.can_move(home, table):
                        delta = mine[table] - here
                        if delta < best_delta:
                            best_delta, best_move = delta, (table, None)
                    for b in members[table]:
                        if b not in movable:
                            continue
                        w = mine_w.get(b, 0)
                        theirs = conflict[b]
                        delta = mine[table] + theirs[home] - 2 * w - here - theirs[table]
                        if delta < best_delta:
                            best_delta, best_move = delta, (table, b)
                if best_move is None:
                    continue
                target, partner = best_move
                self.lift(a)
                if partner is not None:
                    self.lift(partner)
                    self.place(partner, home)
                self.place(a, target)
                better = True
            if not better:
                return

    def can_move(self, source: int, target: int) -> bool:
        """One person may move from a large table to a small one and keep the split even."""
        return len(self.members[source]) == self.base + 1 and len(self.members[target]) == self.base

    def cost(self) -> int:
        return sum(self.conflict[p][t] for p, t in self.where.items()) // 2

    def seating(self) -> Seating:
        return [sorted(table) for table in self.members]
