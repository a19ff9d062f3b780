"""Participants, their RSVPs, pseudonyms and consent ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

import aiosqlite

from bot.core.clock import from_iso, to_iso
from bot.core.consent import Choice, LedgerEntry, Source
from bot.core.pseudonyms import pseudonym_candidates
from bot.store.changes import notify
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


class PeopleRepo(PersonalData):
    """The person themselves (participant row, pseudonyms) and what they said yes or no to (RSVPs,
    consent ledger). The participant row and pseudonyms are the identity every other personal row
    hangs on, so they go last and only when nothing of theirs is left (`release_identity`)."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "participants": ("id", "discord_user_id"),
        "pseudonyms": ("participant_id",),
        "rsvps": ("participant_id",),
        "consent_ledger": ("participant_id",),
    }

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

    async def pseudonym(self, guild_id: int, series: str, participant_id: int, discord_user_id: int,
                        key: bytes) -> str:
        """The person's pseudonym in a server's series: given once, then always the same."""
        where = "guild_id = ? AND series = ? AND participant_id = ?"
        identity = (str(guild_id), series, participant_id)
        row = await self.db.fetch_one(f"SELECT code FROM pseudonyms WHERE {where}", identity)
        if row:
            return str(row["code"])
        async with self.db.transaction() as conn:
            # Read again under the write lock: a concurrent first message may have given it already.
            async with conn.execute(f"SELECT code FROM pseudonyms WHERE {where}", identity) as cur:
                given = await cur.fetchone()
            if given:
                return str(given[0])
            for code in pseudonym_candidates(key, guild_id, series, discord_user_id):
                cur = await conn.execute(
                    "INSERT INTO pseudonyms (guild_id, series, participant_id, code) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (*identity, code),
                )
                if cur.rowcount == 1:
                    return code
        raise RuntimeError("no free pseudonym")  # 12 symbols of HMAC: unreachable in practice

    async def existing_pseudonym(self, guild_id: int, series: str, discord_user_id: int) -> str | None:
        row = await self.db.fetch_one(
            """
            SELECT ps.code FROM pseudonyms ps JOIN participants p ON p.id = ps.participant_id
            WHERE ps.guild_id = ? AND ps.series = ? AND p.discord_user_id = ?
            """,
            (str(guild_id), series, str(discord_user_id)),
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
        notify(self.db).consent_changing(session_id, participant_id, choice, at)

    async def ledger_in(self, conn: aiosqlite.Connection, session_id: int, participant_id: int) -> list[LedgerEntry]:
        """The ledger read inside the caller's transaction (to decide on a row under the write lock)."""
        async with conn.execute(
            "SELECT choice, recorded_at, text_version FROM consent_ledger "
            "WHERE session_id = ? AND participant_id = ? ORDER BY id",
            (session_id, participant_id),
        ) as cur:
            rows = await cur.fetchall()
        return [LedgerEntry(Choice(r[0]), from_iso(r[1]), r[2]) for r in rows]

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

    # --- the personal-data contract ------------------------------------------------------------

    async def person_ref(self, conn: aiosqlite.Connection, discord_user_id: int) -> PersonRef:
        """Inside the caller's transaction, so an erasure sees the person as they are under its lock."""
        async with conn.execute(
            "SELECT id FROM participants WHERE discord_user_id = ?", (str(discord_user_id),)
        ) as cur:
            row = await cur.fetchone()
        return PersonRef(discord_user_id, int(row[0]) if row else None)

    async def erase_person(self, conn: aiosqlite.Connection, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """RSVPs and consent choices in scope. The ledger is append-only against updates; a person's
        erasure is the one way its rows leave."""
        notify(self.db).people_forgotten()
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        for table in ("rsvps", "consent_ledger"):
            cur = await conn.execute(
                f"DELETE FROM {table} WHERE participant_id = ? AND {in_scope}", (person.participant_id, *params)
            )
            counts[table] = cur.rowcount
        return counts

    async def release_identity(self, conn: aiosqlite.Connection, person: PersonRef, held: set[int]) -> dict[str, int]:
        """After every owner has erased: drop the pseudonym of each series where nothing of theirs is
        held any more, and the participant row once nothing is held at all. Deleting it earlier would
        cascade into rows on servers the erasure was not asked to touch."""
        notify(self.db).people_forgotten()
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        marks = ",".join("?" for _ in held)
        cur = await conn.execute(
            "DELETE FROM pseudonyms WHERE participant_id = ? AND (guild_id, series) NOT IN "
            f"(SELECT guild_id, series FROM sessions WHERE id IN ({marks}))",
            (pid, *held),
        )
        counts = {"pseudonyms": cur.rowcount}
        if not held:
            left = await _rows_referencing(conn, pid)
            if left:
                # The foreign keys cascade: deleting now would silently take these rows with it, on
                # whatever server they are. An owner that forgot them must fail the erasure instead.
                raise RuntimeError(f"rows remain in {', '.join(left)} that no owner erased")
            cur = await conn.execute("DELETE FROM participants WHERE id = ?", (pid,))
            counts["participants"] = cur.rowcount
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        in_scope, params = scope.sessions("session_id")
        # A pseudonym belongs to one server's series.
        series_scope, series_params = ("1 = 1", ()) if scope.guild_id is None else (
            "guild_id = ?", (str(scope.guild_id),))
        rows: Rows = {
            "participants": [dict(r) for r in await self.db.fetch_all(
                "SELECT * FROM participants WHERE id = ?", (pid,))],
            "pseudonyms": [dict(r) for r in await self.db.fetch_all(
                f"SELECT * FROM pseudonyms WHERE participant_id = ? AND {series_scope} ORDER BY guild_id, series",
                (pid, *series_params),
            )],
        }
        for table in ("rsvps", "consent_ledger"):
            found = await self.db.fetch_all(
                f"SELECT * FROM {table} WHERE participant_id = ? AND {in_scope} ORDER BY session_id",
                (pid, *params),
            )
            rows[table] = [dict(r) for r in found]
        return rows

    async def sessions_holding(self, conn: aiosqlite.Connection, person: PersonRef) -> set[int]:
        async with conn.execute(
            "SELECT session_id FROM rsvps WHERE participant_id = ? "
            "UNION SELECT session_id FROM consent_ledger WHERE participant_id = ?",
            (person.participant_id, person.participant_id),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}


async def _rows_referencing(conn: aiosqlite.Connection, participant_id: int) -> list[str]:
    """Every table whose foreign key points at the participant row and still has one of theirs,
    found from the schema itself so that a table added later is not missed."""
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") as cur:
        tables = [str(r[0]) for r in await cur.fetchall()]
    left: list[str] = []
    for table in tables:
        async with conn.execute(f"PRAGMA foreign_key_list({table})") as cur:
            columns = [str(fk["from"]) for fk in await cur.fetchall() if fk["table"] == "participants"]
        for column in columns:
            async with conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1", (participant_id,)) as cur:
                if await cur.fetchone() is not None:
                    left.append(f"{table}.{column}")
    return left
