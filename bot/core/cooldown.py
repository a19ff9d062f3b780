"""How often one person may press one button: at most `presses` within any `window`.

Pure: given the times of the person's earlier presses and now, it says whether this press acts
and which times to remember. Who remembers them is the caller's business (see
`bot/services/presses.py`), so the rule is tested without a clock or a Discord.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: how long until a press would act again (zero when this one acts)
    retry_after: timedelta
    #: the presses to remember: those still inside the window, plus this one if it acts
    remember: tuple[datetime, ...]


@dataclass(frozen=True)
class Cooldown:
    presses: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.presses < 1 or self.window <= timedelta(0):
            raise ValueError("a cooldown allows at least one press in a positive window")

    def admit(self, earlier: Sequence[datetime], now: datetime) -> Verdict:
        # A press "from the future" (clocks disagree) counts as now rather than locking someone out.
        inside = tuple(sorted(min(t, now) for t in earlier if now - t < self.window))
        if len(inside) >= self.presses:
            oldest_that_counts = inside[-self.presses]
            return Verdict(False, self.window - (now - oldest_that_counts), inside)
        return Verdict(True, timedelta(0), (*inside, now)[-self.presses:])


#: I need longer: the facilitators hear once from a person every few minutes.
NEED_LONGER = Cooldown(presses=1, window=timedelta(minutes=3))
#: I'll join: the first press lists and seats the person; repeats would only redo the same grants.
JOIN = Cooldown(presses=1, window=timedelta(seconds=30))
#: Consent choices: people do change their mind, but a burst of toggles is refused.
CONSENT = Cooldown(presses=6, window=timedelta(minutes=1))
#: Withdraw confirmation: erasing again finds nothing new.
WITHDRAW = Cooldown(presses=2, window=timedelta(minutes=1))
