"""The feedback form after a café: offered to everyone who took part when the café closes, open
for the days the plan sets, then closed by a durable step.

Answers are stored by `AfterCafeRepo` with no person, pseudonym, order or time finer than the
hour; a separate "has answered" marker refuses a second answer and is deleted when the form
closes. The offers posted at the close carry the draw and report buttons too, when the plan
has them (their use cases are `prize_draw` and `report_back`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core import draw
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.models import Session, Step
from bot.core.plan import FeedbackQuestion
from bot.core.timeline import Misfire
from bot.core.when import describe
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, Offer, OfferKind
from bot.services.messages import message_async
from bot.services.steps import StepKinds
from bot.store.after_cafe import AfterCafe, AfterCafeRepo, AnswerRefused

log = logging.getLogger(__name__)

#: The durable step that closes a café's form. Stored with no café (a café's own steps are
#: cancelled when it closes, and this one runs days later); the café is in the payload.
FORM_CLOSE = "feedback_close"
FORM_OFFER = "feedback_offer"
MAX_ANSWER_CHARS = 1000


class Timers(Protocol):
    """What sets a durable timer (the scheduler's `add`)."""

    def __call__(self, kind: str, due_at: datetime, *, misfire: Misfire, payload: Mapping[str, object],
                 session_id: int | None) -> Awaitable[object]: ...


@dataclass(frozen=True)
class Offered:
    """What the close offered: how many people were told by DM, and how many could not be."""

    dms_sent: int
    dms_closed: int


def after_cafe_offers(session_id: int, facts: CafeFacts) -> tuple[Offer, ...]:
    feedback = facts.plan.feedback
    offers = [Offer(OfferKind.FEEDBACK, session_id)]
    if feedback.prize_draw is not None:
        offers.append(Offer(OfferKind.DRAW_ENTRY, session_id))
    if feedback.report_updates:
        offers.append(Offer(OfferKind.REPORT_UPDATES, session_id))
    return tuple(offers)


class FeedbackService:
    def __init__(self, cafes: Cafes, timers: Timers) -> None:
        self.cafes = cafes
        self.repo = AfterCafeRepo(cafes.db)
        self.timers = timers

    def register_steps(self, kinds: StepKinds) -> None:
        kinds.register(FORM_CLOSE, self._close_step)
        kinds.register(FORM_OFFER, self._offer_step)

    # --- at the close ----------------------------------------------------------------------

    async def cafe_closed(self, session: Session) -> None:
        """Open the form (and the draw, committing its seed) and set its closing; the offer in the
        lobby and by DM is its own timed step, so a crash while offering never touches the close.
        Runs once per café: a close that runs again finds the form open and does nothing."""
        facts = CafeFacts.of(session)
        feedback = facts.plan.feedback
        now = self.cafes.clock.now()
        closes_at = now + timedelta(days=feedback.days_open)
        seed = draw.new_seed() if feedback.prize_draw is not None else None
        committed = draw.commitment(seed) if seed is not None else None
        if not await self.repo.open(session.id, closes_at, seed=seed, commitment=committed):
            return
        if committed is not None:
            # Published before anyone can enter: the seed cannot be chosen to suit an entrant.
            await self.cafes.audit.record(session.guild_id, session.id, None, "draw_commitment",
                                          f"sha256={committed}")
        await self.timers(FORM_CLOSE, closes_at, misfire=Misfire.RUN_IF_RUNNING, payload={"cafe": session.id},
                          session_id=None)
        await self.timers(FORM_OFFER, now, misfire=Misfire.RUN_IF_RUNNING, payload={"cafe": session.id},
                          session_id=None)

    async def offer(self, session_id: int) -> Offered:
        """Offer the form, the draw and the report list in the lobby and by DM to everyone who sat
        in a room. A lobby post already made before a restart is found, not repeated."""
        session, after = await open_after_cafe(self.cafes, self.repo, session_id)
        facts = CafeFacts.of(session)
        text = await message_async("after_cafe", session=session, plan=facts.plan,
                                   closes=describe(after.form_closes_at, session.timezone))
        offers = after_cafe_offers(session.id, facts)
        if session.lobby_channel_id is not None:
            try:
                if await self.cafes.chat.find_post(session.lobby_channel_id, text) is None:
                    await self.cafes.chat.post(session.lobby_channel_id, text, offers=offers)
            except ChatError as exc:
                log.warning("café #%s: the feedback offer could not be posted in the lobby (%s)", session.id,
                            exc.status)
        sent = closed = 0
        for user_id in await self.repo.attendees(session.id):
            if await dm_counted(self.cafes, user_id, text, offers):
                sent += 1
            else:
                closed += 1
        await self.cafes.audit.record(session.guild_id, session.id, None, "feedback_open",
                                      f"dms_sent={sent} dms_closed={closed} closes={after.form_closes_at.isoformat()}")
        return Offered(sent, closed)

    # --- answering ----------------------------------------------------------------------------

    async def form(self, session_id: int, user_id: int) -> tuple[Session, list[FeedbackQuestion]]:
        """The questions to ask this person, or a kind refusal before they write anything."""
        session, after = await open_after_cafe(self.cafes, self.repo, session_id)
        if not form_open(after, self.cafes.clock.now()):
            raise UserError(closed_message(session, after))
        await require_attendee(self.repo, session, user_id)
        if await self.repo.has_answered(session_id, user_id):
            raise UserError(already_answered(session))
        return session, list(CafeFacts.of(session).plan.feedback.questions)

    async def answer(self, session_id: int, user_id: int, values: Mapping[str, str]) -> None:
        """Check the answers against the plan's questions and store them, apart from the person."""
        session, questions = await self.form(session_id, user_id)
        rating: int | None = None
        answers: dict[str, str] = {}
        for question in questions:
            value = (values.get(question.id) or "").strip()[:MAX_ANSWER_CHARS]
            if not value:
                if question.required:
                    raise UserError(f"Please answer “{question.label}”; nothing was saved.")
                continue
            if question.kind == "rating":
                if value not in {"1", "2", "3", "4", "5"}:
                    raise UserError(f"“{question.label}” needs a whole number from 1 to 5 (you wrote "
                                    f"“{value[:20]}”). Nothing was saved: press the button again to answer.")
                rating = int(value)
            else:
                answers[question.id] = value
        try:
            await self.repo.answer(session_id, user_id, rating, answers, self.cafes.clock.now())
        except AnswerRefused as exc:
            after = await self.repo.get(session_id)
            if exc.reason == "twice":
                raise UserError(already_answered(session)) from exc
            if exc.reason == "closed" and after is not None:
                raise UserError(closed_message(session, after)) from exc
            raise UserError(f"This form is for the people who took part in café #{session.id}.") from exc

    # --- closing the form ------------------------------------------------------------------------

    async def _close_step(self, step: Step) -> None:
        await self.close_form(_cafe_of(step))

    async def _offer_step(self, step: Step) -> None:
        await self.offer(_cafe_of(step))

    async def close_form(self, session_id: int) -> int:
        """Close the form and delete the "has answered" markers; returns how many answers it holds."""
        answers = await self.repo.close_form(session_id)
        session = await self.cafes.sessions.get(session_id)
        if session is not None:
            await self.cafes.audit.record(session.guild_id, session_id, None, "feedback_closed",
                                          f"answers={answers}")
        return answers


# --- shared by the after-café use cases --------------------------------------------------------


def _cafe_of(step: Step) -> int:
    cafe = step.payload.get("cafe")
    if not isinstance(cafe, int):
        raise UserError(f"a {step.kind} step without its café")
    return cafe


async def open_after_cafe(cafes: Cafes, repo: AfterCafeRepo, session_id: int,
                          guild_id: int | None = None) -> tuple[Session, AfterCafe]:
    session = await cafes.require(session_id, guild_id)
    after = await repo.get(session_id)
    if after is None:
        raise UserError(f"Café #{session_id} hasn't closed yet: its feedback form opens when it does.")
    return session, after


def form_open(after: AfterCafe, now: datetime) -> bool:
    """Open until the closing step has run, and never past its time even if that step is late."""
    return after.form_open and now < after.form_closes_at


def closed_message(session: Session, after: AfterCafe) -> str:
    when = describe(after.form_closed_at or after.form_closes_at, session.timezone)
    return f"The feedback form for café #{session.id} closed on {when}. Thank you all the same."


def already_answered(session: Session) -> str:
    return (f"You've already answered the feedback form for café #{session.id}. Thank you! Each person can "
            "answer once.")


async def require_attendee(repo: AfterCafeRepo, session: Session, user_id: int) -> None:
    if not await repo.attended(session.id, user_id):
        raise UserError(f"This is for the people who took part in café #{session.id}.")


async def dm_counted(cafes: Cafes, user_id: int, text: str, offers: tuple[Offer, ...] = ()) -> bool:
    """A DM that counts as not delivered when Discord refuses it: closed DMs are counted, not chased."""
    try:
        return await cafes.chat.dm(user_id, text, offers=offers)
    except ChatError as exc:
        log.info("a DM was refused (%s); counted as not delivered", exc.status)
        return False

