"""Room summaries and key points: what hosts and facilitators keep of a conversation as it happens.

At the end of each round every room gets a message offering **Write the summary** to its host and
the facilitators. The summary is kept with its room and round, can be rewritten (the form opens
with the current text), is audited, and reaches the lobby at the plenary: when the café closes,
and when the facilitators recall everyone (`to_lobby`). A withdrawal or erasure flags a summary
that may quote the person (`ContributionRepo`); rewriting it clears the flag.

A facilitator marks a kept contribution as a key point, optionally with a theme from the plan's
codebook. The mark lives on the contribution's row, so it goes whenever the words go (withdrawal,
erasure, an author's deletion, retention). Words that were never kept cannot be marked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.models import Room, Session
from bot.core.timeline import SessionState
from bot.services.cafes import Cafes
from bot.services.chat import ChatError, Offer, OfferKind
from bot.services.messages import message_async
from bot.store.attendance import AttendanceRepo
from bot.store.contributions import ContributionRepo
from bot.store.summaries import SummaryRepo

log = logging.getLogger(__name__)

#: The longest summary the form takes: long enough for a room's thread in a few sentences, short
#: enough that one summary and its heading fit one Discord message (2,000 characters) in the lobby.
MAX_SUMMARY = 1500
#: Discord's message limit, which the lobby's posts of summaries are packed into.
_MESSAGE_LIMIT = 2000
#: How a key point's marker is recorded when the person is an organiser or a facilitator.
ORGANISER, FACILITATOR, HOST = "organiser", "facilitator", "host"


@dataclass(frozen=True)
class SummaryDraft:
    """What the form opens with: which room and round, and the text so far."""

    session: Session
    room: Room
    round_number: int
    round_title: str
    text: str
    needs_review: bool


@dataclass(frozen=True)
class SavedSummary:
    draft: SummaryDraft
    edited: bool
    #: posted to the lobby now (the plenary has already happened), else at the next one
    posted: bool


@dataclass(frozen=True)
class KeyPoint:
    session: Session
    marked: bool
    theme: str | None
    theme_name: str | None


def pack(blocks: list[str], limit: int = _MESSAGE_LIMIT) -> list[list[int]]:
    """Which blocks go in each message: in order, as few messages as keep each block whole when
    joined by blank lines within `limit` characters (a block is never over it: summaries are capped
    below it)."""
    groups: list[list[int]] = []
    size = 0
    for index, block in enumerate(blocks):
        if groups and size + 2 + len(block) <= limit:
            groups[-1].append(index)
            size += 2 + len(block)
        else:
            groups.append([index])
            size = len(block)
    return groups


class SummaryService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.summaries = SummaryRepo(cafes.db)
        self.attendance = AttendanceRepo(cafes.db)

    async def may_write(self, session: Session, room: Room, user_id: int, is_facilitator: bool) -> bool:
        """Who may write a room's summary: any facilitator (organisers count), and the room's host.

        The one place the rule lives (async, so it can read the store): a table's host stays with
        their table all café, so they may write its summary for every round."""
        return is_facilitator or await self._hosts(session.id, room.id, user_id)

    async def _hosts(self, session_id: int, room_id: int, user_id: int) -> bool:
        person = await self.cafes.people.participant_id(user_id)
        return person is not None and (await self.attendance.hosts(session_id)).get(room_id) == person

    # -- the offer at the end of each round ----------------------------------------------------

    async def rounds_ended(self, session_id: int, before: int | None, resuming: bool) -> None:
        """Every room gets the offer for each round that has ended (every started round before
        round `before`; None: every started round, as at the close) and has not had it. Each post
        is recorded as it happens; with `resuming`, a post Discord made before a crash is found
        rather than repeated. A post Discord refuses is logged and tried again at the next round's
        end: a missing offer must not stop the café moving on."""
        cafes = self.cafes
        session = await cafes.refreshed(session_id)
        facts = CafeFacts.of(session)
        rooms = {room.id: room for room in await cafes.sessions.rooms(session_id)}
        for room_id, number in await self.summaries.offers_due(session_id, before):
            channel = rooms[room_id].channel_id
            if channel is None:
                continue
            text = await message_async("summary_offer", number=number, title=facts.round(number).title,
                                       room=rooms[room_id].name, limit=MAX_SUMMARY)
            try:
                posted = (await cafes.chat.find_post(channel, text) if resuming else None) \
                    or await cafes.chat.post(channel, text, offers=(Offer(OfferKind.WRITE_SUMMARY, session_id),))
            except ChatError as exc:
                log.warning("café #%s: the summary offer for round %s could not be posted in room %s (%s)",
                            session_id, number, rooms[room_id].number, exc.code)
                continue
            await self.summaries.set_offer(session_id, room_id, number, posted)

    # -- writing -------------------------------------------------------------------------------

    async def draft(self, session_id: int, guild_id: int, offer_message_id: int, user_id: int,
                    is_facilitator: bool) -> SummaryDraft:
        """The form's starting point for the offer that was pressed, if this person may write it."""
        session = await self.cafes.require(session_id, guild_id)
        found = await self.summaries.offer(session_id, offer_message_id)
        rooms = {room.id: room for room in await self.cafes.sessions.rooms(session_id)}
        if found is None or found[0] not in rooms:
            raise UserError("This button no longer belongs to a room of the café, so there is nothing to summarise.")
        room, number = rooms[found[0]], found[1]
        if not await self.may_write(session, room, user_id, is_facilitator):
            raise UserError(f"Only the host of {room.name} or a facilitator can write its summary. If you would like "
                            "something noted, tell them here in the room.")
        stored = await self.summaries.get(session_id, room.id, number)
        return SummaryDraft(session, room, number, CafeFacts.of(session).round(number).title,
                            stored.text if stored else "", stored.needs_review if stored else False)

    async def save(self, session_id: int, guild_id: int, offer_message_id: int, user_id: int, *,
                   is_facilitator: bool, role: str, text: str) -> SavedSummary:
        """Keep the room's summary of the round (audited). After the café has closed its plenary
        is over, so the summary goes to the lobby at once; before, it waits for the next plenary."""
        cleaned = text.strip()
        if not cleaned:
            raise UserError("The summary is empty: write a few sentences about the room's conversation.")
        if len(cleaned) > MAX_SUMMARY:
            raise UserError(f"The summary is {len(cleaned)} characters long; please keep it to {MAX_SUMMARY}.")
        async with self.cafes.lock(session_id):
            draft = await self.draft(session_id, guild_id, offer_message_id, user_id, is_facilitator)
            if await self._hosts(session_id, draft.room.id, user_id):
                role = HOST  # the most specific role: the summary is the host's account of their table
            edited = await self.summaries.save(session_id, draft.room.id, draft.round_number, cleaned, role)
            await self.cafes.audit.record(draft.session.guild_id, session_id, user_id,
                                          "summary_edit" if edited else "summary",
                                          f"room={draft.room.number} round={draft.round_number}")
            session = await self.cafes.refreshed(session_id)
            posted = session.state is SessionState.CLOSED and await self._post_unposted(session, resuming=False) > 0
        return SavedSummary(draft, edited, posted)

    # -- the plenary ---------------------------------------------------------------------------

    async def closing(self, session_id: int, resuming: bool) -> None:
        """The close is the last plenary: the last round has ended too (its offers go out, to be
        written afterwards), and the summaries written so far go to the lobby before the closing words."""
        await self.rounds_ended(session_id, None, resuming)
        await self.to_lobby(session_id, resuming=resuming)

    async def to_lobby(self, session_id: int, *, resuming: bool) -> int:
        """Post to the lobby every summary whose current text has not been posted; the caller
        holds the café's lock (the close, a recall). Returns how many summaries went out."""
        return await self._post_unposted(await self.cafes.refreshed(session_id), resuming=resuming)

    async def _post_unposted(self, session: Session, *, resuming: bool) -> int:
        lobby = session.lobby_channel_id
        if lobby is None:
            return 0
        waiting = [s for s in await self.summaries.of_session(session.id) if s.unposted]
        if not waiting:
            return 0
        facts = CafeFacts.of(session)
        rooms = {room.id: room for room in await self.cafes.sessions.rooms(session.id)}
        blocks: list[str] = []
        for found in waiting:
            blocks.append(await message_async("summary_lobby", room=rooms[found.room_id].name,
                                              number=found.round_number, title=facts.round(found.round_number).title,
                                              text=found.text))
        posted = 0
        for group in pack(blocks):
            text = "\n\n".join(blocks[i] for i in group)
            if not (resuming and await self.cafes.chat.find_post(lobby, text)):
                await self.cafes.chat.post(lobby, text)
            await self.summaries.mark_posted([waiting[i] for i in group])
            posted += len(group)
        return posted


