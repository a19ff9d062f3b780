"""Support in the café: signposting for everyone, and quiet alerts that hosts claim and resolve.

A person who presses **I need support** (or uses `/support`) is told privately that someone will
be in touch and what to do now, with the café's signposting; the facilitators' channel is told
who asked, where and when — never anything the person wrote. Presses by one person within a few
minutes make one alert. A facilitator claims the alert (the alert is edited, so every host sees
who has it) and resolves it; an alert nobody has claimed after a few minutes is raised again to
the organisers by a durable step, so a restart cannot lose it. The request is kept without
content: who asked, where, when, who claimed it and when, when it was resolved.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.core.errors import UserError
from bot.core.models import Session, Step
from bot.core.timeline import Misfire
from bot.core.when import stamp
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, Offer, OfferKind, alert_offers
from bot.services.feedback import Timers
from bot.services.hosts import Audience, HostsNotifier
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.attendance import AttendanceRepo, SupportRequest

log = logging.getLogger(__name__)

#: The durable step that raises an unclaimed alert to the organisers.
SUPPORT_UNCLAIMED = "support_unclaimed"
#: Presses by one person in one café within this make one alert (the facilitators already know).
ONE_ALERT_WITHIN = timedelta(minutes=5)
#: An alert nobody has claimed after this is raised again, to the organisers.
RAISE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class SupportAnswer:
    """What the person is told, privately."""

    text: str
    alerted: bool
    #: True when this press joined an alert already made (nothing new was posted)
    repeated: bool = False


@dataclass(frozen=True)
class Signposting:
    """What `/support` shows: the café's support text (or the general words), and the café whose
    **I need support** button goes with it, if one is under way for the person."""

    text: str
    session_id: int | None


class SupportService:
    def __init__(self, cafes: Cafes, hosts: HostsNotifier, timers: Timers) -> None:
        self.cafes = cafes
        self.hosts = hosts
        self.timers = timers
        self.attendance = AttendanceRepo(cafes.db)
        # One person's presses are decided one at a time, so two quick presses make one alert.
        self._asking: dict[tuple[int, int], asyncio.Lock] = {}

    def register_steps(self, kinds: StepKinds) -> None:
        kinds.register(SUPPORT_UNCLAIMED, self._raise_step)

    # -- asking ------------------------------------------------------------------------------

    async def ask(self, session_id: int, discord_user_id: int, channel_id: int | None,
                  guild_id: int | None) -> SupportAnswer:
        session = await self.cafes.require(session_id, guild_id)
        signposting = await self.cafes.signposting(await self.cafes.facts_for(session))
        async with self._asking.setdefault((session.id, discord_user_id), asyncio.Lock()):
            since = self.cafes.clock.now() - ONE_ALERT_WITHIN
            earlier = await self.attendance.open_request_since(session.id, discord_user_id, since)
            if earlier is not None:
                return SupportAnswer(await message_async("support_reply", signposting=signposting, alerted=True,
                                                         repeated=True), True, repeated=True)
            room = await self.cafes.sessions.room_by_channel(channel_id) if channel_id is not None else None
            if room is not None and room.session_id != session.id:
                room = None
            request_id = await self.attendance.record_support_request(session.id, room.id if room else None,
                                                                      discord_user_id)
            request = await self._request(request_id)
            delivery = await self.hosts.tell(
                session.guild_id, await self._alert_text(session, request), Audience.FACILITATORS,
                ping_facilitators=True, offers=alert_offers(session.id, claimed=False),
            )
            if delivery.posts:
                await self.attendance.set_alert_post(request_id, *delivery.posts[0])
            await self.timers(SUPPORT_UNCLAIMED, request.created_at + RAISE_AFTER, misfire=Misfire.RUN_IF_RUNNING,
                              payload={"request": request_id}, session_id=None)
        return SupportAnswer(await message_async("support_reply", signposting=signposting,
                                                 alerted=delivery.delivered, repeated=False), delivery.delivered)

    async def signposting_for(self, discord_user_id: int, channel_id: int | None,
                              guild_id: int | None) -> Signposting:
        """The support text for `/support`: this channel's café, else the person's newest café (on
        this server, or anywhere in a DM); a person with no café gets the general words."""
        session: Session | None = None
        if channel_id is not None and guild_id is not None:
            session = await self.cafes.of_channel(channel_id, guild_id)
        if session is None:
            person = await self.cafes.people.participant_id(discord_user_id)
            if person is not None:
                latest = await self.cafes.sessions.latest_joined_anywhere(person, guild_id)
                session = await self.cafes.sessions.get(latest) if latest is not None else None
        if session is None:
            return Signposting(await message_async("support_general"), None)
        facts = await self.cafes.facts_for(session)
        text = await message_async("support_pinned", title=facts.plan.title,
                                   signposting=await self.cafes.signposting(facts))
        # The button is offered only in the café's own server: an alert names a room to the hosts.
        return Signposting(text, session.id if guild_id == session.guild_id else None)

    # -- the hosts' side ---------------------------------------------------------------------

    async def claim(self, session_id: int, message_id: int, actor_id: int, guild_id: int | None) -> str:
        """A host takes the alert on. The first claim stands; every copy of the alert is edited to
        show who has it, so no two people respond."""
        session = await self.cafes.require(session_id, guild_id)
        request = await self._by_post(session.id, message_id)
        if request.resolved_at is not None:
            return "This support request is already resolved."
        if not await self.attendance.claim(request.id, actor_id):
            request = await self._request(request.id)
            return f"<@{request.claimed_by}> already claimed this support request; nothing changed."
        await self._show(session, await self._request(request.id))
        return "You've claimed it: please reach out to them privately now. Press **Resolved** when it's dealt with."

    async def resolve(self, session_id: int, message_id: int, actor_id: int, guild_id: int | None) -> str:
        """Close the alert (claiming it first if nobody had): its buttons go from every copy."""
        session = await self.cafes.require(session_id, guild_id)
        request = await self._by_post(session.id, message_id)
        await self.attendance.claim(request.id, actor_id)
        if not await self.attendance.resolve(request.id):
            return "This support request was already resolved."
        await self._show(session, await self._request(request.id))
        return "Marked as resolved. Thank you."

    async def _raise_step(self, step: Step) -> str | None:
        request_id = step.payload.get("request")
        if not isinstance(request_id, int):
            raise UserError("a support step without its request")
        request = await self.attendance.support_request(request_id)
        if request is None:
            return "the request was erased"
        if request.claimed_by is not None or request.resolved_at is not None:
            return "claimed in time"
        session = await self.cafes.require(request.session_id)
        minutes = int(RAISE_AFTER.total_seconds() // 60)
        delivery = await self.hosts.tell(
            session.guild_id, await self._alert_text(session, request, raised_after=minutes), Audience.ORGANISERS,
            ping_organisers=True, offers=alert_offers(session.id, claimed=False),
        )
        posted = delivery.posts[0] if delivery.posts else (None, None)
        await self.attendance.set_raised(request.id, *posted)
        return None if delivery.delivered else "the organisers' channel could not be reached"

    async def _show(self, session: Session, request: SupportRequest) -> None:
        """Edit every copy of the alert to its present state; a copy Discord refuses is logged."""
        offers: tuple[Offer, ...] = () if request.resolved_at is not None \
            else alert_offers(session.id, claimed=request.claimed_by is not None)
        for channel_id, message_id in request.posts:
            raised = message_id == request.raised_message_id
            text = await self._alert_text(session, request,
                                          raised_after=int(RAISE_AFTER.total_seconds() // 60) if raised else None)
            try:
                await self.cafes.chat.edit_post(channel_id, message_id, text, offers=offers)
            except ChatError:
                log.exception("a support alert of café #%s could not be updated", session.id)

    async def _alert_text(self, session: Session, request: SupportRequest, *, raised_after: int | None = None) -> str:
        rooms = {room.id: room.name for room in await self.cafes.sessions.rooms(session.id)}
        return await message_async(
            "support_alert", session=session, title=self.cafes.facts(session).plan.title,
            user_id=await self.cafes.people.discord_id(request.participant_id),
            room=rooms.get(request.room_id) if request.room_id is not None else None,
            asked=stamp(request.created_at, "t"), asked_ago=stamp(request.created_at, "R"),
            claimed_by=request.claimed_by,
            claimed=stamp(request.claimed_at, "t") if request.claimed_at else None,
            resolved=stamp(request.resolved_at, "t") if request.resolved_at else None,
            raised_after=raised_after,
        )

    async def _by_post(self, session_id: int, message_id: int) -> SupportRequest:
        request = await self.attendance.request_by_post(session_id, message_id)
        if request is None:
            raise UserError("Blether has no support request for this message (it may have been erased).")
        return request

    async def _request(self, request_id: int) -> SupportRequest:
        request = await self.attendance.support_request(request_id)
        assert request is not None, "a request is read back right after it is written"
        return request

    # -- the lobby's pinned signposting --------------------------------------------------------

    async def pin_signposting(self, session: Session, lobby_channel_id: int, resuming: bool) -> None:
        """Beside the lobby's welcome: the support text with **I need support**, pinned, so it is
        there all café long. Pinning needs Manage Messages (and a free pin of Discord's 50): when
        Discord refuses, the post stays and the hosts are told what to grant."""
        facts = await self.cafes.facts_for(session)
        text = await message_async("support_pinned", title=facts.plan.title,
                                   signposting=await self.cafes.signposting(facts))
        chat = self.cafes.chat
        posted = (await chat.find_post(lobby_channel_id, text) if resuming else None) \
            or await chat.post(lobby_channel_id, text, offers=(Offer(OfferKind.SUPPORT, session.id),))
        try:
            await chat.pin(lobby_channel_id, posted)
        except ChatError as exc:
            await self.hosts.tell(session.guild_id, await message_async(
                "support_pin_failed", session=session, channel_id=lobby_channel_id,
                missing_permission=exc.missing_permissions, reason=str(exc)))
