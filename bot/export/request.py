"""What an organiser asks to export, checked before any file is touched.

Checking up front (rather than failing half-way through writing) is what lets a bad request
leave nothing behind and come back as a message that says what to fix (invariant 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Format = Literal["csv", "jsonl", "md", "html", "qdpx", "qdc", "feedback"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "md", "html", "qdpx", "qdc", "feedback")
#: What an export writes unless told otherwise, on the host and in Discord alike.
DEFAULT_FORMATS: tuple[str, ...] = ("csv", "jsonl", "md", "html", "qdpx", "feedback")
SourcePer = Literal["room_round", "session"]
#: No café has more rounds or rooms than this; a bigger number is a typo.
MAX_NUMBER = 1000


class ExportError(ValueError):
    """A request the exporter cannot honour; the message tells the organiser what to change."""


# The choices as people type them, parsed the same way for `blether export` and `/cafe export`.


def parse_numbers(text: str) -> tuple[int, ...]:
    """Round or room numbers like ``1,3``."""
    try:
        numbers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ExportError(f"expected numbers separated by commas, like 1,3 (got {text[:40]!r})") from None
    if len(numbers) > MAX_NUMBER or any(not 1 <= n <= MAX_NUMBER for n in numbers):
        raise ExportError(f"expected numbers from 1 to {MAX_NUMBER}, like 1,3 (got {text[:40]!r})")
    return numbers


def parse_day(text: str) -> date:
    """A session date like ``2024-06-30``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(f"expected a date like 2024-06-30 (got {text[:40]!r})") from None


def parse_formats(text: str) -> tuple[str, ...]:
    """Formats like ``csv,html``; unknown ones are reported by ``ExportRequest.validate``."""
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def parse_words(text: str) -> tuple[str, ...]:
    """Words or names to redact, separated by commas (a name may have spaces: ``Mary Ann, Bob``)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """The scope, filters and formats of one export run.

    Exactly one of ``session_id`` or ``series`` picks the sessions. ``scrub`` is ``None`` for
    the per-format default (on for the HTML report, which is the file most likely to be
    forwarded, off elsewhere), or ``True``/``False`` to force it for every format.
    """

    session_id: int | None = None
    series: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    rounds: tuple[int, ...] = ()
    rooms: tuple[int, ...] = ()
    key_points_only: bool = False
    quotes_only: bool = False
    scrub: bool | None = None
    redact: tuple[str, ...] = ()
    formats: tuple[str, ...] = DEFAULT_FORMATS
    qdpx_source_per: SourcePer = "room_round"

    def validate(self) -> None:
        """Raise ExportError naming the first thing to fix, or return when the request is sound."""
        if (self.session_id is None) == (self.series is None):
            raise ExportError("choose what to export: give a session id or a series name (not both)")
        if self.series is not None and not self.series.strip():
            raise ExportError("the series name is empty: give the series label as shown in the schedule")
        if not self.formats:
            raise ExportError(f"choose at least one format: {', '.join(FORMATS)}")
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ExportError(f"unknown format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ExportError(f"the date range is back to front: 'from' {self.date_from} is after 'to' {self.date_to}")
        if any(n < 0 for n in self.rounds):
            raise ExportError("round numbers start at 1: remove the negative round numbers")
        if any(n < 1 for n in self.rooms):
            raise ExportError("room numbers start at 1: remove room numbers below 1")
        if any(not word.strip() for word in self.redact):
            raise ExportError("a word to redact is empty: remove it or give the word")
        if self.qdpx_source_per not in ("room_round", "session"):
            raise ExportError("qdpx_source_per must be 'room_round' or 'session'")

    def scrubs(self, fmt: str) -> bool:
        """Whether contact details are scrubbed for this format."""
        return fmt == "html" if self.scrub is None else self.scrub

    def describe(self) -> str:
        """The scope as recorded in the exports table: filters, never the redacted words themselves."""
        parts = [f"session {self.session_id}" if self.session_id is not None else f"series {self.series!r}"]
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '…'}..{self.date_to or '…'}")
        if self.rounds:
            parts.append("rounds " + ",".join(map(str, self.rounds)))
        if self.rooms:
            parts.append("rooms " + ",".join(map(str, self.rooms)))
        if self.key_points_only:
            parts.append("key points only")
        if self.quotes_only:
            parts.append("quotes only")
        if self.scrub is not None:
            parts.append("scrubbed" if self.scrub else "not scrubbed")
        if self.redact:
            parts.append(f"{len(self.redact)} redacted word(s)")
        return "; ".join(parts)