class KeyPointService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.contributions = ContributionRepo(cafes.db)

    async def _kept(self, guild_id: int, channel_id: int, message_id: int) -> tuple[Session, str | None]:
        session = await self.cafes.of_channel(channel_id, guild_id)
        if session is None:
            raise UserError("Key points are marked on messages in a café's rooms or lobby; this channel is not one.")
        held = await self.contributions.key_point(message_id)
        if held is None:
            raise UserError("This message is not kept, so it cannot be marked: its author has not agreed to "
                            "recording (or has withdrawn). Nothing was stored about it.")
        return session, held[1]

    async def themes(self, session: Session) -> list[tuple[str, str]]:
        """(id, name) of the plan's codebook, in the plan's order."""
        return [(theme.id, theme.name) for theme in CafeFacts.of(session).plan.themes]

    async def mark(self, guild_id: int, channel_id: int, message_id: int, *, actor_id: int, role: str,
                   theme: str | None = None, keep_theme: bool = False) -> KeyPoint:
        """Mark a kept message as a key point (audited), with `theme` from the plan's codebook, or
        the theme it already has with `keep_theme` (a 📌 on a message already themed keeps it)."""
        session, current = await self._kept(guild_id, channel_id, message_id)
        names = dict(await self.themes(session))
        chosen = current if keep_theme else theme
        if chosen is not None and chosen not in names:
            raise UserError(f"{chosen!r} is not a theme of this café's plan; choose one from the list.")
        if not await self.contributions.mark_key_point(message_id, by=role, theme=chosen):
            raise UserError("This message is no longer kept (its author withdrew or deleted it), so it cannot be "
                            "marked.")
        await self.cafes.audit.record(session.guild_id, session.id, actor_id, "key_point",
                                      f"room_channel={channel_id} theme={chosen or '-'}")
        return KeyPoint(session, True, chosen, names.get(chosen) if chosen else None)

    async def unmark(self, guild_id: int, channel_id: int, message_id: int, *, actor_id: int) -> KeyPoint:
        session, _ = await self._kept(guild_id, channel_id, message_id)
        if await self.contributions.unmark_key_point(message_id):
            await self.cafes.audit.record(session.guild_id, session.id, actor_id, "key_point_removed",
                                          f"room_channel={channel_id}")
        return KeyPoint(session, False, None, None)
