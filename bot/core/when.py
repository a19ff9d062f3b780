"""Reading a café's start time as an organiser types it.

dateparser (a maintained library) reads what people type — `3 Dec 6.30pm`, `next Tuesday 7pm`,
`tomorrow 18:00`, `in an hour`, `Saturday at noon` — in the server's zone, preferring the
future, day-first because Blether's people write 5/12/2026 for the fifth of December.

A parser that understands part of a text and fills in the rest is the danger (`tomorrow at
7.45pm` read as tomorrow at noon), so every result is checked against what was written: a time
of day that was typed must be the time read, a year typed must be the year read, and a date
with no time of day is refused rather than guessed. Local times that do not exist or happen
twice when the clocks change are refused with the reason, never moved silently.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: "5" or "5th" alone: a parser would read the 5th of this month at midnight.
_BARE_NUMBER = re.compile(r"^[+-]?\d+(?:st|nd|rd|th)?\.?$", re.IGNORECASE)
#: "in 30 minutes", "in an hour", "2 hours from now": time that elapses, counted from now in UTC
#: so a clock change in between does not move it.
_ELAPSED = re.compile(r"^\s*in\s+|\bfrom\s+now\b|\blater\b", re.IGNORECASE)
#: A time of day as people type it: 6.30pm, 6:30 pm, 7pm, 18:30, 18.30, 18h30, noon, midnight.
_CLOCK = re.compile(
    r"(?<![\d/.:-])(?P<hour>\d{1,2})(?:\s*[:.h]\s*(?P<minute>\d{2}))?\s*(?P<half>[ap]\.?m\.?)?(?![\d/.:-])"
    r"|\b(?P<word>noon|midday|midnight)\b",
    re.IGNORECASE,
)
#: A dotted time with am/pm ("6.30pm"): the dot is the same as a colon, and the parser reads
#: the colon form in every position, so it is given that form.
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{2})\s*([ap]\.?m\.?)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
#: Longer than any start time anyone types; the parser's time grows with the text.
_MAX_TEXT: Final = 100
#: How far ahead a café may be scheduled: further than this is a mistyped year.
MAX_AHEAD: Final = timedelta(days=5 * 366)
#: The longest IANA zone name is about 30 characters.
_MAX_ZONE_NAME: Final = 64
#: Files in the zone database that are not places: copies under other rules, the host's own
#: setting, and a placeholder zone.
_NOT_PLACES: Final = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES: Final = ("posix/", "right/")
EXAMPLES: Final = "`3 Dec 6.30pm`, `next Tuesday 7pm`, `tomorrow 18:00`, `2026-12-05 18:30` or `in 30 minutes`"


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


@dataclass(frozen=True)
class _Clock:
    """A time of day written in the text, as (hour, minute) on a 24-hour clock."""

    written: str
    hour: int
    minute: int


def _clocks(text: str) -> list[_Clock]:
    """Every time of day written in `text`. A lone number is a time only with am/pm; 18:30 and
    18h30 are times by their form."""
    found: list[_Clock] = []
    for match in _CLOCK.finditer(text):
        if match["word"]:
            word = match["word"].lower()
            found.append(_Clock(match[0], 0 if word == "midnight" else 12, 0))
            continue
        hour, minute, half = int(match["hour"]), match["minute"], match["half"]
        if half is None and minute is None:
            continue  # a day of the month, not a time
        if half is not None:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if half.lower().startswith("p") else 0)
        found.append(_Clock(match[0].strip(), hour, int(minute or 0)))
    return found


def parse_start(text: str, timezone: str, now: datetime) -> datetime:
    """An aware datetime (in `now`'s zone) for `text`, read in `timezone`; it must be in the future.

    Every mistake ends in :class:`WhenError` saying what was understood and what to write
    instead, never another error. CPU-bound (the parser): services call it off the event loop.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise WhenError(f"Give a start time, for example {EXAMPLES}.")
    if len(cleaned) > _MAX_TEXT:
        raise WhenError(f"That is too long for a start time. Write it like {EXAMPLES}.")
    try:
        zone = ZoneInfo(valid_timezone(timezone))
    except TimezoneError as exc:
        raise WhenError(f"This server's time zone needs fixing first: {exc}") from exc
    if _BARE_NUMBER.match(cleaned):
        raise WhenError(f"{cleaned!r} on its own is not a start time. Give a date and time, e.g. {EXAMPLES}.")
    normalised = _DOTTED.sub(r"\1:\2\3", cleaned)
    clocks = _clocks(normalised)
    if len({(c.hour, c.minute) for c in clocks}) > 1:
        raise WhenError(f"{cleaned!r} has more than one time of day ({', '.join(c.written for c in clocks)}). "
                        f"Give one, e.g. {EXAMPLES}.")
    elapsed = bool(_ELAPSED.search(normalised)) and not clocks
    unreadable = WhenError(f"I couldn't read {cleaned!r} as a date and time (in {timezone}). Try {EXAMPLES}.")
    base = now.astimezone(UTC) if elapsed else now.astimezone(zone)
    try:
        parsed = _parse(normalised, base.replace(tzinfo=None))
    except (ValueError, OverflowError, TypeError, ArithmeticError) as exc:
        raise unreadable from exc
    if parsed is None:
        raise unreadable
    if parsed.tzinfo is not None:
        moment = parsed.astimezone(UTC)
    elif elapsed:
        moment = parsed.replace(tzinfo=UTC)
    else:
        _check_written(cleaned, parsed, clocks, timezone)
        moment = attach_local(parsed, zone, timezone)
    try:
        ahead = moment - now
    except OverflowError as exc:
        raise unreadable from exc
    if ahead > MAX_AHEAD:
        raise WhenError(_too_far(timezone))
    if moment <= now:
        raise WhenError(f"{describe(moment, timezone)} is in the past. Choose a time that has not happened yet.")
    return moment.astimezone(now.tzinfo)


def _parse(text: str, base: datetime) -> datetime | None:
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY",
                "PREFER_DAY_OF_MONTH": "first"}
    if re.match(r"^\d{4}[-/.]", text):
        settings["DATE_ORDER"] = "YMD"
    # Imported here, not at start-up: dateparser's import costs more than the rest of bot.core, and
    # only reading a typed time needs it.
    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["en"], settings=settings)
    result: datetime | None = parser.get_date_data(text).date_obj
    return result


