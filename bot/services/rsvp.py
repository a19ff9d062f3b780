"""Saying yes to a café, including late: a latecomer to a running café is seated at once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import lifecycle
from bot.core.allocation import place_latecomer
from bot.core.lifecycle import Action
from bot.core.models import Room, Session
from bot.core.timeline import ACTIVE_STATES
from bot.services.access import AccessService
from bot.services.cafes import Cafes


@dataclass(frozen=True)
class Rsvp:
    session: Session
    seated: bool


class RsvpService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.access = AccessService(cafes)

    async def rsvp(self, session_id: int, discord_user_id: int, guild_id: int | None = None) -> Rsvp:
        """Say yes to a café. `seated` is whether the person has a room now (a second click
        re-grants access, in case the first grant failed half-way).

        Takes the café's lock: a yes that lands while the rooms are being made or people moved
        waits for that step, then seats the person in the rooms it left behind."""
        await self.cafes.require(session_id, guild_id)
        async with self.cafes.lock(session_id):
            return await self._rsvp(session_id, discord_user_id)

    async def _rsvp(self, session_id: int, discord_user_id: int) -> Rsvp:
        cafes = self.cafes
        session = await cafes.refreshed(session_id)
        lifecycle.advance(session.state, Action.RSVP, cafe=session_id)
        participant_id = await cafes.people.rsvp(session_id, discord_user_id, going=True)
        if session.state not in ACTIVE_STATES or session.current_round < 1:
            return Rsvp(session, False)
        current = await cafes.sessions.assignments(session_id, session.current_round)
        rooms = await cafes.sessions.rooms(session_id)
        if participant_id in current:
            seated = next(room for room in rooms if room.id == current[participant_id])
            await self._grant(session, seated, discord_user_id)
            return Rsvp(session, True)
        by_room = [[p for p, r in current.items() if r == room.id] for room in rooms]
        room = rooms[place_latecomer(by_room)]
        await cafes.sessions.assign(session_id, session.current_round, participant_id, room.id)
        await self._grant(session, room, discord_user_id)
        return Rsvp(session, True)

    async def _grant(self, session: Session, room: Room, discord_user_id: int) -> None:
        """The person's room and the lobby get their whole access again (one call each), now with them in."""
        await self.access.repo.mark_stale(session.id, rooms=[room.id], lobby=True)
        await self.access.apply(session.id)

    async def latest_for(self, discord_user_id: int, guild_id: int) -> int | None:
        """The café a person most likely means: the newest one they said they'd join here."""
        person = await self.cafes.people.participant_id(discord_user_id)
        if person is None:
            return None
        return await self.cafes.sessions.latest_joined(person, guild_id)
