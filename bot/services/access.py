"""Applying room access: each channel's whole overwrite list, computed from the store by
`bot.core.access`, in one call per channel, the channels concurrently.

A control never talks to Discord about one person. It writes its decision (who sits where, a pause,
a recall, a closed room) and marks the channels it touches stale in the same transaction; `apply`
then sends each stale channel its list and clears the mark. Run again after a crash, it sends only
what is still stale, so nothing is done twice and nothing is left half-done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass

from bot.core.access import ChannelAccess, FloorState, lobby_access, room_access
from bot.core.models import Session
from bot.core.timeline import SessionState
from bot.services.cafes import Cafes
from bot.store.floor import FloorRepo

_ENDED = frozenset({SessionState.CLOSING, SessionState.CLOSED})


@dataclass(frozen=True)
class Floor:
    """A café's channels and what each one's access should be now."""

    state: FloorState
    rooms: dict[int, tuple[int | None, ChannelAccess]]
    lobby: tuple[int | None, ChannelAccess]

    def channel_access(self, channel_id: int) -> ChannelAccess | None:
        for channel, access in [*self.rooms.values(), self.lobby]:
            if channel == channel_id:
                return access
        return None


async def together(calls: Iterable[Awaitable[object]]) -> None:
    """Run per-channel calls at once (discord.py keeps them within Discord's rate limits); every
    call is let finish, so each success is recorded, then the first failure is raised."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


class AccessService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.repo = FloorRepo(cafes.db)

    async def floor(self, session: Session, staff_roles: Iterable[int] | None = None) -> Floor:
        """Every channel's access from the stored state of the café."""
        row = await self.repo.state(session.id)
        staff = tuple(staff_roles) if staff_roles is not None else await self.cafes.staff_roles(session.guild_id)
        state = FloorState(staff_roles=staff, paused=row.paused_at is not None, recalled=row.recalled,
                           ended=session.state in _ENDED)
        seated = await self.repo.seated(session.id, max(session.current_round, 1))
        closed = await self.repo.closed_rooms(session.id)
        rooms = {room.id: (room.channel_id, room_access(state, [d for r, d in seated if r == room.id],
                                                        room_closed=room.id in closed))
                 for room in await self.cafes.sessions.rooms(session.id)}
        everyone = {d for _, d in await self.cafes.people.going(session.id)} | {d for _, d in seated}
        return Floor(state, rooms, (session.lobby_channel_id, lobby_access(state, everyone)))

    async def apply(self, session_id: int) -> int:
        """Send every stale channel its whole access, concurrently; how many calls that took."""
        session = await self.cafes.refreshed(session_id)
        stale_rooms, lobby_stale = await self.repo.stale(session_id)
        if not stale_rooms and not lobby_stale:
            return 0
        floor = await self.floor(session)
        number = max(session.current_round, 1)
        chat = self.cafes.chat

        async def room(room_id: int) -> None:
            channel, access = floor.rooms[room_id]
            if channel is not None:
                await chat.set_access(channel, access)
            await self.repo.room_applied(session_id, room_id, number)

        async def lobby() -> None:
            channel, access = floor.lobby
            if channel is not None:
                await chat.set_access(channel, access)
            await self.repo.lobby_applied(session_id)

        calls: list[Awaitable[None]] = [room(r) for r in sorted(stale_rooms) if r in floor.rooms]
        if lobby_stale:
            calls.append(lobby())
        await together(calls)
        return len(calls)
