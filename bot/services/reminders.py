"""Reminders before a café: by DM to everyone coming, with a way to stop them.

Each reminder time is a durable step (kind `reminder`, payload `{"minutes_before": n}`), so it
survives restarts and is claimed before it runs: never sent twice. One that falls due while the
bot is down is skipped (its misfire policy), since a "starts in 15 minutes" arriving after the
start helps nobody. A person whose DMs are closed is named in one grouped message in the
invitation's channel instead; nobody who stopped reminders (for this café or the server) gets one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.models import Step
from bot.core.timeline import StepKind
from bot.services.cafes import Cafes
from bot.services.chat import reminder_offers
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.reminders import ReminderOptOuts

#: Mentions per grouped message: 60 of at most 23 characters stay well inside Discord's 2000.
MENTIONS_PER_MESSAGE = 60


@dataclass(frozen=True)
class Reminded:
    by_dm: int
    mentioned: int
    stopped: int


class RemindersService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.optouts = ReminderOptOuts(cafes.db)

    def register_steps(self, kinds: StepKinds) -> None:
        async def remind(step: Step) -> None:
            await self.remind(step.cafe())

        kinds.register(StepKind.REMINDER, remind)

    async def remind(self, session_id: int) -> Reminded:
        session = await self.cafes.require(session_id)
        facts = self.cafes.facts(session)
        going = [discord_id for _, discord_id in await self.cafes.people.going(session_id)]
        stopped = await self.optouts.stopped(session.guild_id, session_id)
        text = await message_async("reminder", session=session, when=facts.stamp,
                                   lobby_channel_id=session.lobby_channel_id)
        closed: list[int] = []
        for discord_id in going:
            if discord_id in stopped:
                continue
            if not await self.cafes.chat.dm(discord_id, text, offers=reminder_offers(session_id)):
                closed.append(discord_id)
        if closed and session.announce_channel_id is not None:
            for start in range(0, len(closed), MENTIONS_PER_MESSAGE):
                group = closed[start:start + MENTIONS_PER_MESSAGE]
                mentions = " ".join(f"<@{d}>" for d in group)
                await self.cafes.chat.post(session.announce_channel_id, await message_async(
                    "reminder_mentions", session=session, when=facts.stamp, mentions=mentions), ping_users=group)
        sent = len([d for d in going if d not in stopped])
        return Reminded(by_dm=sent - len(closed), mentioned=len(closed), stopped=len(going) - sent)

    async def stop(self, session_id: int, discord_user_id: int, *, whole_server: bool) -> str:
        """Stop this person's reminders for the café, or for every café on its server."""
        session = await self.cafes.require(session_id)
        await self.optouts.stop(session.guild_id, discord_user_id, None if whole_server else session_id)
        if whole_server:
            return ("Done: no more reminders from Blether for any café on that server. You'll still see "
                    "invitations there; press **I'll join** on one to come along.")
        return f"Done: no more reminders for café #{session_id}. You're still on its list."
