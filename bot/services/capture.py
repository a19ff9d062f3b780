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

The live path is fast (`on_message`): the café, room, round, person, pseudonym and consent ledger
come from an in-memory view (`bot/services/capture_view.py`) that every change affecting it drops
through the `CaptureChanges` listener, so a message costs no reads in the common case. A message
judged kept waits in memory only (never on disk) and is written with others in one transaction
(`ContributionRepo.store_batch`, executemany) a few milliseconds later or as soon as `batch_rows`
are waiting, together with the channel cursors it covers; `on_message` returns once its batch has
committed. A batch lost to a crash is read back by the start-up backfill, since the cursor was not
moved past it. A consent change purges the person's queued words it no longer allows inside its
own transaction, and the batch takes its rows only once it holds the write lock, so no queued
message outlives the choice that refuses it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.consent import Choice, may_keep, recording_throughout
from bot.core.models import Session
from bot.core.text import attachment_marker, clean_contribution, mentioned_user_ids
from bot.core.timeline import ACTIVE_STATES, SessionState
from bot.services.capture_view import CaptureView
from bot.services.chat import Chat, ChatMessage
from bot.services.hosts import HostsNotifier
from bot.services.messages import message_async
from bot.services.steps import failure_reason
from bot.store.changes import listen
from bot.store.contributions import ContributionRepo, NewContribution
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackfillReport:
    session_id: int
    seen: int
    captured: int


@dataclass
class _Queued:
    row: NewContribution
    done: asyncio.Future[bool]


