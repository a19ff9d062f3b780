"""A controllable clock and the snowflake ids derived from it.

Discord ids are snowflakes: milliseconds since the Discord epoch in the top bits, so
sorting ids sorts by time. The bot relies on that (history ``after=`` backfill), so the
simulation hands out real-looking snowflakes from a clock the tests control, and never
reads the wall clock: the same seed and the same calls give the same ids.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

DISCORD_EPOCH_MS = 1_420_070_400_000

#: The default starting moment: fixed, so a run is reproducible.
DEFAULT_START = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


class SimClock:
    """Time as the simulated Discord sees it, plus a snowflake generator bound to it."""

    def __init__(self, *, seed: int = 0, start: datetime | None = None) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            raise ValueError("start_time must be timezone-aware (UTC)")
        self._now = start.astimezone(UTC)
        self.rng = random.Random(seed)
        # Worker and process bits make ids from different seeds differ, like different
        # Discord workers would, while staying deterministic for one seed.
        self._worker_bits = (self.rng.randrange(32) << 17) | (self.rng.randrange(32) << 12)
        self._last = 0

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("the simulated clock only takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        if value < self._now:
            raise ValueError("the simulated clock cannot go backwards (snowflakes must keep increasing)")
        self._now = value

    def advance(self, seconds: float) -> datetime:
        """Move time forward; returns the new time."""
        if seconds < 0:
            raise ValueError("the simulated clock cannot go backwards")
        self._now += timedelta(seconds=seconds)
        return self._now

    def snowflake(self) -> int:
        """A fresh id, strictly greater than every id handed out before."""
        ms = int(self._now.timestamp() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | self._worker_bits
        self._last = max(candidate, self._last + 1)
        return self._last

    def token(self, prefix: str) -> str:
        """An opaque, deterministic token (interaction tokens and the like)."""
        return f"{prefix}-{self.rng.getrandbits(128):032x}"

    def iso(self, when: datetime | None = None) -> str:
        """A timestamp the way Discord writes it."""
        return (when or self._now).isoformat()
