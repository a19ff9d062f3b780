"""Looking after people in the café: agreeing to the ground rules, and taking words off the record.

The agreement is kept beside the consent ledger with a fingerprint of the rules as shown (as
consent keeps its text's), so a later edit of a plan's rules is visible; `/mydata` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.consent import consent_version
from bot.core.errors import UserError
from bot.core.timeline import SessionState
from bot.services.access import AccessService
from bot.services.cafes import Cafes
from bot.services.chat import Offer, OfferKind
from bot.services.controls import ControlsService
from bot.services.hosts import Audience, HostsNotifier
from bot.services.messages import message_async
from bot.store.contributions import ContributionRepo
from bot.store.wellbeing import WellbeingRepo


@dataclass(frozen=True)
class Acknowledged:
    first_time: bool
    rules: list[str]


@dataclass(frozen=True)
class SteppedOut:
    first_time: bool
    #: whether the DM with **Come back** reached them
    way_back_sent: bool


#: What **Extend 5 minutes** gives a round.
EXTEND_MINUTES = 5


class WellbeingService:
    def __init__(self, cafes: Cafes, hosts: HostsNotifier, controls: ControlsService) -> None:
        self.cafes = cafes
        self.hosts = hosts
        self.controls = controls
        self.store = WellbeingRepo(cafes.db)
        self.contributions = ContributionRepo(cafes.db)
        self.access = AccessService(cafes)

    async def need_longer(self, session_id: int, channel_id: int | None, guild_id: int | None) -> bool:
        """A participant asks for more time: the facilitators are told privately which room (not who),
        with **Extend 5 minutes**. False when their channel could not be reached."""
        session = await self.cafes.require(session_id, guild_id)
        room = await self.cafes.sessions.room_by_channel(channel_id) if channel_id is not None else None
        name = room.name if room is not None and room.session_id == session.id else None
        delivery = await self.hosts.tell(
            session.guild_id, await message_async("need_longer", session=session, room=name,
                                                  number=session.current_round, minutes=EXTEND_MINUTES),
            Audience.FACILITATORS, offers=(Offer(OfferKind.EXTEND_ROUND, session.id),))
        return delivery.delivered

    async def extend(self, session_id: int, actor_id: int, guild_id: int | None) -> str:
        """**Extend 5 minutes** on a "more time asked" notice is the floor's own extend (steps,
        warnings and the pause all follow it); what it said, for the facilitator."""
        return (await self.controls.extend(session_id, EXTEND_MINUTES, actor_id, guild_id)).said

    async def step_out(self, session_id: int, discord_user_id: int, guild_id: int | None) -> SteppedOut:
        """Leave the café's rooms quietly: recorded (so the floor grants no room until they come
        back) and their access to their room removed; nobody else is told. The way back (**Come
        back**) comes by DM, since the room, and a reply in it, is now out of their sight."""
        session = await self.cafes.require(session_id, guild_id)
        person = await self.cafes.people.participant_id(discord_user_id)
        if person is None:
            raise UserError("You're not in this café's rooms.")
        async with self.cafes.lock(session.id):
            first = await self.store.step_out(session.id, person)
            room = await self._room(session.id, session.current_round, person)
            if first and room is not None:
                await self._refresh(session.id, room[0])
        way_back = await self.cafes.chat.dm(
            discord_user_id, await message_async("stepped_out", session=session, title=session.plan_title),
            offers=(Offer(OfferKind.COME_BACK, session.id),))
        return SteppedOut(first, way_back)

    async def come_back(self, session_id: int, discord_user_id: int, guild_id: int | None) -> int | None:
        """Back into the room they are seated in now: the channel, or None if the café has no room for them."""
        session = await self.cafes.refreshed((await self.cafes.require(session_id, guild_id)).id)
        person = await self.cafes.people.participant_id(discord_user_id)
        if person is None:
            return None
        async with self.cafes.lock(session.id):
            await self.store.come_back(session.id, person)
            if session.state not in (SessionState.OPEN, SessionState.RUNNING):
                return None
            room = await self._room(session.id, session.current_round, person)
            if room is None:
                return None
            await self._refresh(session.id, room[0])
            return room[1]

    async def _room(self, session_id: int, round_number: int, person: int) -> tuple[int, int | None] | None:
        """(room id, its channel) the person is seated in this round."""
        seats = await self.cafes.sessions.assignments(session_id, round_number)
        room_id = seats.get(person)
        rooms = {room.id: room.channel_id for room in await self.cafes.sessions.rooms(session_id)}
        return (room_id, rooms.get(room_id)) if room_id is not None else None

    async def _refresh(self, session_id: int, room_id: int) -> None:
        """The room's access is recomputed from the store (which leaves out whoever stepped out) and
        sent whole: the same path every floor control takes, so nothing else can undo it."""
        await self.access.repo.mark_stale(session_id, rooms=[room_id])
        await self.access.apply(session_id)

    async def acknowledge_rules(self, session_id: int, discord_user_id: int, guild_id: int | None) -> Acknowledged:
        """Record that the person agreed to this café's ground rules (the first agreement stands)."""
        session = await self.cafes.require(session_id, guild_id)
        rules = list(self.cafes.facts(session).plan.ground_rules)
        first = await self.store.acknowledge(session.id, discord_user_id, consent_version("\n".join(rules)))
        return Acknowledged(first, rules)

    async def remove_from_record(self, message_id: int, actor_id: int, guild_id: int) -> int | None:
        """A facilitator takes a message out of the record: the contribution leaves the store (so
        every later export), and the audit keeps who, when and which contribution id, never the
        text. The message itself is left to Discord's own moderation. None: nothing was kept."""
        removed = await self.contributions.remove_from_record(message_id, guild_id)
        if removed is None:
            return None
        contribution_id, session_id = removed
        await self.cafes.audit.record(guild_id, session_id, actor_id, "remove_from_record",
                                      f"contribution={contribution_id}")
        return contribution_id
