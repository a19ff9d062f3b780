"""Reading a café's start time as an organiser types it.

dateutil reads the many ways people write a date; day-first because Blether's people write
5/12/2026 for the fifth of December. The confirmation always shows the weekday and the zone,
so a misread date is seen before anyone is invited.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

_RELATIVE = re.compile(r"^in\s+(\d{1,4})\s*(minutes?|mins?|hours?|hrs?|days?)$", re.IGNORECASE)
# A date that starts with the year (2026-12-05) is ISO order, never year-day-month.
_YEAR_FIRST = re.compile(r"^\d{4}[-/.]")


class WhenError(ValueError):
    pass


def parse_start(text: str, timezone: str, now: datetime) -> datetime:
    """An aware UTC datetime for `text`, read in `timezone`; it must be in the future."""
    cleaned = text.strip()
    if not cleaned:
        raise WhenError("Give a start time, for example `2026-12-05 18:30` or `in 30 minutes`.")
    zone = ZoneInfo(timezone)
    relative = _RELATIVE.match(cleaned)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        delta = (
            timedelta(minutes=amount) if unit.startswith("m")
            else timedelta(hours=amount) if unit.startswith("h") else timedelta(days=amount)
        )
        if not delta:
            raise WhenError("That is now, not later. Give a time that has not happened yet, e.g. `in 30 minutes`.")
        return now + delta
    try:
        midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        parsed = date_parser.parse(cleaned, dayfirst=not _YEAR_FIRST.match(cleaned), default=midnight)
    except (ValueError, OverflowError) as exc:
        raise WhenError(
            f"I couldn't read {cleaned!r} as a date and time. Try `2026-12-05 18:30` (in {timezone}) "
            "or `in 30 minutes`."
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if parsed <= now:
        local = parsed.astimezone(zone)
        raise WhenError(
            f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({timezone}) is in the past. "
            "Choose a time that has not happened yet."
        )
    return parsed.astimezone(now.tzinfo)


def describe(moment: datetime, timezone: str) -> str:
    """'Saturday 5 December 2026 at 18:30 (Europe/London)'."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({timezone})"
