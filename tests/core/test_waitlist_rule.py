"""The waitlist rule (bot/core/waitlist.py), driven through random lives of a café.

A model café applies the rule after every event (a yes, a can't come from someone coming or
waiting, a held place taken or lapsing) the way the RSVP service does: decide the yes with
`join`, then offer `offers_due` places to the first people waiting. Whatever happens, nobody is
overbooked, nobody jumps the queue, no place idles while someone waits, and nobody is offered a
place twice for one wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.waitlist import DEFAULT_HOLD, Places, hold_until, join, offers_due

EVENTS = ("join", "cant_come_coming", "cant_come_waiting", "take", "lapse")


@dataclass
class ModelCafe:
    capacity: int | None
    going: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    offered: list[int] = field(default_factory=list)
    #: (person, wait number) → times offered during that wait
    offers: dict[tuple[int, int], int] = field(default_factory=dict)
    waits: dict[int, int] = field(default_factory=dict)
    next_person: int = 0

    @property
    def places(self) -> Places:
        return Places(self.capacity, len(self.going), len(self.offered), len(self.waiting))

    def refill(self) -> None:
        due = offers_due(self.places)
        chosen, self.waiting = self.waiting[:due], self.waiting[due:]
        for person in chosen:
            key = (person, self.waits[person])
            self.offers[key] = self.offers.get(key, 0) + 1
        self.offered.extend(chosen)

    def apply(self, event: str, pick: int) -> None:
        if event == "join":
            person, self.next_person = self.next_person, self.next_person + 1
            waiting_before = len(self.waiting)
            outcome = join(self.places)
            if outcome.seated:
                assert waiting_before == 0, "a newcomer took a place while someone waited"
                self.going.append(person)
            else:
                assert outcome.position == waiting_before + 1, "the queue is first come, first served"
                self.waits[person] = self.waits.get(person, 0) + 1
                self.waiting.append(person)
        elif event == "cant_come_coming" and self.going:
            self.going.pop(pick % len(self.going))
        elif event == "cant_come_waiting" and self.waiting:
            self.waiting.pop(pick % len(self.waiting))
        elif event == "take" and self.offered:
            self.going.append(self.offered.pop(pick % len(self.offered)))
        elif event == "lapse" and self.offered:
            self.offered.pop(pick % len(self.offered))
        self.refill()


@given(capacity=st.one_of(st.none(), st.integers(1, 6)),
       events=st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 100)), max_size=80))
def test_any_life_of_a_cafe_keeps_the_rule(capacity: int | None, events: list[tuple[str, int]]) -> None:
    cafe = ModelCafe(capacity)
    for event, pick in events:
        first_waiting = list(cafe.waiting)
        cafe.apply(event, pick)
        places = cafe.places
        if capacity is None:
            assert not cafe.waiting and not cafe.offered, "no limit: nobody ever waits"
            continue
        assert places.going + places.held <= capacity, "overbooked"
        assert places.free == 0 or places.waiting == 0, "a place idles while someone waits"
        newly_offered = [p for p in first_waiting if p not in cafe.waiting and p in cafe.offered]
        assert newly_offered == first_waiting[:len(newly_offered)], "offers go to the front of the queue"
        assert all(n == 1 for n in cafe.offers.values()), "offered twice for one wait"
        assert places.places_left is not None and places.places_left >= 0


@given(capacity=st.integers(1, 50), going=st.integers(0, 60), held=st.integers(0, 10), waiting=st.integers(0, 10))
def test_counts_never_go_negative_and_offers_never_exceed_those_waiting(capacity: int, going: int, held: int,
                                                                        waiting: int) -> None:
    places = Places(capacity, going, held, waiting)
    assert places.free is not None and places.free >= 0
    assert 0 <= offers_due(places) <= waiting
    assert (join(places).seated) == (places.places_left is not None and places.places_left > 0)


@given(now_offset=st.integers(-600, 600), hold_minutes=st.integers(1, 10_000))
def test_a_hold_ends_after_now_and_never_past_the_start_or_the_end(now_offset: int, hold_minutes: int) -> None:
    starts_at = datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    ends_at = starts_at + timedelta(minutes=90)
    now = starts_at + timedelta(minutes=now_offset)
    hold = timedelta(minutes=hold_minutes)
    until = hold_until(now, starts_at, ends_at, hold)
    assert until <= now + hold
    if now < starts_at:
        assert now < until <= starts_at
    elif now < ends_at:
        assert now < until <= ends_at


def test_the_default_hold_is_two_hours_or_until_the_start() -> None:
    starts_at = datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    ends_at = starts_at + timedelta(hours=1)
    assert hold_until(starts_at - timedelta(hours=5), starts_at, ends_at) == starts_at - timedelta(hours=3)
    assert hold_until(starts_at - timedelta(minutes=30), starts_at, ends_at) == starts_at
    assert DEFAULT_HOLD == timedelta(hours=2)
    with pytest.raises(ValueError):
        hold_until(starts_at, starts_at, ends_at, timedelta(0))


def test_impossible_places_are_refused() -> None:
    with pytest.raises(ValueError):
        Places(0, 0)
    with pytest.raises(ValueError):
        Places(3, -1)
