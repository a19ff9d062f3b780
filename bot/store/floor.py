"""The café floor's state: pause, recall, closed rooms, which channels' access is still to apply,
the café's categories, its time warnings and its dashboard message.

A control changes state and marks the channels it touches `access_stale` in one transaction; the
access service then applies each stale channel's whole overwrite list and clears its mark. So the
store is always the truth, and a change a crash cut short is finished by applying again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.timeline import PlannedStep
from bot.store.db import Database, db_int_opt, db_time, db_time_opt, placeholders
from bot.store.steps import check_kind, payload_text, retime_pending


@dataclass(frozen=True)
class FloorRow:
    paused_at: datetime | None
    recalled: bool
    warning_minutes: int | None
    dashboard_channel_id: int | None
    dashboard_message_id: int | None


class FloorRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def state(self, session_id: int) -> FloorRow:
        row = await self.db.fetch_one(
            "SELECT paused_at, recalled, warning_minutes, dashboard_channel_id, dashboard_message_id "
            "FROM sessions WHERE id = $1", (session_id,))
        assert row is not None, "a café's floor is read only while the café exists"
        return FloorRow(
            paused_at=db_time_opt(row[0]), recalled=bool(row[1]),
            warning_minutes=None if row[2] is None else int(row[2]),
            dashboard_channel_id=db_int_opt(row[3]),
            dashboard_message_id=db_int_opt(row[4]))

    # -- which channels still need their access applied --------------------------------------

    async def seated(self, session_id: int, round_number: int) -> list[tuple[int, int]]:
        """(room id, Discord id) of everyone seated in a round and let in: what each room's access is
        made of. Someone who stepped out quietly stays seated but is not let in until they come back."""
        rows = await self.db.fetch_all(
            "SELECT a.room_id, p.discord_user_id FROM assignments a JOIN participants p ON p.id = a.participant_id "
            "WHERE a.session_id = $1 AND a.round_number = $2 AND NOT EXISTS (SELECT 1 FROM step_outs o "
            "WHERE o.session_id = a.session_id AND o.participant_id = a.participant_id AND o.returned_at IS NULL) "
            "ORDER BY a.room_id, p.id", (session_id, round_number))
        return [(int(r[0]), int(r[1])) for r in rows]

    async def closed_rooms(self, session_id: int) -> set[int]:
        rows = await self.db.fetch_all("SELECT id FROM rooms WHERE session_id = $1 AND closed = 1", (session_id,))
        return {int(r[0]) for r in rows}

    async def stale(self, session_id: int) -> tuple[set[int], bool]:
        """(room ids whose channel's access is to apply, whether the lobby's is)."""
        rows = await self.db.fetch_all(
            "SELECT id FROM rooms WHERE session_id = $1 AND access_stale = 1 AND channel_id IS NOT NULL",
            (session_id,))
        lobby = await self.db.fetch_one(
            "SELECT lobby_access_stale FROM sessions WHERE id = $1 AND lobby_channel_id IS NOT NULL", (session_id,))
        return {int(r[0]) for r in rows}, lobby is not None and bool(lobby[0])

    async def mark_stale(self, session_id: int, *, rooms: Iterable[int] = (), every_room: bool = False,
                         lobby: bool = False) -> None:
        async with self.db.transaction() as tx:
            if every_room:
                await tx.execute("UPDATE rooms SET access_stale = 1 WHERE session_id = $1", (session_id,))
            await tx.executemany("UPDATE rooms SET access_stale = 1 WHERE session_id = $1 AND id = $2",
                                   [(session_id, room) for room in rooms])
            if lobby:
                await tx.execute("UPDATE sessions SET lobby_access_stale = 1 WHERE id = $1", (session_id,))

    async def room_applied(self, session_id: int, room_id: int, round_number: int) -> None:
        """The room's channel now matches the store: its mark goes, and so does the access flag of
        each person seated there this round (a round is complete once everyone's is set)."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE rooms SET access_stale = 0 WHERE id = $1", (room_id,))
            await tx.execute(
                "UPDATE assignments SET access_set = 1 WHERE session_id = $1 AND round_number = $2 AND room_id = $3",
                (session_id, round_number, room_id))

    async def lobby_applied(self, session_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET lobby_access_stale = 0 WHERE id = $1", (session_id,))

    # -- categories -------------------------------------------------------------------------------

    async def categories(self, session_id: int) -> dict[int, int]:
        """category number → channel id, of those made so far."""
        rows = await self.db.fetch_all(
            "SELECT number, channel_id FROM cafe_categories WHERE session_id = $1 ORDER BY number", (session_id,))
        return {int(r[0]): int(r[1]) for r in rows}

    async def add_category(self, session_id: int, number: int, channel_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO cafe_categories (session_id, number, channel_id) VALUES ($1, $2, $3) "
                "ON CONFLICT (session_id, number) DO UPDATE SET channel_id = excluded.channel_id",
                (session_id, number, channel_id))

    async def forget_categories(self, session_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM cafe_categories WHERE session_id = $1", (session_id,))

    # -- controls ---------------------------------------------------------------------------------

    async def set_room_closed(self, session_id: int, room_id: int, closed: bool) -> bool:
        """Close or open one room; False if it already was."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE rooms SET closed = $1, access_stale = 1 WHERE session_id = $2 AND id = $3 AND closed = $4",
                (int(closed), session_id, room_id, int(not closed)))
            return changed == 1

    async def set_recalled(self, session_id: int, recalled: bool) -> bool:
        """Recall everyone to the lobby or send them out again; False if it already was so."""
        async with self.db.transaction() as tx:
            changed = await tx.execute("UPDATE sessions SET recalled = $1 WHERE id = $2 AND recalled = $3",
                                       (int(recalled), session_id, int(not recalled)))
            if changed == 1:
                await tx.execute("UPDATE rooms SET access_stale = 1 WHERE session_id = $1", (session_id,))
            return changed == 1

    async def move(self, session_id: int, round_number: int, participant_id: int, room_id: int) -> int | None:
        """Seat a person in another room for the rest of this round; both rooms' access is to
        apply. The room they left (None if they were not seated)."""
        async with self.db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT room_id FROM assignments WHERE session_id = $1 AND round_number = $2 AND participant_id = $3",
                (session_id, round_number, participant_id))
            left = None if row is None else int(row[0])
            await tx.execute(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id, access_set) "
                "VALUES ($1, $2, $3, $4, 0) ON CONFLICT (session_id, round_number, participant_id) "
                "DO UPDATE SET room_id = excluded.room_id, access_set = 0",
                (session_id, round_number, participant_id, room_id))
            await tx.executemany("UPDATE rooms SET access_stale = 1 WHERE id = $1",
                                   [(r,) for r in {room_id, left} if r is not None])
            return left

    async def set_warning_minutes(self, session_id: int, minutes: int | None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET warning_minutes = $1 WHERE id = $2", (minutes, session_id))

    async def set_dashboard(self, session_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET dashboard_channel_id = $1, dashboard_message_id = $2 WHERE id = $3",
                               (channel_id, message_id, session_id))

    # -- the timeline: extend, pause, resume ------------------------------------------------------

    async def shift_pending(self, session_id: int, kinds: Sequence[str], by: timedelta, *,
                            paused_at: datetime | None = None, resume: bool = False) -> None:
        """Move a café's pending steps of these kinds by `by`, in one write with the pause (set
        `paused_at`) or the resume (clear it), so the timeline and the pause never disagree."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id, due_at FROM scheduled_steps WHERE session_id = $1 AND status = 'pending' "
                f"AND kind IN ({placeholders(len(kinds), start=2)})", (session_id, *kinds))
            await tx.executemany("UPDATE scheduled_steps SET due_at = $1 WHERE id = $2",
                                 [(db_time(r[1]) + by, int(r[0])) for r in rows])
            if paused_at is not None:
                await tx.execute("UPDATE sessions SET paused_at = $1 WHERE id = $2", (paused_at, session_id))
            if paused_at is not None or resume:
                if resume:
                    await tx.execute("UPDATE sessions SET paused_at = NULL WHERE id = $1", (session_id,))
                await tx.execute("UPDATE rooms SET access_stale = 1 WHERE session_id = $1", (session_id,))

    async def retime(self, session_id: int, steps: Sequence[PlannedStep]) -> None:
        """Move (or store again) these steps of a café, each found by its kind and payload."""
        async with self.db.transaction() as tx:
            await retime_pending(tx, session_id, steps)

    async def drop_pending(self, session_id: int, kind: str, payload: dict[str, object]) -> None:
        """A pending step that is no longer wanted (a time warning turned off) is skipped, with why."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE scheduled_steps SET status = 'skipped', finished_at = $1, note = 'turned off' "
                "WHERE session_id = $2 AND kind = $3 AND payload = $4 AND status = 'pending'",
                (self.db.now(), session_id, check_kind(kind), payload_text(payload)))

    async def waiting_support(self, session_id: int) -> int:
        row = await self.db.fetch_one(
            "SELECT COUNT(*) FROM support_requests WHERE session_id = $1 AND handled_at IS NULL", (session_id,))
        return int(row[0]) if row else 0

    async def contributions_by_room(self, session_id: int, round_number: int) -> dict[int, int]:
        """room id → how many contributions were kept this round (a count; no words are read)."""
        rows = await self.db.fetch_all(
            "SELECT room_id, COUNT(*) FROM contributions WHERE session_id = $1 AND round_number = $2 "
            "AND room_id IS NOT NULL GROUP BY room_id", (session_id, round_number))
        return {int(r[0]): int(r[1]) for r in rows}
