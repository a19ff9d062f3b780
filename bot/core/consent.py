"""The consent rule: what a person has agreed to at a given moment, from their ledger.

Nobody is recorded by default. Recording is on only while the latest of their record /
decline / withdraw choices made at or before that moment is "record"; quoting is a separate
choice that a withdrawal also ends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Choice(StrEnum):
    RECORD = "record"
    DECLINE = "decline"
    QUOTE = "quote"
    NO_QUOTE = "no_quote"
    WITHDRAW = "withdraw"


class Source(StrEnum):
    BUTTON = "button"
    COMMAND = "command"
    REHEARSAL = "rehearsal"
    SYSTEM = "system"


RECORDING_CHOICES = frozenset({Choice.RECORD, Choice.DECLINE, Choice.WITHDRAW})
QUOTE_CHOICES = frozenset({Choice.QUOTE, Choice.NO_QUOTE})


@dataclass(frozen=True)
class LedgerEntry:
    choice: Choice
    recorded_at: datetime
    text_version: str


@dataclass(frozen=True)
class ConsentState:
    """A person's standing in one session at one moment."""

    decided: bool
    recording: bool
    quote: bool
    withdrawn: bool
    text_version: str | None

    @property
    def label(self) -> str:
        if not self.decided:
            return "not chosen yet (not recorded)"
        if self.withdrawn and not self.recording:
            return "withdrawn (not recorded; earlier words erased)"
        return "recorded" if self.recording else "not recorded"


def state_at(entries: Iterable[LedgerEntry], moment: datetime | None = None) -> ConsentState:
    """Fold the ledger (in the order it was written) up to `moment` (None: all of it)."""
    recording_choice: LedgerEntry | None = None
    quote = False
    withdrawn = False
    for entry in entries:
        if moment is not None and entry.recorded_at > moment:
            continue
        if entry.choice in RECORDING_CHOICES:
            recording_choice = entry
            if entry.choice is Choice.WITHDRAW:
                withdrawn = True
                quote = False
            elif entry.choice is Choice.RECORD:
                withdrawn = False
        elif entry.choice is Choice.QUOTE:
            quote = True
        elif entry.choice is Choice.NO_QUOTE:
            quote = False
    recording = recording_choice is not None and recording_choice.choice is Choice.RECORD
    return ConsentState(
        decided=recording_choice is not None,
        recording=recording,
        quote=quote and recording,
        withdrawn=withdrawn,
        text_version=recording_choice.text_version if recording_choice else None,
    )


#: Discord stamps a message with the millisecond of its id: one written at 12:00:00.0004 and a
#: choice saved at 12:00:00.0007 both read 12:00:00.000, so their order within it is unknown.
MESSAGE_TIME_RESOLUTION = timedelta(milliseconds=1)


def recording_throughout(entries: Iterable[LedgerEntry], start: datetime, end: datetime) -> bool:
    """Whether recording was on at every moment from `start` to `end` (inclusive).

    A choice saved inside that span may have come before or after the words, so the words count
    as recorded only if every such choice was "record" as well: a tie resolves towards not
    recording.
    """
    ledger = list(entries)
    before = [e for e in ledger if e.recorded_at < start]
    during = [e for e in ledger if start <= e.recorded_at <= end and e.choice in RECORDING_CHOICES]
    return state_at(before).recording and all(e.choice is Choice.RECORD for e in during)


def may_keep(entries: Iterable[LedgerEntry], written_at: datetime) -> bool:
    """Whether words written at `written_at` (a message's millisecond) may be held now: recording
    was on throughout that millisecond, and no withdrawal since has erased them (so a late
    backfill cannot bring them back). A withdrawal in the same millisecond erases them too."""
    ledger = list(entries)
    erased = any(e.choice is Choice.WITHDRAW and e.recorded_at >= written_at for e in ledger)
    window_end = written_at + MESSAGE_TIME_RESOLUTION - timedelta(microseconds=1)
    return recording_throughout(ledger, written_at, window_end) and not erased


def consent_version(rendered_text: str) -> str:
    """A short, stable fingerprint of the consent text exactly as shown to the person."""
    normalised = "\n".join(line.rstrip() for line in rendered_text.strip().splitlines())
    return hashlib.sha256(normalised.encode()).hexdigest()[:12]
