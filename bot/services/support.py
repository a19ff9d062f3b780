"""A person asks for support: the facilitators hear where and when, the person gets signposting.

The alert never carries the person's words, and the signposting reaches them whatever
happened to the alert.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.cafes import Cafes
from bot.services.hosts import Audience, HostsNotifier
from bot.services.messages import message_async
from bot.store.attendance import AttendanceRepo


@dataclass(frozen=True)
class SupportAnswer:
    """What the person is told, privately."""

    text: str
    alerted: bool


class SupportService:
    def __init__(self, cafes: Cafes, hosts: HostsNotifier) -> None:
        self.cafes = cafes
        self.hosts = hosts
        self.attendance = AttendanceRepo(cafes.db)

    async def ask(self, session_id: int, discord_user_id: int, channel_id: int | None,
                  guild_id: int | None) -> SupportAnswer:
        session = await self.cafes.require(session_id, guild_id)
        room = await self.cafes.sessions.room_by_channel(channel_id) if channel_id is not None else None
        if room is not None and room.session_id != session.id:
            room = None
        await self.attendance.record_support_request(session.id, room.id if room else None, discord_user_id)
        delivery = await self.hosts.tell(
            session.guild_id,
            await message_async("support_alert", session=session, user_id=discord_user_id,
                                room=room.name if room else None),
            Audience.FACILITATORS, ping_facilitators=True,
        )
        signposting = await self.cafes.signposting(self.cafes.facts(session))
        return SupportAnswer(await message_async("support_reply", signposting=signposting, alerted=delivery.delivered),
                             delivery.delivered)
