"""A café mirrored on the server's events list (Discord's Scheduled Events).

The mirror is a courtesy, never a condition: people see the café where Discord lists events, and
can mark it Interested. The café itself lives in Blether; if the platform refuses the mirror
(most often the bot lacks Manage Events), the café goes ahead, the refusal is logged, and the
organisers are told once per server and reason while the bot runs, not once per café of a
series. The invitation's buttons stay the only way to say yes: Interested alone never counts as
coming, it only earns a direct message offering the button.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.core import lifecycle
from bot.core.lifecycle import Action
from bot.core.models import Session, Step
from bot.core.timeline import Misfire
from bot.services.cafes import Cafes
from bot.services.chat import EVENT_FINISHED, ChatError, EventDetails, EventStatus, Offer, OfferKind
from bot.services.feedback import Timers
from bot.services.hosts import Audience, HostsNotifier
from bot.services.steps import StepKinds

log = logging.getLogger(__name__)

#: Where the café happens, as Discord shows it for an event outside a voice or stage channel.
LOCATION_BEFORE = "This Discord server: the café's lobby opens at the start"
#: The durable step that marks a café's event started or ended. Work that follows the opening or
#: the close but is not part of it (a crash while mirroring must not touch the café), stored with
#: no café (a closed café's own steps never run) and the café in the payload.
EVENT_STATUS = "event_status"


class EventMirror:
    def __init__(self, cafes: Cafes, hosts: HostsNotifier, timers: Timers | None = None) -> None:
        self.cafes = cafes
        self.hosts = hosts
        #: sets the `event_status` steps (None: mirror at once, for callers without a scheduler)
        self.timers = timers
        #: (server, Discord's code) the organisers have been told about since the bot started
        self._told: set[tuple[int, int]] = set()

    def register_steps(self, kinds: StepKinds) -> None:
        kinds.register(EVENT_STATUS, self._status_step)

    async def cafe_opened(self, session: Session) -> None:
        await self._later(session, EventStatus.ACTIVE)

    async def cafe_closed(self, session: Session) -> None:
        await self._later(session, EventStatus.COMPLETED)

    async def _later(self, session: Session, status: EventStatus) -> None:
        if session.event_id is None:
            return
        if self.timers is None:
            await (self.opened(session) if status is EventStatus.ACTIVE else self.closed(session))
            return
        await self.timers(EVENT_STATUS, self.cafes.clock.now(), misfire=Misfire.RUN_IF_RUNNING,
                          payload={"cafe": session.id, "status": int(status)}, session_id=None)

    async def _status_step(self, step: Step) -> str | None:
        cafe, status = step.payload.get("cafe"), step.payload.get("status")
        if not isinstance(cafe, int) or status not in (EventStatus.ACTIVE, EventStatus.COMPLETED):
            raise ValueError(f"an {EVENT_STATUS} step needs a café and a status of 2 or 3, not {step.payload!r}")
        session = await self.cafes.sessions.get(cafe)
        if session is None or session.event_id is None:
            return "the café or its event is gone"
        await (self.opened(session) if status == EventStatus.ACTIVE else self.closed(session))
        return None

    def details(self, session: Session, location: str = LOCATION_BEFORE) -> EventDetails:
        facts = self.cafes.facts(session)
        minutes = facts.plan.total_minutes
        where = f" in <#{session.announce_channel_id}>" if session.announce_channel_id else ""
        description = (f"A conversation café: {len(facts.plan.rounds)} round(s), {minutes} minutes. To take part, "
                       f"press “I'll join” on the invitation{where}; marking Interested here does not save a place.")
        return EventDetails(name=session.plan_title[:100], description=description[:1000], starts_at=session.starts_at,
                            ends_at=session.starts_at + timedelta(minutes=minutes), location=location)

    async def created(self, sessions: Sequence[Session]) -> None:
        """Mirror new cafés (a series: one event each). Refused ones stay unmirrored."""
        for session in sessions:
            try:
                event_id = await self.cafes.chat.create_event(session.guild_id, self.details(session))
            except ChatError as exc:
                await self._refused(session, "list it in the server's events", exc)
                continue
            await self.cafes.sessions.set_event(session.id, event_id)

    async def moved(self, session: Session) -> None:
        """The café was rescheduled: the event follows (its start, end and wording)."""
        if session.event_id is not None:
            await self._edit(session, "move its event", details=self.details(session))

    async def cancelled(self, sessions: Sequence[Session]) -> None:
        for session in sessions:
            if session.event_id is not None:
                await self._edit(session, "cancel its event", status=EventStatus.CANCELED)

    async def opened(self, session: Session) -> None:
        """The café opened: the event is live, and its location is now the lobby itself."""
        if session.event_id is None:
            return
        location = LOCATION_BEFORE
        if session.lobby_channel_id is not None:
            location = f"https://discord.com/channels/{session.guild_id}/{session.lobby_channel_id}"
        await self._edit(session, "mark its event as started", status=EventStatus.ACTIVE,
                         details=self.details(session, location))

    async def closed(self, session: Session) -> None:
        if session.event_id is not None:
            await self._edit(session, "mark its event as ended", status=EventStatus.COMPLETED)

    async def _edit(self, session: Session, doing: str, *, details: EventDetails | None = None,
                    status: EventStatus | None = None) -> None:
        assert session.event_id is not None
        try:
            await self.cafes.chat.edit_event(session.guild_id, session.event_id, details=details, status=status)
        except ChatError as exc:
            if exc.code == EVENT_FINISHED:
                # Discord ends an external event by itself at its end time (or a moderator ended
                # it): there is nothing left to mirror, and nobody needs telling.
                log.info("café #%s: its event had already ended on Discord, so I didn't %s", session.id, doing)
                return
            await self._refused(session, doing, exc)

    async def _refused(self, session: Session, doing: str, exc: ChatError) -> None:
        log.warning("café #%s: Discord refused to %s (%s, code %s): %s", session.id, doing, exc.status, exc.code, exc)
        if (session.guild_id, exc.code) in self._told:
            return
        self._told.add((session.guild_id, exc.code))
        if exc.missing_permissions:
            advice = ("Give Blether the **Manage Events** permission (Server Settings → Roles) so cafés appear in "
                      "the server's events; until then they run as usual without it.")
        else:
            advice = f"Discord said: {str(exc)[:200]}. The café runs as usual; only its event listing is affected."
        await self.hosts.tell(session.guild_id, f"I couldn't {doing} for café #{session.id} "
                                                f"(**{session.plan_title}**). {advice}", Audience.ORGANISERS)

    async def interested(self, guild_id: int, event_id: int, discord_user_id: int) -> bool:
        """Someone marked a café's event Interested: offer them the RSVP button by DM, unless they
        already said they're coming or the café can no longer be joined. True if a DM was sent."""
        session = await self.cafes.sessions.by_event(guild_id, event_id)
        if session is None or not lifecycle.allowed(session.state, Action.RSVP):
            return False
        if any(discord_id == discord_user_id for _, discord_id in await self.cafes.people.going(session.id)):
            return False
        facts = self.cafes.facts(session)
        text = (f"You marked **{session.plan_title}** ({facts.stamp}) as Interested. That doesn't save a place: "
                "press **I'll join** below if you'd like to come, and choose what may be recorded.")
        try:
            return await self.cafes.chat.dm(discord_user_id, text, offers=(Offer(OfferKind.JOIN, session.id),
                                                                            Offer(OfferKind.CONSENT_CHOICES,
                                                                                  session.id)))
        except ChatError:
            log.warning("café #%s: the offer to someone Interested could not be sent", session.id)
            return False
