"""Captured contributions: idempotent on the Discord message id, erasable per person."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

import aiosqlite

from bot.core.clock import from_iso, to_iso
from bot.core.text import NEUTRAL_PERSON
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


@dataclass(frozen=True)
class NewContribution:
    """One live message the capture path has judged kept, waiting in memory for its batch."""

    session_id: int
    room_id: int | None
    round_number: int
    participant_id: int
    pseudonym: str
    message_id: int
    channel_id: int
    created_at: datetime
    text: str
    reply_to_message_id: int | None


class ContributionRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"contributions": ("participant_id",)}

    async def add(
        self,
        *,
        session_id: int,
        room_id: int | None,
        round_number: int,
        participant_id: int,
        pseudonym: str,
        message_id: int,
        channel_id: int,
        created_at: datetime,
        text: str,
        reply_to_message_id: int | None,
        edited_at: datetime | None = None,
    ) -> bool:
        """Store one contribution; False when the message was already captured (backfill overlap).

        `edited_at` keeps Discord's "(edited)" mark, and when, of a message first read after it was edited."""
        async with self.db.transaction() as conn:
            reply_to: int | None = None
            if reply_to_message_id is not None:
                async with conn.execute(
                    "SELECT id FROM contributions WHERE message_id = ?", (str(reply_to_message_id),)
                ) as cur:
                    row = await cur.fetchone()
                reply_to = int(row[0]) if row else None
            # Checked again here, under the write lock, against whatever landed while the caller was
            # checking consent: a withdrawal recorded after the message was written (or in the same
            # millisecond: ties are not recorded) erases it, and an erasure that removed the ledger
            # leaves no "record" choice to store it under.
            written = to_iso(created_at)
            cur = await conn.execute(
                """
                INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, message_id,
                                           channel_id, created_at, text, reply_to_id, edited, edited_at)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                WHERE NOT EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = ? AND participant_id = ?
                                  AND choice = 'withdraw' AND recorded_at >= ?)
                  AND EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = ? AND participant_id = ?
                              AND choice = 'record' AND recorded_at <= ?)
                ON CONFLICT (message_id) DO NOTHING
                """,
                (session_id, room_id, round_number, participant_id, pseudonym, str(message_id), str(channel_id),
                 written, text, reply_to, int(edited_at is not None), to_iso(edited_at) if edited_at else None,
                 session_id, participant_id, written,
                 session_id, participant_id, written),
            )
            return cur.rowcount == 1

    async def store_batch(self, conn: aiosqlite.Connection, rows: Sequence[NewContribution]) -> set[int]:
        """Inside the caller's transaction, store many contributions at once (the capture path's
        group commit); returns the message ids newly stored. Each row is held to the same check as
        `add`, under the same write lock: a withdrawal recorded since it was written, or an erased
        ledger, keeps it out. Already-captured messages (backfill overlap) are left as they are."""
        if not rows:
            return set()
        ids = [str(r.message_id) for r in rows]
        held_before = await self._held(conn, ids)
        await conn.executemany(
            """
            INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, message_id,
                                       channel_id, created_at, text, reply_to_id, edited, edited_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT id FROM contributions WHERE message_id = ?), 0, NULL
            WHERE NOT EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = ? AND participant_id = ?
                              AND choice = 'withdraw' AND recorded_at >= ?)
              AND EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = ? AND participant_id = ?
                          AND choice = 'record' AND recorded_at <= ?)
            ON CONFLICT (message_id) DO NOTHING
            """,
            [(r.session_id, r.room_id, r.round_number, r.participant_id, r.pseudonym, str(r.message_id),
              str(r.channel_id), to_iso(r.created_at), r.text,
              str(r.reply_to_message_id) if r.reply_to_message_id is not None else None,
              r.session_id, r.participant_id, to_iso(r.created_at),
              r.session_id, r.participant_id, to_iso(r.created_at)) for r in rows],
        )
        return {int(m) for m in await self._held(conn, ids) - held_before}

    @staticmethod
    async def _held(conn: aiosqlite.Connection, message_ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            async with conn.execute(f"SELECT message_id FROM contributions WHERE message_id IN ({marks})",
                                    chunk) as cur:
                held.update(str(r[0]) for r in await cur.fetchall())
        return held

    async def owner(self, message_id: int) -> tuple[int, int] | None:
        """(session id, participant id) of a captured message, or None if it was never kept."""
        row = await self.db.fetch_one(
            "SELECT session_id, participant_id FROM contributions WHERE message_id = ?", (str(message_id),)
        )
        return (int(row[0]), int(row[1])) if row else None

    async def update_text(self, message_id: int, text: str, *, edited_at: datetime | None) -> bool:
        """The author edited a kept message: the new text replaces the old everywhere, the -wal
        file included (a person who edits words out expects them gone). False when nothing changed."""
        edited = edited_at is not None
        async with self.db.transaction(erasing=True) as conn:
            cur = await conn.execute(
                "UPDATE contributions SET text = ?, edited = MAX(edited, ?), edited_at = COALESCE(?, edited_at) "
                "WHERE message_id = ? AND (text != ? OR edited < ?)",
                (text, int(edited), to_iso(edited_at) if edited_at else None, str(message_id), text, int(edited)),
            )
            return cur.rowcount == 1

    async def delete_message(self, message_id: int) -> bool:
        async with self.db.transaction(erasing=True) as conn:
            cur = await conn.execute("DELETE FROM contributions WHERE message_id = ?", (str(message_id),))
            return cur.rowcount == 1

    async def remove_from_record(self, message_id: int, guild_id: int) -> tuple[int, int] | None:
        """A facilitator takes one contribution out of the record: (its id, its café), or None when
        this server keeps no such message. Erasing, so its words leave the -wal file too."""
        async with self.db.transaction(erasing=True) as conn:
            async with conn.execute(
                "DELETE FROM contributions WHERE message_id = ? "
                "AND session_id IN (SELECT id FROM sessions WHERE guild_id = ?) RETURNING id, session_id",
                (str(message_id), str(guild_id)),
            ) as cur:
                row = await cur.fetchone()
            return (int(row[0]), int(row[1])) if row is not None else None

    async def take_back_since(self, conn: aiosqlite.Connection, session_id: int, participant_id: int,
                              since: datetime) -> int:
        """Inside the caller's transaction, which saves a choice to stop recording made at `since`:
        the person's words in this session written or last edited in that millisecond or later go. They were
        handled before the choice was saved (a tie within the millisecond, or a message that
        arrived first), and recording did not hold throughout their millisecond."""
        start = since - timedelta(microseconds=since.microsecond % 1000)
        cur = await conn.execute(
            "DELETE FROM contributions WHERE session_id = ? AND participant_id = ? "
            "AND (created_at >= ? OR edited_at >= ?)",
            (session_id, participant_id, to_iso(start), to_iso(start)),
        )
        return cur.rowcount

    async def mark_key_point(self, message_id: int, *, by: str, theme: str | None) -> bool:
        """Mark a kept contribution as a key point (again: the latest theme and marker win). `by`
        is a role, never a person. False when the message was never kept (its author had not
        consented) or has gone since."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE contributions SET key_point = 1, theme = ?, key_point_role = ?, key_point_at = ? "
                "WHERE message_id = ?",
                (theme, by, self.db.now_iso(), str(message_id)),
            )
            return cur.rowcount == 1

    async def unmark_key_point(self, message_id: int) -> bool:
        """Take the mark (and its theme) off; False when there was none."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE contributions SET key_point = 0, theme = NULL, key_point_role = NULL, key_point_at = NULL "
                "WHERE message_id = ? AND key_point = 1",
                (str(message_id),),
            )
            return cur.rowcount == 1

    async def key_point(self, message_id: int) -> tuple[bool, str | None] | None:
        """(marked, theme) of a kept message, or None if it was never kept."""
        row = await self.db.fetch_one("SELECT key_point, theme FROM contributions WHERE message_id = ?",
                                      (str(message_id),))
        return (bool(row[0]), row[1]) if row else None

    async def count(self, session_id: int) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) FROM contributions WHERE session_id = ?", (session_id,))
        return int(row[0]) if row else 0

    async def texts(self, session_id: int) -> list[tuple[str, str]]:
        """(pseudonym, text) in order: for tests and the rehearsal's check, never for export."""
        rows = await self.db.fetch_all(
            "SELECT pseudonym, text FROM contributions WHERE session_id = ? ORDER BY created_at, id", (session_id,)
        )
        return [(r[0], r[1]) for r in rows]

    # --- the personal-data contract ------------------------------------------------------------

    async def erase_person(self, conn: aiosqlite.Connection, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their words go; summaries of rooms they spoke in are flagged for a facilitator, and others'
        words that mention their pseudonym get the neutral marker (anyone holding the pseudonym key
        could otherwise recompute it from the Discord id). Runs before the pseudonyms go."""
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        in_scope, params = scope.sessions("session_id")
        cur = await conn.execute(
            "UPDATE summaries SET needs_review = 1 WHERE needs_review = 0 AND room_id IN "
            f"(SELECT room_id FROM contributions WHERE participant_id = ? AND {in_scope})",
            (pid, *params),
        )
        flagged = cur.rowcount
        unnamed = await self._unname_in_others_words(conn, pid, scope)
        cur = await conn.execute(f"DELETE FROM contributions WHERE participant_id = ? AND {in_scope}", (pid, *params))
        return {"contributions": cur.rowcount, "contributions.text": unnamed, "summaries.needs_review": flagged}

    async def _unname_in_others_words(self, conn: aiosqlite.Connection, pid: int, scope: ErasureScope) -> int:
        async with conn.execute("SELECT guild_id, series, code FROM pseudonyms WHERE participant_id = ?",
                                (pid,)) as cur:
            codes = list(await cur.fetchall())
        in_scope, params = scope.sessions("c.session_id")
        changed = 0
        for guild_id, series, code in codes:
            mention = re.compile(rf"{re.escape(code)}(?![0-9A-Z])")
            async with conn.execute(
                "SELECT c.id, c.text FROM contributions c JOIN sessions s ON s.id = c.session_id "
                "WHERE s.guild_id = ? AND s.series = ? AND c.participant_id != ? AND instr(c.text, ?) > 0 "
                f"AND {in_scope}",
                (guild_id, series, pid, code, *params),
            ) as cur:
                mentioning = list(await cur.fetchall())
            for contribution_id, text in mentioning:
                await conn.execute("UPDATE contributions SET text = ? WHERE id = ?",
                                   (mention.sub(NEUTRAL_PERSON, text), contribution_id))
                changed += 1
        return changed

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        rows = await self.db.fetch_all(
            f"SELECT * FROM contributions WHERE participant_id = ? AND {in_scope} ORDER BY id",
            (person.participant_id, *params),
        )
        return {"contributions": [dict(r) for r in rows]}

    async def sessions_holding(self, conn: aiosqlite.Connection, person: PersonRef) -> set[int]:
        async with conn.execute(
            "SELECT DISTINCT session_id FROM contributions WHERE participant_id = ?", (person.participant_id,)
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    # --- purge and retention ---------------------------------------------------------------------

    async def delete_words_before(self, before: datetime) -> int:
        """An organiser's purge: the words (and room summaries) of every café that started before `before`."""
        async with self.db.transaction(erasing=True) as conn:
            cur = await conn.execute(
                "DELETE FROM contributions WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < ?)",
                (to_iso(before),),
            )
            await conn.execute(
                "DELETE FROM summaries WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < ?)",
                (to_iso(before),),
            )
            return cur.rowcount

    async def sessions_with_words(self, default_days: int) -> list[tuple[int, datetime, int]]:
        """(session id, start, retention days of its server or the default) of every café holding words."""
        rows = await self.db.fetch_all(
            "SELECT s.id, s.starts_at, COALESCE(g.retention_days, ?) AS days FROM sessions s "
            "LEFT JOIN guild_config g ON g.guild_id = s.guild_id "
            "WHERE EXISTS (SELECT 1 FROM contributions c WHERE c.session_id = s.id)",
            (default_days,),
        )
        return [(int(r["id"]), from_iso(r["starts_at"]), int(r["days"])) for r in rows]

    async def delete_words_of(self, session_ids: list[int]) -> int:
        """Retention: the words and room summaries of these cafés, together."""
        deleted = 0
        async with self.db.transaction(erasing=True) as conn:
            for session_id in session_ids:
                cur = await conn.execute("DELETE FROM contributions WHERE session_id = ?", (session_id,))
                deleted += cur.rowcount
                await conn.execute("DELETE FROM summaries WHERE session_id = ?", (session_id,))
        return deleted

    async def withdraw_words(self, conn: aiosqlite.Connection, session_id: int, person: int, guild_id: int,
                             series: str) -> tuple[int, int]:
        """A withdrawal from one café: flag the summaries that may quote the person, then delete their
        words. Returns (words deleted, summaries flagged)."""
        flagged = await self._flag_quoting_summaries(conn, session_id, person, guild_id, series)
        async with conn.execute(
            "DELETE FROM contributions WHERE session_id = ? AND participant_id = ?", (session_id, person)
        ) as cur:
            return cur.rowcount, flagged

    async def _flag_quoting_summaries(self, conn: aiosqlite.Connection, session_id: int, person: int,
                                      guild_id: int, series: str) -> int:
        """Flag summaries in the session that contain the person's pseudonym or 24+ characters of theirs."""
        async with conn.execute(
            "SELECT code FROM pseudonyms WHERE guild_id = ? AND series = ? AND participant_id = ?",
            (str(guild_id), series, person),
        ) as cur:
            row = await cur.fetchone()
        needles: list[str] = [row[0]] if row else []
        async with conn.execute(
            "SELECT text FROM contributions WHERE session_id = ? AND participant_id = ?", (session_id, person)
        ) as cur:
            for (text,) in await cur.fetchall():
                stripped = " ".join(str(text).split())
                if len(stripped) >= 24:
                    needles.append(stripped[:24])
        if not needles:
            return 0
        async with conn.execute("SELECT id, text FROM summaries WHERE session_id = ?", (session_id,)) as cur:
            summaries = await cur.fetchall()
        flagged = 0
        for summary_id, text in summaries:
            flat = " ".join(str(text).split())
            if any(needle in flat for needle in needles):
                await conn.execute("UPDATE summaries SET needs_review = 1 WHERE id = ?", (summary_id,))
                flagged += 1
        return flagged
