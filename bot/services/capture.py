"""Capture: keep a message only if its author had active consent at the moment they wrote it.

The consent check happens before anything is written, so a declined person's words never
reach the database, not even for an instant. Every sighting of a message (written live, edited
live, or read back after a restart) is judged by the same rule and leaves the store in the same
state, so capture heals: a message read again after a restart brings its edit and its "(edited)"
mark, and backfill overlaps freely with live capture.

A channel's cursor (where the next backfill starts) moves only past messages that were read
*and* handled. Live messages move it only once the channel has been read back since the bot
(re)connected, so a failed backfill leaves the gap for the next attempt instead of stepping
over it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.consent import may_keep, recording_throughout
from bot.core.models import Session
from bot.core.text import attachment_marker, clean_contribution, mentioned_user_ids
from bot.core.timeline import ACTIVE_STATES, SessionState
from bot.services.chat import Chat, ChatMessage
from bot.services.hosts import HostsNotifier
from bot.services.messages import message_async
from bot.services.steps import failure_reason
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
        # Channels read back since the last (re)connection: only there may a live message move
        # the cursor, since anywhere else an unread gap may lie behind it.
        self._caught_up: set[int] = set()

    async def fall_behind(self) -> None:
        """The gateway connection dropped: events may be lost until each channel is read back."""
        self._caught_up.clear()

    async def on_message(self, msg: ChatMessage) -> bool:
        """A message seen live; True when it was newly stored. The cursor moves past it only if
        the channel holds no unread gap before it."""
        handled = await self.handle(msg)
        if msg.channel_id in self._caught_up:
            await self.sessions.mark_seen(msg.channel_id, msg.id)
        return handled

    async def handle(self, msg: ChatMessage) -> bool:
        """Bring the store in line with one sighting of a message; True when it was newly stored.

        The words are held only if recording was on when the message was written and, for an
        edited message, when its present text was written (the edit); otherwise a copy held from
        before goes. A message first seen once the café is no longer running is not taken in.
        """
        if msg.author_is_bot or msg.is_system:
            return False
        session = await self.sessions.session_by_channel(msg.channel_id)
        if session is None:
            return False
        held = await self.contributions.owner(msg.id)
        if held is None and session.state is not SessionState.RUNNING:
            return False
        person = await self.people.participant_id(msg.author_id)
        if person is None:
            return False
        ledger = await self.people.ledger(session.id, person)
        allowed = may_keep(ledger, msg.created_at) and (
            msg.edited_at is None or recording_throughout(ledger, msg.edited_at, msg.edited_at))
        text = await self._clean(session, msg) if allowed else ""
        if not text:
            if held is not None:
                await self.contributions.delete_message(msg.id)
            return False
        if held is not None:
            await self.contributions.update_text(msg.id, text, edited_at=msg.edited_at)
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
            edited_at=msg.edited_at,
        )

    async def _clean(self, session: Session, msg: ChatMessage) -> str:
        known: dict[int, str | None] = {}
        for user_id in mentioned_user_ids(msg.content):
            known[user_id] = await self.people.existing_pseudonym(session.guild_id, session.series, user_id)
        parts = [clean_contribution(msg.content, known.get).strip()]
        parts.extend(attachment_marker(a.content_type, a.filename) for a in msg.attachments)
        return " ".join(p for p in parts if p)

    async def on_delete(self, message_id: int) -> bool:
        """A deleted message leaves the store whatever the session's state."""
        return await self.contributions.delete_message(message_id)

    async def backfill(self, chat: Chat, session: Session, *, sweep_deletions: bool = False) -> BackfillReport:
        """Read what was written (and edited) while the bot was away, under the same consent rule.

        Each channel is read from its cursor, and the cursor follows each message once it is
        handled, so a read that fails part-way resumes where it stopped. With `sweep_deletions`
        (at start-up) it reads each channel from its beginning instead, so every message deleted
        or edited while the bot was offline is brought in line too: a held one, and also one not
        held now whose new words were written while recording (an earlier edit made while not
        recording had taken it out).
        """
        channels = [(room.channel_id, room.last_seen_message_id) for room in await self.sessions.rooms(session.id)]
        if session.lobby_channel_id is not None:
            channels.append((session.lobby_channel_id, await self.sessions.lobby_cursor(session.id)))
        seen = captured = removed = 0
        for channel_id, after in channels:
            if channel_id is None:
                continue
            kept = await self.sessions.stored_message_ids(channel_id) if sweep_deletions else set()
            if sweep_deletions:
                after = None
            present: set[int] = set()
            async for msg in chat.history_after(channel_id, after):
                seen += 1
                present.add(msg.id)
                if await self.handle(msg):
                    captured += 1
                await self.sessions.mark_seen(channel_id, msg.id)
            for gone in kept - present:
                removed += await self.contributions.delete_message(gone)
            self._caught_up.add(channel_id)
        if seen or removed:
            log.info("backfill of café #%s: %s messages read, %s captured, %s deleted while away",
                     session.id, seen, captured, removed)
        return BackfillReport(session.id, seen, captured)


