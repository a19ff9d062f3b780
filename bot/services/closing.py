"""Ending a café: the closing words and signposting in every room, then the rooms are locked.

The café is `closing` until every room (and the lobby) has its closing words and is locked; each
of those is recorded as it happens, so a close a crash interrupted is resumed on restart without
posting the words twice, and only then is the café `closed`. The timer and `/floor close` take the
same step record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core import lifecycle
from bot.core.lifecycle import Action
from bot.core.models import Session, Step
from bot.core.plan import render_async
from bot.core.timeline import StepKind
from bot.services.access import AccessService, together
from bot.services.cafes import Cafes
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.steps import StepRepo

#: Told before the closing words go out (the café's id, whether a crash is being resumed): the
#: last round's summary offers and the plenary's summaries. Must be idempotent.
Closing = Callable[[int, bool], Awaitable[object]]


class ClosingService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.steps = StepRepo(cafes.db)
        #: what else happens as the café closes; wired in the composition root
        self.on_closing: list[Closing] = []
        self.access = AccessService(cafes)

    def register_steps(self, kinds: StepKinds) -> None:
        async def close_step(step: Step) -> str | None:
            async with self.cafes.lock(step.cafe()):
                session = await self.cafes.require(step.cafe())
                if not lifecycle.allowed(session.state, Action.CLOSE):
                    return f"the café is {session.state.value}"
                await self._close(session, actor_id=None, resuming=await self.steps.interrupted(step.id))
                return None

        kinds.register(StepKind.CLOSE, close_step)

    async def close(self, session_id: int, actor_id: int | None, guild_id: int | None = None) -> Session:
        """Post the closing words and signposting, lock every channel, stop capture (by hand)."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            lifecycle.advance(session.state, Action.CLOSE, cafe=session_id)
            step = await self.steps.claim_for(session_id, StepKind.CLOSE, {})
            resuming = step is not None and await self.steps.interrupted(step.id)
            try:
                closed = await self._close(session, actor_id=actor_id, resuming=resuming)
            except Exception:
                if step is not None:
                    await self.steps.release(step.id)
                raise
            if step is not None:
                await self.steps.finish(step.id, "done", "closed by hand")
            return closed

    async def _close(self, session: Session, *, actor_id: int | None, resuming: bool) -> Session:
        """Each channel's closing words, then each lock, skipping what is recorded; with `resuming`
        a post Discord may have made before a crash is looked up rather than repeated."""
        cafes, session_id = self.cafes, session.id
        store, chat = cafes.sessions, cafes.chat
        closing = lifecycle.advance(session.state, Action.CLOSE, cafe=session_id)
        await store.set_state(session_id, closing)
        for listener in self.on_closing:
            await listener(session_id, resuming)
        facts = await cafes.facts_for(session)
        names = {room.channel_id: room for room in await store.rooms(session_id)}
        progress = await store.closing_progress(session_id)

        async def words(channel_id: int) -> None:
            room = names.get(channel_id)
            context = facts.context(room=room) if room is not None else facts.context(room_name="lobby")
            text = await message_async("closing", closing=await render_async(facts.plan.closing, context),
                                       signposting=await render_async(facts.plan.signposting, context))
            found = await chat.find_post(channel_id, text) if resuming else None
            message = found or await chat.post(channel_id, text)
            await store.set_closing_message(session_id, channel_id, message)

        # Each channel's whole access, read-only for everyone now the café is closing: one edit per
        # channel (the access is computed from the store, bot/core/access.py).
        floor = await self.access.floor(await cafes.refreshed(session_id))

        async def lock(channel_id: int) -> None:
            access = floor.channel_access(channel_id)
            if access is not None:
                await chat.set_access(channel_id, access)
            await store.set_locked(session_id, channel_id)

        await together(words(channel_id) for channel_id, posted, _ in progress if not posted)
        await together(lock(channel_id) for channel_id, _, locked in progress if not locked)
        await store.set_state(session_id, lifecycle.advance(closing, Action.FINISH_CLOSE, cafe=session_id))
        await cafes.audit.record(session.guild_id, session_id, actor_id, "close", "")
        await cafes.timeline_changed(session_id)
        closed = await cafes.refreshed(session_id)
        await cafes.closed(closed)
        return closed
