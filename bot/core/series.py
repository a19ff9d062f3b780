"""A café that repeats: the dates of a series, kept at the same local time.

Organisers think in wall time ("every Tuesday at 7pm, London time"), so each occurrence is the
first one's local date and time moved on by whole days, then turned back into an instant in the
server's zone. A weekly café across the October change therefore stays at 19:00 local and moves
by an hour in UTC. An occurrence whose local time the clocks skip or repeat is refused with its
date, never moved silently (the same rule as a single start, `bot.core.when`).

The run is bounded: at most `MAX_OCCURRENCES`, none further ahead than the caller allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from bot.core.when import WhenError, attach_local, describe

#: A year of weekly cafés; more is a different plan (and more than Discord's 100 live events).
MAX_OCCURRENCES: Final = 52
#: The longest gap between two occurrences that `every N days` accepts.
MAX_EVERY_DAYS: Final = 365


class RepeatKind(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    DAYS = "days"


class SeriesError(ValueError):
    """A repeat that cannot be made; the message says what to change."""


@dataclass(frozen=True)
class Repeat:
    """How often a café repeats (every `every_days` days) and how many times or until when."""

    every_days: int
    count: int | None = None
    until: datetime | None = None

    @property
    def label(self) -> str:
        if self.every_days == 7:
            return "weekly"
        if self.every_days == 14:
            return "fortnightly"
        return f"every {self.every_days} days"


def make_repeat(kind: str, *, every_days: int | None, count: int | None, until: datetime | None) -> Repeat:
    """Check the organiser's options: a count or an end date (one of them), and a sensible gap."""
    try:
        repeat_kind = RepeatKind(kind)
    except ValueError:
        raise SeriesError(f"{kind[:20]!r} is not a repeat. Choose weekly, fortnightly or every N days.") from None
    if repeat_kind is RepeatKind.DAYS:
        if every_days is None:
            raise SeriesError("Say how many days apart with `every_days` (e.g. 10), or choose weekly or fortnightly.")
        if not 1 <= every_days <= MAX_EVERY_DAYS:
            raise SeriesError(f"`every_days` must be between 1 and {MAX_EVERY_DAYS} (you gave {every_days}).")
        days = every_days
    else:
        if every_days is not None:
            raise SeriesError("`every_days` goes with the repeat “every N days”; leave it out for weekly or "
                              "fortnightly.")
        days = 7 if repeat_kind is RepeatKind.WEEKLY else 14
    if (count is None) == (until is None):
        raise SeriesError("A repeating café needs either `count` (how many cafés) or `until` (the last date), "
                          "not both and not neither.")
    if count is not None and not 2 <= count <= MAX_OCCURRENCES:
        raise SeriesError(f"`count` must be between 2 and {MAX_OCCURRENCES} (you gave {count}).")
    return Repeat(days, count, until)


def occurrences(first: datetime, timezone: str, repeat: Repeat, *, latest: datetime) -> list[datetime]:
    """Every start of the series, the first included, as aware instants in `first`'s zone.

    Each is `first`'s local wall time, `repeat.every_days` days on. Refused: an end date before
    the second occurrence, more than `MAX_OCCURRENCES`, an occurrence after `latest` (the
    caller's horizon), or a local time that the clocks skip or repeat on an occurrence's day.
    """
    zone = ZoneInfo(timezone)
    local = first.astimezone(zone).replace(tzinfo=None)
    starts: list[datetime] = []
    number = 0
    while True:
        wall = local + timedelta(days=number * repeat.every_days)
        if repeat.count is not None and number >= repeat.count:
            break
        if repeat.until is not None:
            until_local = repeat.until.astimezone(zone).replace(tzinfo=None)
            if wall > until_local:
                break
        if len(starts) >= MAX_OCCURRENCES:
            raise SeriesError(f"That makes more than {MAX_OCCURRENCES} cafés. Choose an earlier `until` or a "
                              "smaller `count`.")
        try:
            moment = attach_local(wall, zone, timezone)
        except WhenError as exc:
            raise SeriesError(f"Café {number + 1} of the series: {exc}") from exc
        if moment > latest:
            raise SeriesError(f"Café {number + 1} of the series, {describe(moment, timezone)}, is more than a year "
                              "ahead. Schedule a series up to a year in advance: choose a smaller `count` or an "
                              "earlier `until`.")
        starts.append(moment.astimezone(first.tzinfo))
        number += 1
    if len(starts) < 2:
        raise SeriesError("`until` comes before the second café, so there is nothing to repeat. Choose a later "
                          "date, or schedule one café without `repeat`.")
    return starts
