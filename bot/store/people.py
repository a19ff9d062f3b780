"""Participants, their RSVPs, pseudonyms and consent ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from bot.core.consent import Choice, LedgerEntry, Source
from bot.core.pseudonyms import pseudonym_candidates
from bot.store.changes import notify
from bot.store.db import Database, Tx, db_time, placeholders
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
        row = await self.db.fetch_one("SELECT id FROM participants WHERE discord_user_id = $1", (discord_user_id,))
        return int(row["id"]) if row else None

    async def ensure_participant(self, tx: Tx, discord_user_id: int) -> int:
        """Inside a caller's transaction: the person's internal id, created on first contact.

        Race-free with two writers: a second process inserting the same person waits for the
        first's commit, does nothing, and reads the row the first one made."""
        await tx.execute(
            "INSERT INTO participants (discord_user_id, created_at) VALUES ($1, $2) "
            "ON CONFLICT (discord_user_id) DO NOTHING",
            (discord_user_id, self.db.now()),
        )
        row = await tx.fetch_one("SELECT id FROM participants WHERE discord_user_id = $1", (discord_user_id,))
        assert row is not None
        return int(row[0])

    async def discord_id(self, participant_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT discord_user_id FROM participants WHERE id = $1", (participant_id,))
        return int(row["discord_user_id"]) if row else None

    async def rsvp(self, session_id: int, discord_user_id: int, going: bool) -> int:
        async with self.db.transaction() as tx:
            person = await self.ensure_participant(tx, discord_user_id)
            await tx.execute(
                """
                INSERT INTO rsvps (session_id, participant_id, status, responded_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (session_id, participant_id) DO UPDATE SET status = excluded.status,
                                                                      responded_at = excluded.responded_at
                """,
                (session_id, person, "going" if going else "not_going", self.db.now()),
            )
        return person

    async def going(self, session_id: int) -> list[tuple[int, int]]:
        """(participant id, discord id) of everyone going, in the order they said yes."""
        rows = await self.db.fetch_all(
            """
            SELECT p.id, p.discord_user_id FROM rsvps r JOIN participants p ON p.id = r.participant_id
            WHERE r.session_id = $1 AND r.status = 'going' ORDER BY r.responded_at, p.id
            """,
            (session_id,),
        )
        return [(int(r["id"]), int(r["discord_user_id"])) for r in rows]

    async def is_going(self, session_id: int, participant_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM rsvps WHERE session_id = $1 AND participant_id = $2 AND status = 'going'",
            (session_id, participant_id),
        )
        return row is not None

    async def pseudonym(self, guild_id: int, series: str, participant_id: int, discord_user_id: int,
                        key: bytes) -> str:
        """The person's pseudonym in a server's series: given once, then always the same.

        Race-free with two writers (two processes, one person's first two messages): an insert
        that does nothing is followed by a read of the identity, so the code another writer
        committed first is the one returned; only a clash with someone else's code moves on to
        the next candidate."""
        select = "SELECT code FROM pseudonyms WHERE guild_id = $1 AND series = $2 AND participant_id = $3"
        identity = (guild_id, series, participant_id)
        row = await self.db.fetch_one(select, identity)
        if row:
            return str(row["code"])
        async with self.db.transaction() as tx:
            for code in pseudonym_candidates(key, guild_id, series, discord_user_id):
                inserted = await tx.execute(
                    "INSERT INTO pseudonyms (guild_id, series, participant_id, code) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT DO NOTHING",
                    (*identity, code),
                )
                if inserted == 1:
                    return code
                given = await tx.fetch_one(select, identity)
                if given:
                    return str(given[0])
        raise RuntimeError("no free pseudonym")  # 12 symbols of HMAC: unreachable in practice

    async def existing_pseudonym(self, guild_id: int, series: str, discord_user_id: int) -> str | None:
        row = await self.db.fetch_one(
            """
            SELECT ps.code FROM pseudonyms ps JOIN participants p ON p.id = ps.participant_id
            WHERE ps.guild_id = $1 AND ps.series = $2 AND p.discord_user_id = $3
            """,
            (guild_id, series, discord_user_id),
        )
        return str(row["code"]) if row else None

    # --- consent ledger ---------------------------------------------------------------------

    async def append_consent(
        self, tx: Tx, session_id: int, participant_id: int, choice: Choice,
        text_version: str, source: Source, at: datetime,
    ) -> None:
        """Inside a caller's transaction. `at` is when the person chose, on Discord's clock (the
        interaction's own timestamp), so it compares honestly with message timestamps."""
        await tx.execute(
            "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, recorded_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            (session_id, participant_id, text_version, choice.value, source.value, at),
        )
        notify(self.db).consent_changing(session_id, participant_id, choice, at)

    async def ledger_in(self, tx: Tx, session_id: int, participant_id: int) -> list[LedgerEntry]:
        """The ledger read inside the caller's transaction (to decide on a row under the write lock)."""
        rows = await tx.fetch_all(
            "SELECT choice, recorded_at, text_version FROM consent_ledger "
            "WHERE session_id = $1 AND participant_id = $2 ORDER BY id",
            (session_id, participant_id),
        )
        return [LedgerEntry(Choice(r[0]), db_time(r[1]), r[2]) for r in rows]

    async def ledger(self, session_id: int, participant_id: int) -> list[LedgerEntry]:
        rows = await self.db.fetch_all(
            "SELECT choice, recorded_at, text_version FROM consent_ledger "
            "WHERE session_id = $1 AND participant_id = $2 ORDER BY id",
            (session_id, participant_id),
        )
        return [LedgerEntry(Choice(r["choice"]), db_time(r["recorded_at"]), r["text_version"]) for r in rows]

    async def sessions_with_consent(self, participant_id: int) -> list[int]:
        rows = await self.db.fetch_all(
            "SELECT DISTINCT session_id FROM consent_ledger WHERE participant_id = $1 "
            "UNION SELECT session_id FROM contributions WHERE participant_id = $1",
            (participant_id,),
        )
        return [int(r[0]) for r in rows]

    # --- the personal-data contract ------------------------------------------------------------

    async def person_ref(self, tx: Tx, discord_user_id: int) -> PersonRef:
        """Inside the caller's transaction, so an erasure sees the person as they are under its lock."""
        row = await tx.fetch_one("SELECT id FROM participants WHERE discord_user_id = $1", (discord_user_id,))
        return PersonRef(discord_user_id, int(row[0]) if row else None)

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """RSVPs and consent choices in scope. The ledger is append-only against updates; a person's
        erasure is the one way its rows leave."""
        notify(self.db).people_forgotten()
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        for table in ("rsvps", "consent_ledger"):
            counts[table] = await tx.execute(
                f"DELETE FROM {table} WHERE participant_id = $1 AND {in_scope}", (person.participant_id, *params)
            )
        return counts

    async def release_identity(self, tx: Tx, person: PersonRef, held: set[int]) -> dict[str, int]:
        """After every owner has erased: drop the pseudonym of each series where nothing of theirs is
        held any more, and the participant row once nothing is held at all. Deleting it earlier would
        cascade into rows on servers the erasure was not asked to touch."""
        notify(self.db).people_forgotten()
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        kept = (f"AND (guild_id, series) NOT IN (SELECT guild_id, series FROM sessions WHERE id IN "
                f"({placeholders(len(held), start=2)}))") if held else ""
        counts = {"pseudonyms": await tx.execute(f"DELETE FROM pseudonyms WHERE participant_id = $1 {kept}",
                                                 (pid, *sorted(held)))}
        if not held:
            left = await _rows_referencing(self.db, tx, pid)
            if left:
                # The foreign keys cascade: deleting now would silently take these rows with it, on
                # whatever server they are. An owner that forgot them must fail the erasure instead.
                raise RuntimeError(f"rows remain in {', '.join(left)} that no owner erased")
            counts["participants"] = await tx.execute("DELETE FROM participants WHERE id = $1", (pid,))
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        pid = person.participant_id
        in_scope, params = scope.sessions("session_id")
        # A pseudonym belongs to one server's series.
        series_scope, series_params = ("1 = 1", ()) if scope.guild_id is None else (
            "guild_id = $2", (scope.guild_id,))
        rows: Rows = {
            "participants": [dict(r) for r in await self.db.fetch_all(
                "SELECT * FROM participants WHERE id = $1", (pid,))],
            "pseudonyms": [dict(r) for r in await self.db.fetch_all(
                f"SELECT * FROM pseudonyms WHERE participant_id = $1 AND {series_scope} ORDER BY guild_id, series",
                (pid, *series_params),
            )],
        }
        for table in ("rsvps", "consent_ledger"):
            found = await self.db.fetch_all(
                f"SELECT * FROM {table} WHERE participant_id = $1 AND {in_scope} ORDER BY session_id",
                (pid, *params),
            )
            rows[table] = [dict(r) for r in found]
        return rows

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all(
            "SELECT session_id FROM rsvps WHERE participant_id = $1 "
            "UNION SELECT session_id FROM consent_ledger WHERE participant_id = $1",
            (person.participant_id,),
        )
        return {int(r[0]) for r in rows}


async def _rows_referencing(db: Database, tx: Tx, participant_id: int) -> list[str]:
    """Every table whose foreign key points at the participant row and still has one of theirs,
    found from the schema itself so that a table added later is not missed."""
    left: list[str] = []
    for table, column in await db.foreign_keys_to("participants"):
        if await tx.fetch_one(f"SELECT 1 FROM {table} WHERE {column} = $1 LIMIT 1", (participant_id,)) is not None:
            left.append(f"{table}.{column}")
    return left