class CatchUp:
    """Backfill every running café, and keep retrying a café whose read-back failed.

    A failure leaves that café's cursors where they were, so nothing is skipped; the retry waits
    longer each time (`delays`, in wall-clock seconds), and after `report_after` failures in a
    row the hosts are told, once, and told again when it heals or when Blether stops trying
    (the next start-up tries again from the same cursors).
    """

    def __init__(self, capture: CaptureService, chat: Chat, hosts: HostsNotifier, *,
                 delays: Sequence[float] = (30.0, 60.0, 120.0, 300.0, 600.0, 1200.0),
                 report_after: int = 3) -> None:
        self.capture = capture
        self.chat = chat
        self.hosts = hosts
        self.delays = tuple(delays)
        self.report_after = report_after
        self._retrying: dict[int, asyncio.Task[None]] = {}

    async def run(self, sessions: Sequence[Session], *, sweep_deletions: bool = False) -> None:
        for session in sessions:
            if session.id in self._retrying:
                continue  # already waiting to try again; the retry reads from the same cursors
            try:
                await self.capture.backfill(self.chat, session, sweep_deletions=sweep_deletions)
            except Exception as exc:
                log.warning("backfill of café #%s failed (%s); trying again in %ss", session.id,
                            failure_reason(exc), self.delays[0] if self.delays else "-")
                if self.delays:
                    self._retrying[session.id] = asyncio.create_task(
                        self._retry(session, sweep_deletions, exc), name=f"backfill-retry-{session.id}")

    async def _retry(self, session: Session, sweep_deletions: bool, first: Exception) -> None:
        failures, told, last = 1, False, first
        try:
            for delay in self.delays:
                if failures >= self.report_after and not told:
                    told = True
                    await self._tell(session, "backfill_failed", failures=failures, reason=failure_reason(last))
                await asyncio.sleep(delay)
                current = await self.capture.sessions.get(session.id)
                if current is None or current.state not in ACTIVE_STATES:
                    return
                try:
                    await self.capture.backfill(self.chat, current, sweep_deletions=sweep_deletions)
                except Exception as exc:
                    failures, last = failures + 1, exc
                    log.warning("backfill of café #%s failed again (%s)", session.id, failure_reason(exc))
                    continue
                log.info("backfill of café #%s succeeded after %s failure(s)", session.id, failures)
                if told:
                    await self._tell(session, "backfill_recovered", failures=failures, reason="")
                return
            log.error("backfill of café #%s: giving up after %s failures until the next start", session.id, failures)
            await self._tell(session, "backfill_gave_up", failures=failures, reason=failure_reason(last))
        finally:
            self._retrying.pop(session.id, None)

    async def _tell(self, session: Session, template: str, *, failures: int, reason: str) -> None:
        await self.hosts.tell(session.guild_id, await message_async(template, session=session, failures=failures,
                                                                    reason=reason))

    def stop(self) -> None:
        """The bot is closing: pending retries end (the cursors are durable; the next start reads on)."""
        for task in self._retrying.values():
            task.cancel()
        self._retrying.clear()
