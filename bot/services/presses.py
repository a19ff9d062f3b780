"""Who pressed which button when, for the cooldowns in `bot/core/cooldown.py`.

Kept in memory, not in the database: a press is not personal data worth keeping, a restart
forgets at most a few minutes of presses (the longest window), and a refusal must not cost a
write. Memory stays bounded: only presses inside their window are kept, and people whose
presses have all expired are swept out as the table grows.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.cooldown import Cooldown, Verdict

#: sweep expired entries whenever this many more keys have been added since the last sweep
SWEEP_EVERY = 1024


class Presses:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, int], tuple[datetime, ...]] = {}
        self._windows: dict[tuple[str, int, int], Cooldown] = {}
        self._added = 0

    def press(self, button: str, session_id: int, user_id: int, cooldown: Cooldown, now: datetime) -> Verdict:
        key = (button, session_id, user_id)
        verdict = cooldown.admit(self._seen.get(key, ()), now)
        if key not in self._seen:
            self._added += 1
        self._seen[key] = verdict.remember
        self._windows[key] = cooldown
        if self._added >= SWEEP_EVERY:
            self._sweep(now)
        return verdict

    def _sweep(self, now: datetime) -> None:
        self._added = 0
        for key in [k for k, times in self._seen.items() if not times or now - times[-1] >= self._windows[k].window]:
            del self._seen[key]
            del self._windows[key]

    def __len__(self) -> int:
        return len(self._seen)
