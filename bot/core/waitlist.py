"""The waitlist rule: who gets a place, who waits, and for how long a freed place is held.

Pure arithmetic over counts, so it can be property-tested on its own and the service only
records what it decides. A café's places are taken by people coming and by places *held* for
someone on the waitlist who was offered one; a newcomer never jumps the queue: while anyone
waits, a freed place is theirs to be offered first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

#: How long a freed place is held for the first person waiting, unless the café sets its own.
DEFAULT_HOLD = timedelta(hours=2)
#: Bounds for a café's own hold time, in minutes (a minute to a week).
MIN_HOLD_MINUTES = 1
MAX_HOLD_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Places:
    """A café's places as counts: its capacity (None: no limit), people coming, places held for
    someone offered one, and people waiting (not yet offered)."""

    capacity: int | None
    going: int
    held: int = 0
    waiting: int = 0

    def __post_init__(self) -> None:
        if min(self.going, self.held, self.waiting) < 0 or (self.capacity is not None and self.capacity < 1):
            raise ValueError(f"impossible places: {self}")

    @property
    def free(self) -> int | None:
        """Places nobody has or is being offered (None: no limit). Never below zero: a capacity
        lowered under the people already coming leaves them coming, with no place free."""
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.going - self.held)

    @property
    def places_left(self) -> int | None:
        """What the invitation shows: places a newcomer could still get without waiting."""
        free = self.free
        return None if free is None else max(0, free - self.waiting)


@dataclass(frozen=True)
class JoinOutcome:
    """A yes either takes a place (`position` None) or joins the waitlist at `position` (1 = next)."""

    position: int | None

    @property
    def seated(self) -> bool:
        return self.position is None


def join(places: Places) -> JoinOutcome:
    """A new yes: a place if one is left after everyone already waiting, else the end of the queue."""
    left = places.places_left
    if left is None or left > 0:
        return JoinOutcome(None)
    return JoinOutcome(places.waiting + 1)


def offers_due(places: Places) -> int:
    """How many of the first people waiting should be offered a place now: one per free place,
    never more than are waiting (so a place is never offered twice at once)."""
    free = places.free
    if free is None:
        return 0
    return min(free, places.waiting)


def hold_until(now: datetime, starts_at: datetime, ends_at: datetime, hold: timedelta = DEFAULT_HOLD) -> datetime:
    """When an offered place passes to the next person: after `hold`, or at the start if that is
    sooner. Once the café is under way the start has passed, so the hold runs its length but
    never past the café's end (a latecomer's place is worth having only while it runs)."""
    if hold <= timedelta(0):
        raise ValueError("a hold must last some time")
    if now < starts_at:
        return min(now + hold, starts_at)
    return min(now + hold, max(ends_at, now))
