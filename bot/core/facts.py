"""A café's facts as people read them: local times and the variables its templates may use.

Built once from a session, so the welcome, a round's prompt, the closing words and the consent
text all agree on the title, the date and the time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.models import Room, Session
from bot.core.plan import Plan, Round, template_context
from bot.core.when import describe, stamps


@dataclass(frozen=True)
class CafeFacts:
    session: Session
    plan: Plan
    #: the server's retention period in days; None where no template is rendered (a listing), so
    #: a template stating the period can never be filled in with a guess
    retention_days: int | None = None

    @classmethod
    def of(cls, session: Session, retention_days: int | None = None) -> CafeFacts:
        return cls(session, Plan.from_snapshot(session.plan_snapshot), retention_days)

    @property
    def local_start(self) -> datetime:
        return self.session.starts_at.astimezone(ZoneInfo(self.session.timezone))

    @property
    def when(self) -> str:
        """'Saturday 5 December 2026 at 18:30 (Europe/London)'."""
        return describe(self.session.starts_at, self.session.timezone)

    @property
    def stamp(self) -> str:
        """The start as Discord timestamps ('<t:…:F> (<t:…:R>)'): each reader sees their own zone."""
        return stamps(self.session.starts_at)

    def round(self, number: int) -> Round:
        return self.plan.rounds[number - 1]

    def context(self, *, round_number: int | None = None, room: Room | None = None,
                room_name: str | None = None) -> dict[str, object]:
        """The template variables for a message posted in `room` (or the lobby) during `round_number`."""
        current = self.round(round_number) if round_number else None
        return template_context(
            cafe_title=self.plan.title, starts_at_local=self.local_start, timezone=self.session.timezone,
            round_number=round_number, round_title=current.title if current else None,
            round_minutes=current.minutes if current else None,
            round_total=len(self.plan.rounds) if round_number else None,
            room_name=room.name if room else room_name, room_number=room.number if room else None,
            retention_days=self.retention_days,
        )
