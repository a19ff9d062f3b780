"""Guild Scheduled Events in the simulated Discord, with Discord's field rules.

From the API reference (Guild Scheduled Event): an EXTERNAL event (entity type 3) has no
channel, needs ``entity_metadata.location`` (1–100 characters) and a ``scheduled_end_time``; a
name is 1–100 characters and a description 1–1000; the privacy level is GUILD_ONLY (2); a new
event must start in the future and end after it starts; a server holds at most 100 SCHEDULED or
ACTIVE events (code 30038). Status moves only SCHEDULED → ACTIVE → COMPLETED or SCHEDULED →
CANCELED, and a finished event cannot be changed at all (code 180000). Writing an EXTERNAL
event needs MANAGE_EVENTS at the server level. Each change is announced on the gateway
(GUILD_SCHEDULED_EVENT_CREATE/UPDATE/DELETE, and USER_ADD when a member marks it Interested).

Discord's own automation (an external event turning ACTIVE at its start and COMPLETED at its
end) is not simulated: the bot must not rely on it, and tests set the status the bot sets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import permissions as perm
from .limits import FormErrors
from .models import SimMember, SimulationError
from .routing import RequestContext, http_error, route
from .state import GuildState

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
GUILD_ONLY = 2
#: Events with status SCHEDULED or ACTIVE a server may hold at once.
MAX_LIVE_EVENTS = 100
_MOVES = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELED)}
_ENTITY_TYPES = (1, 2, 3)


def _time(errors: FormErrors, body: dict[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        errors.add([key], "DATE_TYPE_PARSE", "Could not parse the date.")
        return None
    if parsed.tzinfo is None:
        errors.add([key], "DATE_TYPE_PARSE", "Could not parse the date.")
        return None
    return parsed


class ScheduledEventRoutes(GuildState):
    """The guild's scheduled events, and who marked each Interested."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scheduled_events: dict[int, dict[str, Any]] = {}
        self.event_users: dict[int, list[int]] = {}

    # -- checks ---------------------------------------------------------------------------

    def _in_guild(self, ctx: RequestContext) -> None:
        if ctx.id("guild_id") != self.guild_id:
            raise http_error(404, 10004, "Unknown Guild")

    def _event(self, ctx: RequestContext) -> dict[str, Any]:
        self._in_guild(ctx)
        event = self.scheduled_events.get(ctx.id("guild_scheduled_event_id"))
        if event is None:
            raise http_error(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _check_fields(self, errors: FormErrors, body: dict[str, Any], *, creating: bool) -> None:
        if creating or "name" in body:
            errors.bad_length(["name"], body.get("name"), 1, 100)
        if body.get("description") is not None:
            errors.bad_length(["description"], body["description"], 1, 1000)
        if (creating or "privacy_level" in body) and body.get("privacy_level") != GUILD_ONLY:
            errors.add(["privacy_level"], "BASE_TYPE_CHOICES", f"Value must be one of ({GUILD_ONLY},).")
        if (creating or "entity_type" in body) and body.get("entity_type") not in _ENTITY_TYPES:
            errors.add(["entity_type"], "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")
        if "entity_metadata" in body and body["entity_metadata"] is not None:
            errors.bad_length(["entity_metadata", "location"], body["entity_metadata"].get("location"), 1, 100)

    def _check_external(self, errors: FormErrors, event: dict[str, Any]) -> None:
        """The field requirements of an EXTERNAL event, on the event as it would be."""
        if event["entity_type"] != EXTERNAL:
            raise SimulationError("only EXTERNAL scheduled events are simulated (Blether makes no others)")
        if event.get("channel_id") is not None:
            errors.add(["channel_id"], "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_ALLOWED", "Must be null for EXTERNAL events.")
        if not (event.get("entity_metadata") or {}).get("location"):
            errors.add(["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required")
        if event.get("scheduled_end_time") is None:
            errors.add(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required")

    def _check_times(self, errors: FormErrors, start: datetime | None, end: datetime | None, *,
                     start_changed: bool) -> None:
        if start is not None and start_changed and start <= self.now:
            errors.add(["scheduled_start_time"], "GUILD_SCHEDULED_EVENT_SCHEDULED_START_TIME_IN_PAST",
                       "Cannot schedule event in the past.")
        if start is not None and end is not None and end <= start:
            errors.add(["scheduled_end_time"], "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                       "Cannot schedule event to end before starting.")

    def _live_events(self) -> int:
        return sum(1 for e in self.scheduled_events.values() if e["status"] in (SCHEDULED, ACTIVE))

    def _event_payload(self, event: dict[str, Any], *, with_user_count: bool) -> dict[str, Any]:
        payload = dict(event)
        if with_user_count:
            payload["user_count"] = len(self.event_users.get(int(event["id"]), []))
        return payload

    # -- routes ---------------------------------------------------------------------------

    @route("GET", "/guilds/{guild_id}/scheduled-events")
    def list_scheduled_events(self, ctx: RequestContext) -> list[dict[str, Any]]:
        self._in_guild(ctx)
        counted = str(ctx.params.get("with_user_count", "0")).lower() in ("1", "true")
        return [self._event_payload(e, with_user_count=counted) for e in self.scheduled_events.values()]

    @route("POST", "/guilds/{guild_id}/scheduled-events")
    def create_scheduled_event(self, ctx: RequestContext) -> dict[str, Any]:
        self._in_guild(ctx)
        body = ctx.body
        self._bot_needs(perm.MANAGE_EVENTS)
        errors = FormErrors()
        self._check_fields(errors, body, creating=True)
        start = _time(errors, body, "scheduled_start_time")
        if start is None and "scheduled_start_time" not in body:
            errors.add(["scheduled_start_time"], "BASE_TYPE_REQUIRED", "This field is required")
        end = _time(errors, body, "scheduled_end_time")
        self._check_times(errors, start, end, start_changed=True)
        event_id = self.clock.snowflake()
        event = {
            "id": str(event_id), "guild_id": str(self.guild_id), "channel_id": body.get("channel_id"),
            "creator_id": str(self.bot_user.id), "creator": self.user_payload(self.bot_user),
            "name": body.get("name"), "description": body.get("description"),
            "scheduled_start_time": body.get("scheduled_start_time"),
            "scheduled_end_time": body.get("scheduled_end_time"), "privacy_level": body.get("privacy_level"),
            "status": SCHEDULED, "entity_type": body.get("entity_type"), "entity_id": None,
            "entity_metadata": body.get("entity_metadata"), "image": None,
        }
        if not errors.errors:
            self._check_external(errors, event)
        errors.raise_if_any()
        if self._live_events() >= MAX_LIVE_EVENTS:
            raise http_error(400, 30038, f"Maximum number of guild scheduled events reached ({MAX_LIVE_EVENTS})")
        self.scheduled_events[event_id] = event
        self.event_users[event_id] = []
        self._emit("GUILD_SCHEDULED_EVENT_CREATE", event)
        return self._event_payload(event, with_user_count=False)

    @route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    def get_scheduled_event(self, ctx: RequestContext) -> dict[str, Any]:
        counted = str(ctx.params.get("with_user_count", "0")).lower() in ("1", "true")
        return self._event_payload(self._event(ctx), with_user_count=counted)

    @route("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    def edit_scheduled_event(self, ctx: RequestContext) -> dict[str, Any]:
        event = self._event(ctx)
        self._bot_needs(perm.MANAGE_EVENTS)
        if event["status"] in (COMPLETED, CANCELED):
            raise http_error(400, 180000, "Cannot update a finished event")
        body = ctx.body
        errors = FormErrors()
        self._check_fields(errors, body, creating=False)
        status = body.get("status", event["status"])
        if status != event["status"] and (event["status"], status) not in _MOVES:
            errors.add(["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                       f"Cannot change the status from {event['status']} to {status}.")
        updated = {**event, **{k: v for k, v in body.items() if k in (
            "name", "description", "scheduled_start_time", "scheduled_end_time", "entity_metadata", "channel_id",
            "privacy_level", "entity_type")}, "status": status}
        start = _time(errors, updated, "scheduled_start_time")
        end = _time(errors, updated, "scheduled_end_time")
        changed = body.get("scheduled_start_time") not in (None, event["scheduled_start_time"])
        if changed and event["status"] != SCHEDULED:
            errors.add(["scheduled_start_time"], "GUILD_SCHEDULED_EVENT_START_TIME_NOT_EDITABLE",
                       "Cannot change the start of an event that has started.")
        self._check_times(errors, start, end, start_changed=changed)
        if not errors.errors:
            self._check_external(errors, updated)
        errors.raise_if_any()
        event.update(updated)
        self._emit("GUILD_SCHEDULED_EVENT_UPDATE", event)
        return self._event_payload(event, with_user_count=False)

    @route("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
    def delete_scheduled_event(self, ctx: RequestContext) -> None:
        event = self._event(ctx)
        self._bot_needs(perm.MANAGE_EVENTS)
        del self.scheduled_events[int(event["id"])]
        self.event_users.pop(int(event["id"]), None)
        self._emit("GUILD_SCHEDULED_EVENT_DELETE", event)

    @route("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
    def list_scheduled_event_users(self, ctx: RequestContext) -> list[dict[str, Any]]:
        event = self._event(ctx)
        errors = FormErrors()
        limit = int(ctx.params.get("limit", 100) or 100)
        errors.in_range(["limit"], limit, 1, 100)
        errors.raise_if_any()
        users = sorted(self.event_users.get(int(event["id"]), []))
        if ctx.params.get("before"):
            users = [u for u in users if u < int(ctx.params["before"])][-limit:]
        else:
            users = [u for u in users if u > int(ctx.params.get("after", 0) or 0)][:limit]
        with_member = str(ctx.params.get("with_member", "0")).lower() in ("1", "true")
        answer = []
        for user_id in users:
            member = self.members[user_id]
            entry: dict[str, Any] = {"guild_scheduled_event_id": event["id"], "user": self.user_payload(member)}
            if with_member:
                entry["member"] = self.member_payload(member, with_user=False)
            answer.append(entry)
        return answer

    # -- what people do -------------------------------------------------------------------

    def interested(self, member: SimMember | int, event_id: int) -> None:
        """A member marks an event Interested (Discord's GUILD_SCHEDULED_EVENT_USER_ADD)."""
        who = self.member(member)
        event = self.scheduled_events.get(event_id)
        if event is None or event["status"] not in (SCHEDULED, ACTIVE):
            raise SimulationError(f"event {event_id} is not one a member can mark Interested")
        users = self.event_users[event_id]
        if who.id in users:
            return
        users.append(who.id)
        self._emit("GUILD_SCHEDULED_EVENT_USER_ADD", {
            "guild_scheduled_event_id": str(event_id), "user_id": str(who.id), "guild_id": str(self.guild_id)})