def _check_written(text: str, parsed: datetime, clocks: list[_Clock], timezone: str) -> None:
    """Refuse a reading that dropped or changed a part of what was typed."""
    understood = f"{parsed:%A} {parsed.day} {parsed:%B %Y at %H:%M} ({timezone})"
    if not clocks:
        raise WhenError(f"I understood the day as {parsed:%A} {parsed.day} {parsed:%B %Y}, but not a time of "
                        f"day. Add one, e.g. {EXAMPLES}.")
    clock = clocks[0]
    if (parsed.hour, parsed.minute) != (clock.hour, clock.minute):
        raise WhenError(f"I understood {understood}, which is not the {clock.written} you wrote, so I won't guess. "
                        f"Write it another way, e.g. {EXAMPLES}.")
    years = {int(y) for y in _YEAR.findall(text)} - {c.hour * 100 + c.minute for c in clocks}
    if years and parsed.year not in years:
        raise WhenError(f"I understood {understood}, which is not in the year you wrote. Write it like "
                        f"`2026-12-03 18:30`.")


def attach_local(local: datetime, zone: ZoneInfo, timezone: str) -> datetime:
    """The instant of wall time `local` in `zone`; a time the clocks skip or repeat is refused."""
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    when = f"{local:%H:%M} on {local:%A} {local.day} {local:%B %Y}"
    if first.utcoffset() != second.utcoffset():
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
            raise WhenError(f"{when} does not exist in {timezone}: the clocks go forward that night. "
                            "Choose a time outside the change, e.g. an hour later.")
        raise WhenError(f"{when} happens twice in {timezone}: the clocks go back that night. "
                        "Choose a time outside the change, e.g. an hour later.")
    return first


def parse_until(text: str, timezone: str, now: datetime) -> datetime:
    """The last day of a series, read like a start time; a date with no time of day means the end
    of that day in the server's zone (`31 Dec` keeps a café at 19:00 on the 31st)."""
    cleaned = " ".join(text.split())
    if cleaned and not _clocks(_DOTTED.sub(r"\1:\2\3", cleaned)) and not _ELAPSED.search(cleaned):
        cleaned = f"{cleaned} 23:59"
    return parse_start(cleaned, timezone, now)


def _too_far(timezone: str) -> str:
    return (
        f"That is more than {MAX_AHEAD.days // 366} years away; check the year. Give a date like "
        f"`2026-12-05 18:30` (in {timezone})."
    )


def describe(moment: datetime, timezone: str) -> str:
    """'Saturday 5 December 2026 at 18:30 (Europe/London)'."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M} ({timezone})"


def stamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each reader's app shows it in their own zone and language
    (F: 'Saturday, 5 December 2026 18:30'; R: 'in 2 hours'; t: '18:30')."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def stamps(moment: datetime) -> str:
    """The full date and time, then how far away it is: '<t:…:F> (<t:…:R>)'."""
    return f"{stamp(moment, 'F')} ({stamp(moment, 'R')})"


_REMINDER_ITEM = re.compile(r"^(\d{1,5})\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)$", re.IGNORECASE)
#: Discord lets a reminder be no earlier than this before a start: a year ahead is the limit anyway.
MAX_REMINDER_MINUTES: Final = 30 * 24 * 60
MAX_REMINDERS: Final = 5


def parse_reminders(text: str) -> tuple[int, ...]:
    """'24h, 15m' → (1440, 15): reminder times as minutes before the start; 'none' → ()."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "no", "off"):
        return ()
    minutes: set[int] = set()
    for item in (part.strip() for part in cleaned.split(",")):
        match = _REMINDER_ITEM.match(item)
        if match is None:
            raise WhenError(f"{item[:30]!r} is not a reminder time. Write them like `24h, 15m` (or `none`).")
        amount, unit = int(match.group(1)), match.group(2)[0]
        value = amount * (1440 if unit == "d" else 60 if unit == "h" else 1)
        if not 1 <= value <= MAX_REMINDER_MINUTES:
            raise WhenError(f"{item!r}: a reminder must be between 1 minute and 30 days before the start.")
        minutes.add(value)
    if len(minutes) > MAX_REMINDERS:
        raise WhenError(f"At most {MAX_REMINDERS} reminders per café.")
    return tuple(sorted(minutes, reverse=True))
