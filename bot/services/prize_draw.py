"""The optional prize draw: people who took part may enter (answering the form is not needed), and
an organiser draws the winners with `/cafe draw`.

The seed was fixed from the cryptographic source and its SHA-256 written to the audit log when the
café closed, before anyone could enter (`FeedbackService.cafe_closed`). The draw writes the entry
count, the commitment, the revealed seed and the winning positions to the audit log, so anyone
with the log can check the result (see `bot.core.draw`). Winners are told by DM; the organiser is
told whom to contact only when a winner's DMs are closed. The entry list is erased by the draw.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import draw
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.when import describe
from bot.services.cafes import Cafes
from bot.services.feedback import dm_counted, form_open, open_after_cafe, require_attendee
from bot.services.messages import message_async
from bot.store.after_cafe import AfterCafeRepo


@dataclass(frozen=True)
class DrawResult:
    session_id: int
    entries: int
    winners: int
    #: Winners whose DMs are closed: the organiser contacts them.
    unreachable: tuple[int, ...]
    commitment: str


class PrizeDrawService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.repo = AfterCafeRepo(cafes.db)

    async def enter(self, session_id: int, user_id: int) -> str:
        session, after = await open_after_cafe(self.cafes, self.repo, session_id)
        prize = CafeFacts.of(session).plan.feedback.prize_draw
        if prize is None or not after.has_draw:
            raise UserError(f"Café #{session_id} has no prize draw.")
        if after.drawn_at is not None:
            raise UserError(f"The draw for café #{session_id} has already been made. Thank you for taking part!")
        if not form_open(after, self.cafes.clock.now()):
            raise UserError(f"Entries to café #{session_id}'s draw closed with its feedback form on "
                            f"{describe(after.form_closes_at, session.timezone)}.")
        await require_attendee(self.repo, session, user_id)
        if not await self.repo.enter_draw(session_id, user_id):
            return f"You're already in the draw for café #{session_id}. Good luck!"
        return (f"You're in the draw for {prize.prize} (café #{session_id}). If you win, Blether will tell you by "
                "DM. Only the fact that you entered is kept, and it is erased after the draw.")

    async def draw(self, session_id: int, guild_id: int, actor_id: int) -> DrawResult:
        session, after = await open_after_cafe(self.cafes, self.repo, session_id, guild_id)
        prize = CafeFacts.of(session).plan.feedback.prize_draw
        if prize is None or after.draw_seed is None or after.draw_commitment is None:
            raise UserError(f"Café #{session_id} has no prize draw (its plan has no `feedback.prize_draw`).")
        if after.drawn_at is not None:
            raise UserError(f"The draw for café #{session_id} was made on "
                            f"{describe(after.drawn_at, session.timezone)}; its entry list has been erased.")
        entrants = await self.repo.draw_entrants(session_id)
        if not entrants:
            raise UserError(f"No one has entered café #{session_id}'s draw yet, so there is nothing to draw.")
        positions = draw.pick(after.draw_seed, len(entrants), prize.winners)
        await self.cafes.audit.record(
            guild_id, session_id, actor_id, "draw",
            f"entries={len(entrants)} winners={len(positions)} commitment=sha256:{after.draw_commitment} "
            f"seed={after.draw_seed} positions={','.join(str(p + 1) for p in positions) or 'none'}")
        text = await message_async("draw_won", session=session, prize=prize.prize)
        # The winners are told before the list goes: were the bot to stop here, drawing again gives
        # the same positions from the same seed and entries.
        unreachable: list[int] = []
        for position in positions:
            if not await dm_counted(self.cafes, entrants[position], text):
                unreachable.append(entrants[position])
        await self.repo.finish_draw(session_id)
        return DrawResult(session_id, len(entrants), len(positions), tuple(unreachable), after.draw_commitment)
