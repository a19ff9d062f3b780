"""Ending a café: the closing words and signposting in every room, then the rooms are locked."""

from __future__ import annotations

from bot.core import lifecycle
from bot.core.facts import CafeFacts
from bot.core.lifecycle import Action
from bot.core.models import Session, Step
from bot.core.plan import render_async
from bot.core.timeline import StepKind
from bot.services.cafes import Cafes
from bot.services.messages import message_async
from bot.services.steps import StepKinds


class ClosingService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes

    def register_steps(self, kinds: StepKinds) -> None:
        async def close_step(step: Step) -> None:
            await self.close(step.cafe(), actor_id=None)

        kinds.register(StepKind.CLOSE, close_step)

    async def close(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Post the closing words and signposting, lock every channel, stop capture."""
        cafes = self.cafes
        async with cafes.lock(session_id):
            session = await cafes.require(session_id, guild_id)
            closing = lifecycle.advance(session.state, Action.CLOSE, cafe=session_id)
            await cafes.sessions.set_state(session_id, closing)
            facts = CafeFacts.of(session)
            rooms = await cafes.sessions.rooms(session_id)
            channels = [(room.channel_id, facts.context(room=room)) for room in rooms if room.channel_id is not None]
            if session.lobby_channel_id is not None:
                channels.append((session.lobby_channel_id, facts.context(room_name="lobby")))
            for channel_id, context in channels:
                await cafes.chat.post(channel_id, await message_async(
                    "closing", closing=await render_async(facts.plan.closing, context),
                    signposting=await render_async(facts.plan.signposting, context)))
            await cafes.sessions.set_state(session_id, lifecycle.advance(closing, Action.FINISH_CLOSE,
                                                                         cafe=session_id))
            for channel_id, _ in channels:
                await cafes.chat.lock(channel_id)
            await cafes.audit.record(session.guild_id, session_id, actor_id, "close", "")
            await cafes.timeline_changed(session_id)
            closed = await cafes.refreshed(session_id)
            await cafes.closed(closed)
            return closed
