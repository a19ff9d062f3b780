"""Reading a café's start time as an organiser types it.

dateutil reads the many ways people write a date; day-first because Blether's people write
5/12/2026 for the fifth of December. The confirmation always shows the weekday and the zone,
so a misread date is seen before anyone is invited.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil import parser as date_parser

_RELATIVE = re.compile(r"^in\s+(\d{1,4})\s*(minutes?|mins?|hours?|hrs?|days?)$", re.IGNORECASE)
# A date that starts with the year (2026-12-05) is ISO order, never year-day-month.
_YEAR_FIRST = re.compile(r"^\d{4}[-/.]")
#: "5" or "5th" alone: dateutil would read the 5th of this month at midnight.
_BARE_NUMBER = re.compile(r"^[+-]?\d+(?:st|nd|rd|th)?\.?$", re.IGNORECASE)
#: Longer than any start time anyone types; dateutil's time grows with the text.
_MAX_TEXT: Final = 100
#: How far ahead a café may be scheduled: further than this is a mistyped year.
MAX_AHEAD: Final = timedelta(days=5 * 366)
#: The longest IANA zone name is about 30 characters.
_MAX_ZONE_NAME: Final = 64
#: Files in the zone database that are not places: copies under other rules, the host's own
#: setting, and a placeholder zone.
_NOT_PLACES: Final = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES: Final = ("posix/", "right/")


class WhenError(ValueError):
    pass


class TimezoneError(ValueError):
    """A time zone name a server may not use; the message says what to write instead."""


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(
        name for name in available_timezones() if name not in _NOT_PLACES and not name.startswith(_NOT_PLACE_PREFIXES)
    )


def valid_timezone(name: str) -> str:
    """The IANA zone ``name`` (trimmed), or :class:`TimezoneError` saying what to write.

    Only names of places from the zone database are accepted: not a path, not ``localtime``
    (the host's zone, which changes with the host), not the ``posix/``/``right/`` copies.
    Reads the zone database once (cached) the first time it is called.
    """
    cleaned = name.strip()
    hint = "Use an IANA time zone name such as Europe/London or Europe/Dublin."
    if not cleaned:
        raise TimezoneError(f"Give a time zone. {hint}")
    if len(cleaned) > _MAX_ZONE_NAME:
        raise TimezoneError(f"That time zone name is {len(cleaned)} characters long; no zone's name is. {hint}")
    if cleaned not in _zone_names():
        close = difflib.get_close_matches(cleaned, sorted(_zone_names()), n=1)
        suggestion = f" Did you mean {close[0]}?" if close else ""
        raise TimezoneError(f"{cleaned!r} is not a time zone Blether can use.{suggestion} {hint}")
    try:
        ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimezoneError(f"{cleaned!r} could not be loaded from the time zone database. {hint}") from exc
    return cleaned


def parse_start(text: str, timezone: str, now: datetime) -> datetime:
    """An aware UTC datetime for `text`, read in `timezone`; it must be in the future.

    Every mistake ends in :class:`WhenError` with what to write instead, never another error.
    """
    cleaned = text.strip()
    if not cleaned:
        raise WhenError("Give a start time, for example `2026-12-05 18:30` or `in 30 minutes`.")
    if len(cleaned) > _MAX_TEXT:
        raise WhenError("That is too long for a start time. Write it like `2026-12-05 18:30` or `in 30 minutes`.")
    try:
        zone = ZoneInfo(valid_timezone(timezone))
    except TimezoneError as exc:
        raise WhenError(f"This server's time zone needs fixing first: {exc}") from exc
    if _BARE_NUMBER.match(cleaned):
        raise WhenError(
            f"{cleaned!r} on its own is not a start time. Give a date and time, e.g. `2026-12-05 18:30`, "
            "or `in 30 minutes`."
        )
    relative = _RELATIVE.match(cleaned)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        delta = (
            timedelta(minutes=amount) if unit.startswith("m")
            else timedelta(hours=amount) if unit.startswith("h") else timedelta(days=amount)
        )
        if not delta:
            raise WhenError("That is now, not later. Give a time that has not happened yet, e.g. `in 30 minutes`.")
        if delta > MAX_AHEAD:
            raise WhenError(_too_far(timezone))
        return now + delta
    unreadable = WhenError(
        f"I couldn't read {cleaned!r} as a date and time. Try `2026-12-05 18:30` (in {timezone}) "
        "or `in 30 minutes`."
    )
    try:
        midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        parsed = date_parser.parse(cleaned, dayfirst=not _YEAR_FIRST.match(cleaned), default=midnight)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        ahead = parsed - now
    except (ValueError, OverflowError, TypeError) as exc:
        # dateutil reports nonsense as ValueError, huge numbers as OverflowError, and an
        # offset it cannot build (``+99:99``) as either; a date at the edge of the calendar
        # overflows when compared with now.
        raise unreadable from exc
    if ahead > MAX_AHEAD:
        raise WhenError(_too_far(timezone))
    if parsed <= now:
        local = parsed.astimezone(zone)
        raise WhenError(
            f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({timezone}) is in the past. "
            "Choose a time that has not happened yet."
        )
    return parsed.astimezone(now.tzinfo)


def _too_far(timezone: str) -> str:
    return (
        f"That is more than {MAX_AHEAD.days // 366} years away; check the year. Give a date like "
        f"`2026-12-05 18:30` (in {timezone})."
    )


def describe(moment: datetime, timezone: str) -> str:
    """'Saturday 5 December 2026 at 18:30 (Europe/London)'."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({timezone})"
