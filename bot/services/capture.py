"""Capture: keep a message only if its author had active consent at the moment they wrote it.

The consent check happens before anything is written, so a declined person's words never
reach the database, not even for an instant. Capture is idempotent on the message id, which
lets backfill after a restart overlap freely with live capture.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.core.consent import may_keep, state_at
from bot.core.models import Session
from bot.core.text import attachment_marker, clean_contribution, mentioned_user_ids
from bot.core.timeline import SessionState
from bot.services.chat import Chat, ChatMessage
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackfillReport:
    session_id: int
    seen: int
    captured: int


class CaptureService:
    def __init__(self, db: Database, pseudonym_key: bytes) -> None:
        self.db = db
        self.key = pseudonym_key
        self.sessions = SessionRepo(db)
        self.people = PeopleRepo(db)
        self.contributions = ContributionRepo(db)

    async def on_message(self, msg: ChatMessage) -> bool:
        """Capture one message if every rule allows it; True when it was stored."""
        if msg.author_is_bot or msg.is_system:
            return False
        session = await self.sessions.session_by_channel(msg.channel_id)
        if session is None:
            return False
        await self.sessions.mark_seen(msg.channel_id, msg.id)
        if session.state is not SessionState.RUNNING:
            return False
        person = await self.people.participant_id(msg.author_id)
        if person is None:
            return False
        if not may_keep(await self.people.ledger(session.id, person), msg.created_at):
            return False
        text = await self._clean(session, msg)
        if not text:
            return False
        room = await self.sessions.room_by_channel(msg.channel_id)
        pseudonym = await self.people.pseudonym(session.guild_id, session.series, person, msg.author_id, self.key)
        return await self.contributions.add(
            session_id=session.id,
            room_id=room.id if room else None,
            round_number=await self.sessions.round_at(session.id, msg.created_at) or session.current_round,
            participant_id=person,
            pseudonym=pseudonym,
            message_id=msg.id,
            channel_id=msg.channel_id,
            created_at=msg.created_at,
            text=text,
            reply_to_message_id=msg.reply_to_id,
        )

    async def _clean(self, session: Session, msg: ChatMessage) -> str:
        known: dict[int, str | None] = {}
        for user_id in mentioned_user_ids(msg.content):
            known[user_id] = await self.people.existing_pseudonym(session.guild_id, session.series, user_id)
        parts = [clean_contribution(msg.content, known.get).strip()]
        parts.extend(attachment_marker(a.content_type, a.filename) for a in msg.attachments)
        return " ".join(p for p in parts if p)

    async def on_edit(self, message_id: int, content: str, edited_at: datetime, channel_id: int) -> bool:
        """Update a kept message's text, unless the author no longer consents at the time of the edit.

        Only messages already kept are updated, so an edit never brings in new words."""
        owner = await self.contributions.owner(message_id)
        if owner is None:
            return False
        session_id, person = owner
        session = await self.sessions.get(session_id)
        # Any state: after the café someone may trim what they said, and the store should follow.
        if session is None:
            return False
        if not state_at(await self.people.ledger(session_id, person), edited_at).recording:
            return False
        discord_id = await self.people.discord_id(person)
        msg = ChatMessage(id=message_id, channel_id=channel_id, author_id=discord_id or 0, author_is_bot=False,
                          content=content, created_at=edited_at)
        text = await self._clean(session, msg)
        if not text:
            return await self.contributions.delete_message(message_id)
        return await self.contributions.update_text(message_id, text)

    async def on_delete(self, message_id: int) -> bool:
        """A deleted message leaves the store whatever the session's state."""
        return await self.contributions.delete_message(message_id)

    async def backfill(self, chat: Chat, session: Session, *, sweep_deletions: bool = False) -> BackfillReport:
        """Read what was written while the bot was away, under the same consent rule.

        With `sweep_deletions` (at start-up), it reads each channel from its oldest kept
        message instead, so a message deleted while the bot was offline leaves the store too.
        """
        channels = [(room.channel_id, room.last_seen_message_id) for room in await self.sessions.rooms(session.id)]
        if session.lobby_channel_id is not None:
            channels.append((session.lobby_channel_id, await self.sessions.lobby_cursor(session.id)))
        seen = captured = removed = 0
        for channel_id, after in channels:
            if channel_id is None:
                continue
            kept = await self.sessions.stored_message_ids(channel_id) if sweep_deletions else set()
            if kept:
                after = min(min(kept) - 1, after) if after is not None else min(kept) - 1
            present: set[int] = set()
            async for msg in chat.history_after(channel_id, after):
                seen += 1
                present.add(msg.id)
                if await self.on_message(msg):
                    captured += 1
            for gone in kept - present:
                removed += await self.contributions.delete_message(gone)
        if seen or removed:
            log.info("backfill of café #%s: %s messages read, %s captured, %s deleted while away",
                     session.id, seen, captured, removed)
        return BackfillReport(session.id, seen, captured)
