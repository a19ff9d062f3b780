"""Participants, their RSVPs, pseudonyms and consent ledger."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.core.clock import from_iso, to_iso
from bot.core.consent import Choice, LedgerEntry, Source
from bot.core.pseudonyms import pseudonym_candidates
from bot.store.db import Database


class PeopleRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def participant_id(self, discord_user_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT id FROM participants WHERE discord_user_id = ?", (str(discord_user_id),))
        return int(row["id"]) if row else None

    async def ensure_participant(self, conn: aiosqlite.Connection, discord_user_id: int) -> int:
        """Inside a caller's transaction: the person's internal id, created on first contact."""
        await conn.execute(
            "INSERT INTO participants (discord_user_id, created_at) VALUES (?, ?) "
            "ON CONFLICT (discord_user_id) DO NOTHING",
            (str(discord_user_id), self.db.now_iso()),
        )
        async with conn.execute(
            "SELECT id FROM participants WHERE discord_user_id = ?", (str(discord_user_id),)
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def discord_id(self, participant_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT discord_user_id FROM participants WHERE id = ?", (participant_id,))
        return int(row["discord_user_id"]) if row else None

    async def rsvp(self, session_id: int, discord_user_id: int, going: bool) -> int:
        async with self.db.transaction() as conn:
            person = await self.ensure_participant(conn, discord_user_id)
            await conn.execute(
                """
                INSERT INTO rsvps (session_id, participant_id, status, responded_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (session_id, participant_id) DO UPDATE SET status = excluded.status,
                                                                      responded_at = excluded.responded_at
                """,
                (session_id, person, "going" if going else "not_going", self.db.now_iso()),
            )
        return person

    async def going(self, session_id: int) -> list[tuple[int, int]]:
        """(participant id, discord id) of everyone going, in the order they said yes."""
        rows = await self.db.fetch_all(
            """
            SELECT p.id, p.discord_user_id FROM rsvps r JOIN participants p ON p.id = r.participant_id
            WHERE r.session_id = ? AND r.status = 'going' ORDER BY r.responded_at, p.id
            """,
            (session_id,),
        )
        return [(int(r["id"]), int(r["discord_user_id"])) for r in rows]

    async def is_going(self, session_id: int, participant_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM rsvps WHERE session_id = ? AND participant_id = ? AND status = 'going'",
            (session_id, participant_id),
        )
        return row is not None

    async def pseudonym(self, series: str, participant_id: int, discord_user_id: int, key: bytes) -> str:
        """The person's pseudonym in a series: given once, then always the same."""
        row = await self.db.fetch_one(
            "SELECT code FROM pseudonyms WHERE series = ? AND participant_id = ?", (series, participant_id)
        )
        if row:
            return str(row["code"])
        async with self.db.transaction() as conn:
            # Read again under the write lock: a concurrent first message may have given it already.
            async with conn.execute(
                "SELECT code FROM pseudonyms WHERE series = ? AND participant_id = ?", (series, participant_id)
            ) as cur:
                given = await cur.fetchone()
            if given:
                return str(given[0])
            for code in pseudonym_candidates(key, series, discord_user_id):
                cur = await conn.execute(
                    "INSERT INTO pseudonyms (series, participant_id, code) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (series, participant_id, code),
                )
                if cur.rowcount == 1:
                    return code
        raise RuntimeError("no free pseudonym")  # 12 symbols of HMAC: unreachable in practice

    async def existing_pseudonym(self, series: str, discord_user_id: int) -> str | None:
        row = await self.db.fetch_one(
            """
            SELECT ps.code FROM pseudonyms ps JOIN participants p ON p.id = ps.participant_id
            WHERE ps.series = ? AND p.discord_user_id = ?
            """,
            (series, str(discord_user_id)),
        )
        return str(row["code"]) if row else None

    # --- consent ledger ---------------------------------------------------------------------

    async def append_consent(
        self, conn: aiosqlite.Connection, session_id: int, participant_id: int, choice: Choice,
        text_version: str, source: Source, at: datetime,
    ) -> None:
        """Inside a caller's transaction. `at` is when the person chose, on Discord's clock (the
        interaction's own timestamp), so it compares honestly with message timestamps."""
        await conn.execute(
            "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, participant_id, text_version, choice.value, source.value, to_iso(at)),
        )

    async def ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry]:
        rows = await self.db.fetch_all(
            "SELECT choice, recorded_at, text_version FROM consent_ledger "
            "WHERE session_id = ? AND participant_id = ? ORDER BY id",
            (session_id, participant_id),
        )
        return [LedgerEntry(Choice(r["choice"]), from_iso(r["recorded_at"]), r["text_version"]) for r in rows]

    async def sessions_with_consent(self, participant_id: int) -> list[int]:
        rows = await self.db.fetch_all(
            "SELECT DISTINCT session_id FROM consent_ledger WHERE participant_id = ? "
            "UNION SELECT session_id FROM contributions WHERE participant_id = ?",
            (participant_id, participant_id),
        )
        return [int(r[0]) for r in rows]
