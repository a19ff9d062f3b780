"""Domain records as the services pass them around (read from the store, never from Discord)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.timeline import Misfire, SessionState, StepPayload


@dataclass(frozen=True)
class GuildConfig:
    """A server's settings. Roles are held by id: a name proves nothing, since anyone who may
    manage roles can create a second role with the same name. The ids are None only for a server
    set up before roles went by id, or the host's defaults; `named_roles` then holds the role names
    (that server's old choice, or the host's default names), so the server can be told to run
    `/blether setup` again and setup can resolve the names to ids there, once, with an admin present."""

    guild_id: int
    organiser_role_id: int | None
    facilitator_role_id: int | None
    facilitators_channel_id: int | None
    organisers_channel_id: int | None
    timezone: str
    retention_days: int
    named_roles: tuple[str, str] | None = None

    @property
    def staff_role_ids(self) -> tuple[int, ...]:
        """The roles that see every room of a café (organisers and facilitators)."""
        return tuple(r for r in (self.organiser_role_id, self.facilitator_role_id) if r is not None)


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
    #: how long a freed place is held for the next person waiting, in minutes (None: the default)
    hold_minutes: int | None = None
    #: the first café of the repeat this one belongs to (itself for the first; None: not a repeat)
    repeat_of: int | None = None
    #: its number in the repeat (1, 2, …)
    occurrence: int | None = None
    #: the Discord Scheduled Event that mirrors it (None: not mirrored)
    event_id: int | None = None

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