class CaptureService:
    """Implements `CaptureChanges`: the services that change consent, a café or a person's
    identity tell it, so its view and its queue never act on what was true before."""

    def __init__(self, db: Database, pseudonym_key: bytes, *, batch_window: float = 0.002,
                 batch_rows: int = 256) -> None:
        self.db = db
        self.key = pseudonym_key
        self.sessions = SessionRepo(db)
        self.people = PeopleRepo(db)
        self.contributions = ContributionRepo(db)
        self.view = CaptureView(self.sessions, self.people, pseudonym_key)
        listen(db, self)
        #: how long a batch gathers before it is written (seconds), and how many rows start one at once
        self.batch_window = batch_window
        self.batch_rows = batch_rows
        # Channels read back since the last (re)connection: only there may a live message move
        # the cursor, since anywhere else an unread gap may lie behind it.
        self._caught_up: set[int] = set()
        self._queue: list[_Queued] = []
        # Per channel: live messages being judged (the cursor may not pass them yet) and ones
        # handled whose cursor move waits for the next batch.
        self._judging: defaultdict[int, set[int]] = defaultdict(set)
        self._handled: defaultdict[int, list[int]] = defaultdict(list)
        self._flushing: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def fall_behind(self) -> None:
        """The gateway connection dropped: events may be lost until each channel is read back."""
        self._caught_up.clear()

    # --- the fast live path -----------------------------------------------------------------

    async def on_message(self, msg: ChatMessage) -> bool:
        """A message seen live; True when it was newly stored (its batch committed). The cursor
        moves past it, with a batch, only if the channel holds no unread gap before it."""
        if msg.author_is_bot or msg.is_system:
            return False
        tracked = msg.channel_id in self._caught_up
        if tracked:
            self._judging[msg.channel_id].add(msg.id)
        try:
            row = await self._judge(msg)
        except BaseException:
            if tracked:
                self._judging[msg.channel_id].discard(msg.id)
            raise
        if row == "slow":
            if tracked:
                self._judging[msg.channel_id].discard(msg.id)
            await self.flush()
            handled = await self.handle(msg)
            if tracked:
                await self.sessions.mark_seen(msg.channel_id, msg.id)
            return handled
        # From here to the queue nothing awaits: the ledger the verdict came from is the current one.
        if tracked:
            self._judging[msg.channel_id].discard(msg.id)
            self._handled[msg.channel_id].append(msg.id)
        if row is None:
            if tracked:
                self._start_flush()  # the cursor still moves, with the next batch
            return False
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append(_Queued(row, done))
        self._start_flush()
        return await asyncio.shield(done)

    async def _judge(self, msg: ChatMessage) -> NewContribution | Literal["slow"] | None:
        """The row to store, None to keep nothing, or "slow" for what the full path must decide
        (an edit, a café not running: rare, and they read the store)."""
        if msg.edited_at is not None:
            return "slow"
        cafe = await self.view.cafe_of_channel(msg.channel_id)
        if cafe is None:
            return None
        if cafe.session.state is not SessionState.RUNNING:
            return "slow"
        person = await self.view.participant(msg.author_id)
        if person is None:
            return None
        ledger = await self.view.ledger(cafe.session.id, person)
        if not may_keep(ledger, msg.created_at):
            return None
        text = await self._clean(cafe.session, msg)
        if not text:
            return None
        pseudonym = await self.view.pseudonym(cafe.session, person, msg.author_id)
        # The awaits above may have let a consent change in: judge again by the ledger as it is now,
        # read with no change landing meanwhile (the queue it goes to next is purged by changes).
        for _ in range(3):
            seen = self.view.generation
            current = self.view.cached_ledger(cafe.session.id, person)
            if current is None:
                current = await self.view.ledger(cafe.session.id, person)
            if self.view.generation == seen:
                break
        else:
            return "slow"  # consent keeps changing under it: the full path decides under the write lock
        if not may_keep(current, msg.created_at):
            return None
        return NewContribution(
            session_id=cafe.session.id, room_id=cafe.room_id, round_number=cafe.round_at(msg.created_at),
            participant_id=person, pseudonym=pseudonym, message_id=msg.id, channel_id=msg.channel_id,
            created_at=msg.created_at, text=text, reply_to_message_id=msg.reply_to_id,
        )

    def _start_flush(self) -> None:
        if len(self._queue) >= self.batch_rows:
            self._wake.set()
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_soon(), name="capture-batch")

    async def _flush_soon(self) -> None:
        """Gather for `batch_window` (or until `batch_rows` wait), then write until nothing waits."""
        self._wake.clear()
        if len(self._queue) < self.batch_rows:
            try:
                await asyncio.wait_for(self._wake.wait(), self.batch_window)
            except TimeoutError:
                pass
        while await self._write_batch():
            continue

    async def _write_batch(self) -> bool:
        """One transaction: the rows waiting and the cursors they let move; False when there was
        nothing to write. The rows are taken only once the write lock is held, so a consent change
        (which purges under the same lock) and a batch never interleave. A batch that fails leaves
        its channels' cursors where they are until the next read-back (as a failed backfill does),
        so the start-up backfill finds its messages."""
        if not self._queue and not self._cursors(dry_run=True):
            return False
        taken: list[_Queued] = []
        try:
            async with self.db.transaction() as conn:
                taken, self._queue = self._queue[:self.batch_rows], self._queue[self.batch_rows:]
                stored = await self.contributions.store_batch(conn, [q.row for q in taken])
                for channel_id, message_id in self._cursors():
                    await self.sessions.mark_seen_in(conn, channel_id, message_id)
        except BaseException as exc:
            for channel_id in {q.row.channel_id for q in taken} | set(self._handled):
                self._caught_up.discard(channel_id)
            for queued in taken:
                if not queued.done.done():
                    if isinstance(exc, Exception):
                        queued.done.set_exception(exc)
                    else:
                        queued.done.cancel()
            raise
        for queued in taken:
            if not queued.done.done():
                queued.done.set_result(queued.row.message_id in stored)
        return True

    def _cursors(self, *, dry_run: bool = False) -> list[tuple[int, int]]:
        """How far each channel's cursor may move with this batch: past handled messages, but not
        past one still being judged or still waiting in the queue for a later batch. Unless
        `dry_run`, the moves are taken off the pending ones."""
        moves: list[tuple[int, int]] = []
        waiting: dict[int, int] = {}
        for queued in self._queue:
            channel = queued.row.channel_id
            waiting[channel] = min(waiting.get(channel, queued.row.message_id), queued.row.message_id)
        for channel_id, handled in self._handled.items():
            if not handled:
                continue
            if channel_id not in self._caught_up:
                if not dry_run:
                    handled.clear()
                continue
            limit = min([*self._judging.get(channel_id, ()), waiting.get(channel_id, 1 << 64)])
            movable = [m for m in handled if m < limit]
            if movable:
                moves.append((channel_id, max(movable)))
                if not dry_run:
                    self._handled[channel_id] = [m for m in handled if m >= limit]
        return moves

    async def flush(self) -> None:
        """Write whatever waits now (before a path that reads the store, and when the bot stops)."""
        self._wake.set()  # a batch gathering stops gathering
        while await self._write_batch():
            continue
        if self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)

    # --- what changes the view (`CaptureChanges`) -------------------------------------------------

    def consent_changing(self, session_id: int, participant_id: int, choice: Choice, at: datetime) -> None:
        """Called inside the transaction that saves a choice, under the write lock: the view forgets
        the person's ledger, and words waiting in memory that the choice no longer allows go (a
        withdrawal: all of them; a decline: those from its millisecond on, as ties are not recorded)."""
        self.view.consent_changed(session_id, participant_id)
        if choice not in (Choice.DECLINE, Choice.WITHDRAW):
            return
        start = at - timedelta(microseconds=at.microsecond % 1000)
        kept: list[_Queued] = []
        for queued in self._queue:
            row = queued.row
            if row.session_id == session_id and row.participant_id == participant_id and (
                    choice is Choice.WITHDRAW or row.created_at >= start):
                queued.done.set_result(False)
            else:
                kept.append(queued)
        self._queue = kept

    def consent_changed(self, session_id: int, participant_id: int) -> None:
        """Called once that transaction has ended (committed or not): forget what was read meanwhile."""
        self.view.consent_changed(session_id, participant_id)

    def cafe_changed(self, session_id: int) -> None:
        """A café's state, rooms, lobby or rounds changed."""
        self.view.cafe_changed(session_id)

    def people_forgotten(self) -> None:
        """An erasure removed people, their ledgers or pseudonyms: the view starts again."""
        self.view.clear()

    # --- the full path: edits, read-back, cafés not running ---------------------------------------

    async def handle(self, msg: ChatMessage) -> bool:
        """Bring the store in line with one sighting of a message; True when it was newly stored.

        The words are held only if recording was on when the message was written and, for an
        edited message, when its present text was written (the edit); otherwise a copy held from
        before goes. A message first seen once the café is no longer running is not taken in.
        """
        if msg.author_is_bot or msg.is_system:
            return False
        await self.flush()  # a sighting of a message still queued must find it stored
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
        """A deleted message leaves the store whatever the session's state (and first lands, if it
        was still queued, so the deletion finds it)."""
        await self.flush()
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
