"""Time as the domain sees it, so a rehearsal can run a one-hour café in under a minute.

A scheduled step is due at a *café* time; the scheduler needs the *wall-clock* moment to fire.
The real clock maps one to one; the compressed clock runs café time `speed` times faster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def to_wall(self, moment: datetime) -> datetime: ...

    def wall_seconds(self, cafe_seconds: float) -> float: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


class RealClock:
    """Café time is wall time."""

    def now(self) -> datetime:
        return utcnow()

    def to_wall(self, moment: datetime) -> datetime:
        return moment

    def wall_seconds(self, cafe_seconds: float) -> float:
        return cafe_seconds


@dataclass
class CompressedClock:
    """Café time starting at `origin` and running `speed` times faster than the wall clock."""

    origin: datetime
    speed: float
    _wall_origin: datetime = field(default_factory=utcnow)

    def now(self) -> datetime:
        elapsed = (utcnow() - self._wall_origin).total_seconds()
        return self.origin + timedelta(seconds=elapsed * self.speed)

    def to_wall(self, moment: datetime) -> datetime:
        return self._wall_origin + timedelta(seconds=(moment - self.origin).total_seconds() / self.speed)

    def wall_seconds(self, cafe_seconds: float) -> float:
        return cafe_seconds / self.speed


def to_iso(moment: datetime) -> str:
    """The one text form of a time in the database: UTC, ISO 8601, microseconds kept."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware one")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
