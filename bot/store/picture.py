"""Reads for an organiser's picture of one café (`/cafe show`): numbers, never whose."""

from __future__ import annotations

from bot.core.consent import Choice, LedgerEntry
from bot.store.db import Database, db_time


async def consent_ledgers(db: Database, session_id: int) -> list[list[LedgerEntry]]:
    """Each person's consent ledger for the café, in the order written, with nothing that says
    whose it is: the caller can count choices and cannot name anyone."""
    rows = await db.fetch_all(
        "SELECT participant_id, choice, recorded_at, text_version FROM consent_ledger WHERE session_id = $1 "
        "ORDER BY participant_id, id", (session_id,))
    ledgers: dict[int, list[LedgerEntry]] = {}
    for row in rows:
        ledgers.setdefault(int(row[0]), []).append(LedgerEntry(Choice(row[1]), db_time(row[2]), row[3]))
    return list(ledgers.values())


async def room_sizes(db: Database, session_id: int, round_number: int) -> dict[int, int]:
    """Room id → how many people sit in it in this round."""
    rows = await db.fetch_all(
        "SELECT room_id, COUNT(*) FROM assignments WHERE session_id = $1 AND round_number = $2 GROUP BY room_id",
        (session_id, round_number))
    return {int(r[0]): int(r[1]) for r in rows}
