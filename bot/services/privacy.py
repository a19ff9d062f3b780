"""People's rights over their data: see it all, erase it all, and let it expire.

Every table that can hold something about a person is named in `PERSONAL_TABLES`; the
erasure test walks the schema and fails if a new table appears that is not covered here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.core.clock import to_iso
from bot.core.text import NEUTRAL_PERSON
from bot.store.db import Database
from bot.store.people import PeopleRepo

# table → how a person's rows are found in it (every one cascades from participants, but the
# erasure deletes explicitly so that it does not depend on the foreign-key pragma being on).
PERSONAL_TABLES: dict[str, str] = {
    "contributions": "participant_id = :person",
    "support_requests": "participant_id = :person",
    "assignments": "participant_id = :person",
    "consent_ledger": "participant_id = :person",
    "pseudonyms": "participant_id = :person",
    "rsvps": "participant_id = :person",
    "participants": "id = :person",
}
# Tables that hold a Discord user id of staff rather than a participant row.
ACTOR_TABLES: dict[str, str] = {"audit": "actor_id", "support_requests": "handled_by"}
ACTOR_KEYS = tuple(f"{table}.{column}" for table, column in ACTOR_TABLES.items())
# Tables with no personal data at all (checked by the erasure test, so nothing is forgotten).
IMPERSONAL_TABLES = frozenset(
    {"app_secrets", "guild_config", "sessions", "rooms", "rounds", "round_prompts", "summaries", "scheduled_steps",
     "exports"}
)


@dataclass(frozen=True)
class Erasure:
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class PrivacyService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.people = PeopleRepo(db)

    async def my_data(self, discord_user_id: int) -> bytes:
        """Everything Blether holds about this person, as readable JSON."""
        person = await self.people.participant_id(discord_user_id)
        report: dict[str, object] = {
            "about": "Everything Blether holds about you. Your words appear under your pseudonym; "
                     "your Discord id is kept only to recognise you and is never exported.",
            "discord_user_id": str(discord_user_id),
        }
        if person is None:
            report["note"] = "Blether holds nothing about you."
            return json.dumps(report, indent=2, ensure_ascii=False).encode()
        for table, where in PERSONAL_TABLES.items():
            rows = await self.db.fetch_all(f"SELECT * FROM {table} WHERE {where.replace(':person', '?')}", (person,))
            report[table] = [_without_staff_ids(table, dict(row)) for row in rows]
        for table, column in ACTOR_TABLES.items():
            rows = await self.db.fetch_all(f"SELECT * FROM {table} WHERE {column} = ?", (str(discord_user_id),))
            if rows:
                report[f"{table}_as_host"] = [dict(row) for row in rows]
        return json.dumps(report, indent=2, ensure_ascii=False, default=str).encode()

    async def erase_person(self, discord_user_id: int) -> Erasure:
        """Remove every row about the person (all tables at once, for the host's CLI)."""
        return await self.erase_tables(discord_user_id, [*PERSONAL_TABLES, *ACTOR_KEYS])

    async def erase_tables(self, discord_user_id: int, tables: Sequence[str]) -> Erasure:
        """Remove the person's rows from `tables` (names from PERSONAL_TABLES or ACTOR_KEYS).

        Each cog's erasure hook names the tables it writes (Red-DiscordBot's data-deletion
        pattern); the participant row goes last, since the others are found through it.
        """
        unknown = set(tables) - set(PERSONAL_TABLES) - set(ACTOR_KEYS)
        if unknown:
            raise ValueError(f"no erasure rule for {sorted(unknown)}")
        person = await self.people.participant_id(discord_user_id)
        counts: dict[str, int] = {}
        async with self.db.transaction() as conn:
            if person is not None:
                if "contributions" in tables:
                    await conn.execute(
                        "UPDATE summaries SET needs_review = 1 WHERE room_id IN "
                        "(SELECT room_id FROM contributions WHERE participant_id = ?)",
                        (person,),
                    )
                    await _unname_in_others_words(conn, person)
                for table, where in PERSONAL_TABLES.items():
                    if table in tables:
                        cur = await conn.execute(f"DELETE FROM {table} WHERE {where}", {"person": person})
                        counts[table] = cur.rowcount
            for key in tables:
                if key in ACTOR_KEYS:
                    table, column = key.split(".")
                    cur = await conn.execute(
                        f"UPDATE {table} SET {column} = NULL WHERE {column} = ?", (str(discord_user_id),)
                    )
                    counts[key] = cur.rowcount
        return Erasure({k: v for k, v in counts.items() if v})

    async def purge_before(self, before: datetime) -> int:
        """Delete the words of every café that started before `before` (an organiser's purge)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM contributions WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < ?)",
                (to_iso(before),),
            )
            deleted = cur.rowcount
            await conn.execute(
                "DELETE FROM summaries WHERE session_id IN (SELECT id FROM sessions WHERE starts_at < ?)",
                (to_iso(before),),
            )
        return deleted

    async def retention_sweep(self, now: datetime, default_days: int) -> int:
        """Delete contributions older than each server's retention period after their café."""
        rows = await self.db.fetch_all(
            "SELECT s.id, s.starts_at, COALESCE(g.retention_days, ?) AS days FROM sessions s "
            "LEFT JOIN guild_config g ON g.guild_id = s.guild_id "
            "WHERE EXISTS (SELECT 1 FROM contributions c WHERE c.session_id = s.id)",
            (default_days,),
        )
        expired = [
            r["id"] for r in rows
            if datetime.fromisoformat(r["starts_at"]) + timedelta(days=int(r["days"])) < now
        ]
        if not expired:
            return 0
        deleted = 0
        async with self.db.transaction() as conn:
            for session_id in expired:
                cur = await conn.execute("DELETE FROM contributions WHERE session_id = ?", (session_id,))
                deleted += cur.rowcount
                await conn.execute("DELETE FROM summaries WHERE session_id = ?", (session_id,))
        return deleted


async def _unname_in_others_words(conn: aiosqlite.Connection, person: int) -> None:
    """Others' words that mention the person carry their pseudonym: it becomes the neutral marker,
    since anyone holding the pseudonym key could otherwise recompute it from the Discord id."""
    async with conn.execute("SELECT series, code FROM pseudonyms WHERE participant_id = ?", (person,)) as cur:
        codes = list(await cur.fetchall())
    for series, code in codes:
        mention = re.compile(rf"{re.escape(code)}(?![0-9A-Z])")
        async with conn.execute(
            "SELECT c.id, c.text FROM contributions c JOIN sessions s ON s.id = c.session_id "
            "WHERE s.series = ? AND c.participant_id != ? AND instr(c.text, ?) > 0",
            (series, person, code),
        ) as cur:
            mentioning = list(await cur.fetchall())
        for contribution_id, text in mentioning:
            await conn.execute(
                "UPDATE contributions SET text = ? WHERE id = ?", (mention.sub(NEUTRAL_PERSON, text), contribution_id)
            )


def _without_staff_ids(table: str, row: dict[str, object]) -> dict[str, object]:
    """A person's own row may name the host who acted on it (who answered their call for support):
    that is someone else's Discord id, so it shows only that a host did."""
    for actor_table, column in ACTOR_TABLES.items():
        if actor_table == table and row.get(column) is not None:
            row[column] = "a host"
    return row
