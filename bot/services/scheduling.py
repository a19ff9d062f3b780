"""Putting a café on the calendar: schedule from a plan, invite, remind, list and cancel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import lifecycle
from bot.core.errors import UserError
from bot.core.lifecycle import Action
from bot.core.models import GuildConfig, Session, Step
from bot.core.plan import PlanError
from bot.core.timeline import StepKind, plan_steps
from bot.core.when import WhenError, parse_start
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, invitation_offers
from bot.services.messages import message_async
from bot.services.plans import PlanNotFound, load_plan
from bot.services.steps import StepKinds

MAX_ROOM_SIZE = 25
# From chat only plan ids are accepted, never paths on the bot's host.
_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class Scheduled:
    session: Session
    when: str


@dataclass(frozen=True)
class Listed:
    session: Session
    when: str
    going: int


class SchedulingService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes

    def register_steps(self, kinds: StepKinds) -> None:
        async def remind(step: Step) -> None:
            await self.remind(step.cafe())

        kinds.register(StepKind.REMINDER, remind)

    async def schedule(
        self, config: GuildConfig, actor_id: int, *, plan_ref: str, when: str, series: str | None = None,
        room_size: int | None = None,
    ) -> Scheduled:
        """Check everything first; only then write the session, its rounds and steps in one go."""
        if not _PLAN_ID.fullmatch(plan_ref.strip()):
            raise UserError(f"{plan_ref[:40]!r} is not a plan name. Pick one from the list, e.g. "
                            "`whats-next-for-recovery`.")
        try:
            plan = await load_plan(plan_ref.strip(), self.cafes.plans_dir)
        except PlanNotFound as exc:
            raise UserError(str(exc)) from exc
        except PlanError as exc:
            raise UserError(f"The plan {plan_ref!r} has problems; an organiser can fix them in its plan.yaml "
                            f"(check with `blether plans check`):\n{exc}") from exc
        now = self.cafes.clock.now()
        try:
            starts_at = parse_start(when, config.timezone, now)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        size = room_size if room_size is not None else plan.room_size
        if not 2 <= size <= MAX_ROOM_SIZE:
            raise UserError(f"Room size must be between 2 and {MAX_ROOM_SIZE} people (you gave {size}).")
        label = (series or plan.id).strip()
        if not label or len(label) > 80:
            raise UserError("The series name must be 1 to 80 characters.")
        session_id = await self.cafes.sessions.create(
            guild_id=config.guild_id, series=label, plan_id=plan.id, plan_title=plan.title,
            plan_snapshot=plan.to_snapshot(), starts_at=starts_at, timezone=config.timezone, room_size=size,
            rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds],
            steps=plan_steps(starts_at, [r.minutes for r in plan.rounds], now), actor_id=actor_id,
        )
        session = await self.cafes.refreshed(session_id)
        await self.cafes.timeline_changed(session_id)
        return Scheduled(session, self.cafes.facts(session).when)

    async def schedule_and_invite(
        self, config: GuildConfig, actor_id: int, channel_id: int, *, plan_ref: str, when: str,
        series: str | None = None, room_size: int | None = None,
    ) -> Scheduled:
        """Schedule, then post the invitation; if it can't be posted, the café is called off again,
        so nobody is left with a café that nobody was invited to."""
        scheduled = await self.schedule(config, actor_id, plan_ref=plan_ref, when=when, series=series,
                                        room_size=room_size)
        try:
            await self.publish(scheduled.session, channel_id)
        except ChatError as exc:
            await self.cancel(scheduled.session.id, actor_id, config.guild_id, announce=False)
            raise UserError("I couldn't post the invitation in this channel, so the café was not scheduled. Give "
                            "Blether View Channel and Send Messages here, or schedule it from another channel."
                            ) from exc
        return scheduled

    async def announcement(self, session: Session) -> str:
        facts = self.cafes.facts(session)
        return await message_async("announcement", session=session, plan=facts.plan, when=facts.when,
                       minutes=facts.plan.total_minutes)

    async def publish(self, session: Session, channel_id: int) -> int:
        """Post the invitation with what people can press, where the organiser scheduled it."""
        message_id = await self.cafes.chat.post(channel_id, await self.announcement(session),
                                                offers=invitation_offers(session.id))
        await self.cafes.sessions.set_announcement(session.id, channel_id, message_id)
        return message_id

    async def cancel(self, session_id: int, actor_id: int, guild_id: int, *, announce: bool = True) -> Session:
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            state = lifecycle.advance(session.state, Action.CANCEL, cafe=session_id)
            await self.cafes.sessions.set_state(session_id, state)
            await self.cafes.audit.record(session.guild_id, session_id, actor_id, "cancel", "")
            if announce and session.announce_channel_id is not None:
                await self.cafes.chat.post(session.announce_channel_id,
                                           await message_async("cancelled", session=session))
            await self.cafes.timeline_changed(session_id)
            return await self.cafes.refreshed(session_id)

    async def remind(self, session_id: int) -> None:
        session = await self.cafes.require(session_id)
        if session.announce_channel_id is None:
            return
        going = await self.cafes.people.going(session_id)
        await self.cafes.chat.post(
            session.announce_channel_id,
            await message_async("reminder", session=session, when=self.cafes.facts(session).when, going=len(going)),
        )

    async def list(self, guild_id: int) -> list[Listed]:
        sessions = await self.cafes.sessions.list_for_guild(guild_id)
        return [Listed(s, self.cafes.facts(s).when, len(await self.cafes.people.going(s.id))) for s in sessions]
