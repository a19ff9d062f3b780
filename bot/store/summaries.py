"""Room summaries (one per room and round) and the messages that offer to write them.

A summary is a host's or facilitator's own writing about a room's conversation, so it is not a
person's data in the contract's sense (the writer is kept as a role; the audit line names them).
Withdrawal and erasure flag summaries that may quote someone (`ContributionRepo`); saving a new
text clears the flag, since the writer has now revised it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database, Row


@dataclass(frozen=True)
class StoredSummary:
    session_id: int
    room_id: int
    round_number: int
    text: str
    needs_review: bool
    writer_role: str | None
    #: the current text has not reached the lobby at a plenary yet (posted_at is the updated_at posted)
    unposted: bool


def _summary(row: Row) -> StoredSummary:
    posted = row["posted_at"]
    return StoredSummary(
        session_id=row["session_id"], room_id=row["room_id"], round_number=row["round_number"], text=row["text"],
        needs_review=bool(row["needs_review"]), writer_role=row["writer_role"],
        unposted=posted != row["updated_at"],
    )


class SummaryRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, session_id: int, room_id: int, round_number: int) -> StoredSummary | None:
        row = await self.db.fetch_one(
            "SELECT * FROM summaries WHERE session_id = $1 AND room_id = $2 AND round_number = $3",
            (session_id, room_id, round_number),
        )
        return _summary(row) if row else None

    async def save(self, session_id: int, room_id: int, round_number: int, text: str, writer_role: str) -> bool:
        """Write or rewrite the room's summary of the round; True when it already existed (an edit).

        Saving clears `needs_review`: the writer has seen the text as it now stands."""
        async with self.db.transaction() as tx:
            existed = await tx.fetch_one(
                "SELECT 1 FROM summaries WHERE session_id = $1 AND room_id = $2 AND round_number = $3",
                (session_id, room_id, round_number),
            ) is not None
            await tx.execute(
                "INSERT INTO summaries (session_id, room_id, round_number, text, needs_review, updated_at, "
                "writer_role) VALUES ($1, $2, $3, $4, 0, $5, $6) "
                "ON CONFLICT (session_id, room_id, round_number) DO UPDATE SET text = excluded.text, "
                "needs_review = 0, updated_at = excluded.updated_at, writer_role = excluded.writer_role",
                (session_id, room_id, round_number, text, self.db.now(), writer_role),
            )
        return existed

    async def of_session(self, session_id: int) -> list[StoredSummary]:
        rows = await self.db.fetch_all(
            "SELECT s.* FROM summaries s JOIN rooms r ON r.id = s.room_id WHERE s.session_id = $1 "
            "AND s.round_number IS NOT NULL ORDER BY s.round_number, r.number",
            (session_id,),
        )
        return [_summary(r) for r in rows]

    async def mark_posted(self, posted: list[StoredSummary]) -> None:
        """These summaries reached the lobby with these texts. One rewritten since it was read is
        left unposted, so its new text goes out at the next plenary."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE summaries SET posted_at = updated_at WHERE session_id = $1 AND room_id = $2 "
                "AND round_number = $3 AND text = $4",
                [(s.session_id, s.room_id, s.round_number, s.text) for s in posted],
            )

    # -- the offers ----------------------------------------------------------------------------

    async def offers_due(self, session_id: int, before: int | None) -> list[tuple[int, int]]:
        """(room id, round) of every room and every started round before `before` (None: every
        started round) whose offer is not yet posted."""
        limit, params = ("AND u.number < $2", [before]) if before is not None else ("", [])
        rows = await self.db.fetch_all(
            "SELECT r.id, u.number FROM rounds u JOIN rooms r ON r.session_id = u.session_id "
            "WHERE u.session_id = $1 AND u.started_at IS NOT NULL AND r.channel_id IS NOT NULL "
            f"{limit} AND NOT EXISTS (SELECT 1 FROM summary_offers o WHERE o.session_id = u.session_id "
            "AND o.room_id = r.id AND o.round_number = u.number AND o.message_id IS NOT NULL) "
            "ORDER BY u.number, r.number",
            [session_id, *params],
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    async def set_offer(self, session_id: int, room_id: int, round_number: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO summary_offers (session_id, room_id, round_number, message_id) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (session_id, room_id, round_number) DO UPDATE SET message_id = excluded.message_id",
                (session_id, room_id, round_number, message_id),
            )

    async def offer(self, session_id: int, message_id: int) -> tuple[int, int] | None:
        """(room id, round) an offer message stands for, if it is this café's."""
        row = await self.db.fetch_one(
            "SELECT room_id, round_number FROM summary_offers WHERE session_id = $1 AND message_id = $2",
            (session_id, message_id),
        )
        return (int(row[0]), int(row[1])) if row else None
