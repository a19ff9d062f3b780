"""Domain records as the services pass them around (read from the store, never from Discord)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.timeline import Misfire, SessionState, StepPayload


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    organiser_role: str
    facilitator_role: str
    facilitators_channel_id: int | None
    organisers_channel_id: int | None
    timezone: str
    retention_days: int


@dataclass(frozen=True)
class Session:
    id: int
    guild_id: int
    series: str
    plan_id: str
    plan_title: str
    plan_snapshot: dict[str, object]
    starts_at: datetime
    timezone: str
    room_size: int
    state: SessionState
    current_round: int
    announce_channel_id: int | None
    announce_message_id: int | None
    category_id: int | None
    lobby_channel_id: int | None
    closed_at: datetime | None
    #: how many may say yes (None: no limit)
    capacity: int | None = None
    #: reminder times, in minutes before the start
    reminders: tuple[int, ...] = (1440, 15)

    @property
    def round_count(self) -> int:
        rounds = self.plan_snapshot.get("rounds", [])
        return len(rounds) if isinstance(rounds, list) else 0


@dataclass(frozen=True)
class Room:
    id: int
    session_id: int
    number: int
    name: str
    channel_id: int | None
    last_seen_message_id: int | None


@dataclass(frozen=True)
class Step:
    """A durable timer: run the handler registered for `kind` with `payload` at `due_at`, once.

    `session_id` ties the step to a café's life (it is cancelled when the café ends and is skipped
    if the café has finished); a step with none, such as a form closing, answers to its lateness only.
    """

    id: int
    session_id: int | None
    kind: str
    payload: StepPayload
    due_at: datetime
    status: str
    misfire: Misfire

    def cafe(self) -> int:
        """The café this step belongs to, for handlers of kinds that are always stored with one."""
        if self.session_id is None:
            raise ValueError(f"step #{self.id} ({self.kind}) belongs to no café")
        return self.session_id


@dataclass(frozen=True)
class Contribution:
    id: int
    session_id: int
    room_id: int | None
    round_number: int
    participant_id: int
    pseudonym: str
    message_id: int
    created_at: datetime
    text: str
    reply_to_id: int | None
    edited: bool
    key_point: bool
    theme: str | None
