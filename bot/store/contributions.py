"""Captured contributions: idempotent on the Discord message id, erasable per person."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from bot.core.text import NEUTRAL_PERSON
from bot.store.db import Tx, db_time, placeholders
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
        async with self.db.transaction() as tx:
            reply_to: int | None = None
            if reply_to_message_id is not None:
                row = await tx.fetch_one("SELECT id FROM contributions WHERE message_id = $1", (reply_to_message_id,))
                reply_to = int(row[0]) if row else None
            # Checked again here, under the write lock, against whatever landed while the caller was
            # checking consent: a withdrawal recorded after the message was written (or in the same
            # millisecond: ties are not recorded) erases it, and an erasure that removed the ledger
            # leaves no "record" choice to store it under.
            inserted = await tx.execute(
                """
                INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, message_id,
                                           channel_id, created_at, text, reply_to_id, edited, edited_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
                WHERE NOT EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = $1 AND participant_id = $4
                                  AND choice = 'withdraw' AND recorded_at >= $8)
                  AND EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = $1 AND participant_id = $4
                              AND choice = 'record' AND recorded_at <= $8)
                ON CONFLICT (message_id) DO NOTHING
                """,
                (session_id, room_id, round_number, participant_id, pseudonym, message_id, channel_id,
                 created_at, text, reply_to, int(edited_at is not None), edited_at),
            )
            return inserted == 1

    async def store_batch(self, tx: Tx, rows: Sequence[NewContribution]) -> set[int]:
        """Inside the caller's transaction, store many contributions at once (the capture path's
        group commit); returns the message ids newly stored. Each row is held to the same check as
        `add`, under the same write lock: a withdrawal recorded since it was written, or an erased
        ledger, keeps it out. Already-captured messages (backfill overlap) are left as they are."""
        if not rows:
            return set()
        ids = [r.message_id for r in rows]
        held_before = await self._held(tx, ids)
        await tx.executemany(
            """
            INSERT INTO contributions (session_id, room_id, round_number, participant_id, pseudonym, message_id,
                                       channel_id, created_at, text, reply_to_id, edited, edited_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT id FROM contributions WHERE message_id = $10), 0, NULL
            WHERE NOT EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = $1 AND participant_id = $4
                              AND choice = 'withdraw' AND recorded_at >= $8)
              AND EXISTS (SELECT 1 FROM consent_ledger WHERE session_id = $1 AND participant_id = $4
                          AND choice = 'record' AND recorded_at <= $8)
            ON CONFLICT (message_id) DO NOTHING
            """,
            [(r.session_id, r.room_id, r.round_number, r.participant_id, r.pseudonym, r.message_id,
              r.channel_id, r.created_at, r.text, r.reply_to_message_id) for r in rows],
        )
        return await self._held(tx, ids) - held_before

    @staticmethod
    async def _held(tx: Tx, message_ids: Sequence[int]) -> set[int]:
        held: set[int] = set()
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start:start + 500]
            found = await tx.fetch_all(
                f"SELECT message_id FROM contributions WHERE message_id IN ({placeholders(len(chunk))})", chunk)
            held.update(int(r[0]) for r in found)
        return held

    async def owner(self, message_id: int) -> tuple[int, int] | None:
        """(session id, participant id) of a captured message, or None if it was never kept."""
        row = await self.db.fetch_one(
            "SELECT session_id, participant_id FROM contributions WHERE message_id = $1", (message_id,)
        )
        return (int(row[0]), int(row[1])) if row else None

    async def update_text(self, message_id: int, text: str, *, edited_at: datetime | None) -> bool:
        """The author edited a kept message: the new text replaces the old everywhere, the -wal
        file included (a person who edits words out expects them gone). False when nothing changed."""
        edited = edited_at is not None
        async with self.db.transaction(erasing=True) as tx:
            changed = await tx.execute(
                "UPDATE contributions SET text = $1, edited = CASE WHEN edited < $2 THEN $2 ELSE edited END, "
                "edited_at = COALESCE($3, edited_at) WHERE message_id = $4 AND (text != $1 OR edited < $2)",
                (text, int(edited), edited_at, message_id),
            )
            return changed == 1

    async def delete_message(self, message_id: int) -> bool:
        async with self.db.transaction(erasing=True) as tx:
            return await tx.execute("DELETE FROM contributions WHERE message_id = $1", (message_id,)) == 1

    async def remove_from_record(self, message_id: int, guild_id: int) -> tuple[int, int] | None:
        """A facilitator takes one contribution out of the record: (its id, its café), or None when
        this server keeps no such message. Erasing, so its words leave the -wal file too."""
        async with self.db.transaction(erasing=True) as tx:
            row = await tx.fetch_one(
                "DELETE FROM contributions WHERE message_id = $1 "
                "AND session_id IN (SELECT id FROM sessions WHERE guild_id = $2) RETURNING id, session_id",
                (message_id, guild_id),
            )
            return (int(row[0]), int(row[1])) if row is not None else None

    async def take_back_since(self, tx: Tx, session_id: int, participant_id: int,
                              since: datetime) -> int:
        """Inside the caller's transaction, which saves a choice to stop recording made at `since`:
        the person's words in this session written or last edited in that millisecond or later go. They were
        handled before the choice was saved (a tie within the millisecond, or a message that
        arrived first), and recording did not hold throughout their millisecond."""
        start = since - timedelta(microseconds=since.microsecond % 1000)
        return await tx.execute(
            "DELETE FROM contributions WHERE session_id = $1 AND participant_id = $2 "
            "AND (created_at >= $3 OR edited_at >= $3)",
            (session_id, participant_id, start),
        )

    async def mark_key_point(self, message_id: int, *, by: str, theme: str | None) -> bool:
        """Mark a kept contribution as a key point (again: the latest theme and marker win). `by`
        is a role, never a person. False when the message was never kept (its author had not
        consented) or has gone since."""
        async with self.db.transaction() as tx:
            return await tx.execute(
                "UPDATE contributions SET key_point = 1, theme = $1, key_point_role = $2, key_point_at = $3 "
                "WHERE message_id = $4",
                (theme, by, self.db.now(), message_id),
            ) == 1

    async def unmark_key_point(self, message_id: int) -> bool:
        """Take the mark (and its theme) off; False when there was none."""
        async with self.db.transaction() as tx:
            return await tx.execute(
                "UPDATE contributions SET key_point = 0, theme = NULL, key_point_role = NULL, key_point_at = NULL "
                "WHERE message_id = $1 AND key_point = 1",
                (message_id,),
            ) == 1

    async def key_point(self, message_id: int) -> tuple[bool, str | None] | None:
        """(marked, theme) of a kept message, or None if it was never kept."""
        row = await self.db.fetch_one("SELECT key_point, theme FROM contributions WHERE message_id = $1",
                                      (message_id,))
        return (bool(row[0]), row[1]) if row else None

    async def count(self, session_id: int) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) FROM contributions WHERE session_id = $1", (session_id,))
        return int(row[0]) if row else 0

    async def texts(self, session_id: int) -> list[tuple[str, str]]:
        """(pseudonym, text) in order: for tests and the rehearsal's check, never for export."""
        rows = await self.db.fetch_all(
            "SELECT pseudonym, text FROM contributions WHERE session_id = $1 ORDER BY created_at, id", (session_id,)
        )
        return [(r[0], r[1]) for r in rows]

    # --- the personal-data contract ------------------------------------------------------------

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their words go; summaries of rooms they spoke in are flagged for a facilitator, and others'
        words that mention their pseudonym get the neutral marker (anyone holding the pseudonym key
        could otherwise recompute it from the Discord id). Runs before the pseudonyms go."""
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        in_scope, params = scope.sessions("session_id")
        flagged = await tx.execute(
            "UPDATE summaries SET needs_review = 1 WHERE needs_review = 0 AND room_id IN "
            f"(SELECT room_id FROM contributions WHERE participant_id = $1 AND {in_scope})",
            (pid, *params),
        )
        unnamed = await self._unname_in_others_words(tx, pid, scope)
        deleted = await tx.execute(f"DELETE FROM contributions WHERE participant_id = $1 AND {in_scope}",
                                   (pid, *params))
        return {"contributions": deleted, "contributions.text": unnamed, "summaries.needs_review": flagged}

    async def _unname_in_others_words(self, tx: Tx, pid: int, scope: ErasureScope) -> int:
        codes = await tx.fetch_all("SELECT guild_id, series, code FROM pseudonyms WHERE participant_id = $1", (pid,))
        in_scope, params = scope.sessions("c.session_id", at=5)
        changed = 0
        for guild_id, series, code in codes:
            mention = re.compile(rf"{re.escape(code)}(?![0-9A-Z])")
            # LIKE narrows (it may also match other letter cases); the pattern decides.
            mentioning = await tx.fetch_all(
                "SELECT c.id, c.text FROM contributions c JOIN sessions s ON s.id = c.session_id "
                "WHERE s.guild_id = $1 AND s.series = $2 AND c.participant_id != $3 AND c.text LIKE $4 "
                f"AND {in_scope}",
                (guild_id, series, pid, f"%{code}%", *params),
            )
            for contribution_id, text in mentioning:
                unnamed = mention.sub(NEUTRAL_PERSON, text)
                if unnamed != text:
                    await tx.execute("UPDATE contributions SET text = $1 WHERE id = $2", (unnamed, contribution_id))
                    changed += 1
        return changed

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        rows = await self.db.fetch_all(
            f"SELECT * FROM contributions WHERE participant_id = $1 AND {in_scope} ORDER BY id",
            (person.participant_id, *params),
        )
        return {"contributions": [dict(r) for r in rows]}

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all("SELECT DISTINCT session_id FROM contributions WHERE participant_id = $1",
                                  (person.participant_id,))
        return {int(r[0]) for r in rows}

    # --- purge and retention ---------------------------------------------------------------------

    async def delete_words_before(self, before: datetime) -> int:
        """An organiser's purge: the words (and room summaries) of every café that started before `before`."""
        async with self.db.transaction(erasing=True) as tx:
            deleted = await tx.execute(
                "DELETE FROM contributions WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < $1)",
                (before,),
            )
            await tx.execute(
                "DELETE FROM summaries WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < $1)",
                (before,),
            )
            return deleted

    async def sessions_with_words(self, default_days: int) -> list[tuple[int, datetime, int]]:
        """(session id, start, retention days of its server or the default) of every café holding words."""
        rows = await self.db.fetch_all(
            "SELECT s.id, s.starts_at, COALESCE(g.retention_days, $1) AS days FROM sessions s "
            "LEFT JOIN guild_config g ON g.guild_id = s.guild_id "
            "WHERE EXISTS (SELECT 1 FROM contributions c WHERE c.session_id = s.id)",
            (default_days,),
        )
        return [(int(r["id"]), db_time(r["starts_at"]), int(r["days"])) for r in rows]

    async def delete_words_of(self, session_ids: list[int]) -> int:
        """Retention: the words and room summaries of these cafés, together."""
        deleted = 0
        async with self.db.transaction(erasing=True) as tx:
            for session_id in session_ids:
                deleted += await tx.execute("DELETE FROM contributions WHERE session_id = $1", (session_id,))
                await tx.execute("DELETE FROM summaries WHERE session_id = $1", (session_id,))
        return deleted

    async def withdraw_words(self, tx: Tx, session_id: int, person: int, guild_id: int,
                             series: str) -> tuple[int, int]:
        """A withdrawal from one café: flag the summaries that may quote the person, then delete their
        words. Returns (words deleted, summaries flagged)."""
        flagged = await self._flag_quoting_summaries(tx, session_id, person, guild_id, series)
        deleted = await tx.execute("DELETE FROM contributions WHERE session_id = $1 AND participant_id = $2",
                                   (session_id, person))
        return deleted, flagged

    async def _flag_quoting_summaries(self, tx: Tx, session_id: int, person: int,
                                      guild_id: int, series: str) -> int:
        """Flag summaries in the session that contain the person's pseudonym or 24+ characters of theirs."""
        row = await tx.fetch_one(
            "SELECT code FROM pseudonyms WHERE guild_id = $1 AND series = $2 AND participant_id = $3",
            (guild_id, series, person),
        )
        needles: list[str] = [row[0]] if row else []
        for (text,) in await tx.fetch_all(
                "SELECT text FROM contributions WHERE session_id = $1 AND participant_id = $2", (session_id, person)):
            stripped = " ".join(str(text).split())
            if len(stripped) >= 24:
                needles.append(stripped[:24])
        if not needles:
            return 0
        summaries = await tx.fetch_all("SELECT id, text FROM summaries WHERE session_id = $1", (session_id,))
        flagged = 0
        for summary_id, text in summaries:
            flat = " ".join(str(text).split())
            if any(needle in flat for needle in needles):
                await tx.execute("UPDATE summaries SET needs_review = 1 WHERE id = $1", (summary_id,))
                flagged += 1
        return flagged
