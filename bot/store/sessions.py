"""Sessions, their rooms and rounds (their steps are stored through bot/store/steps.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.core.clock import from_iso, to_iso
from bot.core.models import Room, Session
from bot.core.timeline import ROUND, PlannedStep, SessionState, StepKind
from bot.store.changes import notify
from bot.store.db import Database
from bot.store.steps import insert_planned, retime_pending


def _opt_int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and value != "" else None


def session_from_row(row: aiosqlite.Row) -> Session:
    return Session(
        id=row["id"],
        guild_id=int(row["guild_id"]),
        series=row["series"],
        plan_id=row["plan_id"],
        plan_title=row["plan_title"],
        plan_snapshot=json.loads(row["plan_snapshot"]),
        starts_at=from_iso(row["starts_at"]),
        timezone=row["timezone"],
        room_size=row["room_size"],
        state=SessionState(row["state"]),
        current_round=row["current_round"],
        announce_channel_id=_opt_int(row["announce_channel_id"]),
        announce_message_id=_opt_int(row["announce_message_id"]),
        category_id=_opt_int(row["category_id"]),
        lobby_channel_id=_opt_int(row["lobby_channel_id"]),
        closed_at=from_iso(row["closed_at"]) if row["closed_at"] else None,
        capacity=row["capacity"],
        reminders=tuple(int(m) for m in json.loads(row["reminders"])),
        hold_minutes=row["hold_minutes"],
        repeat_of=row["repeat_of"],
        occurrence=row["occurrence"],
        event_id=row["event_id"],
    )


def _room(row: aiosqlite.Row) -> Room:
    return Room(
        id=row["id"],
        session_id=row["session_id"],
        number=row["number"],
        name=row["name"],
        channel_id=_opt_int(row["channel_id"]),
        last_seen_message_id=_opt_int(row["last_seen_message_id"]),
    )


@dataclass(frozen=True)
class NewSession:
    """What every occurrence of one schedule request shares (each has its own start and steps)."""

    guild_id: int
    series: str
    plan_id: str
    plan_title: str
    plan_snapshot: dict[str, object]
    timezone: str
    room_size: int
    rounds: tuple[tuple[str, str, int, bool], ...]
    actor_id: int
    capacity: int | None = None
    reminders: tuple[int, ...] = (1440, 15)
    hold_minutes: int | None = None


class SessionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        guild_id: int,
        series: str,
        plan_id: str,
        plan_title: str,
        plan_snapshot: dict[str, object],
        starts_at: datetime,
        timezone: str,
        room_size: int,
        rounds: Sequence[tuple[str, str, int, bool]],
        steps: Sequence[PlannedStep],
        actor_id: int,
        capacity: int | None = None,
        reminders: Sequence[int] = (1440, 15),
        hold_minutes: int | None = None,
    ) -> int:
        """The session, its rounds, its steps and the audit line land together or not at all."""
        spec = NewSession(guild_id=guild_id, series=series, plan_id=plan_id, plan_title=plan_title,
                          plan_snapshot=plan_snapshot, timezone=timezone, room_size=room_size, rounds=tuple(rounds),
                          actor_id=actor_id, capacity=capacity, reminders=tuple(reminders), hold_minutes=hold_minutes)
        return (await self.create_run(spec, [(starts_at, steps)], repeat=False))[0]

    async def create_run(self, spec: NewSession, occurrences: Sequence[tuple[datetime, Sequence[PlannedStep]]],
                         *, repeat: bool) -> list[int]:
        """Sessions from one request, each at its start with its own steps, in one transaction:
        a series is stored whole or not at all. With `repeat`, they are numbered as one run whose
        `repeat_of` is the first one's id."""
        now = self.db.now_iso()
        ids: list[int] = []
        async with self.db.transaction() as conn:
            for number, (starts_at, steps) in enumerate(occurrences, start=1):
                cur = await conn.execute(
                    """
                    INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone,
                                          room_size, created_at, capacity, reminders, occurrence, hold_minutes)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    RETURNING id
                    """,
                    (str(spec.guild_id), spec.series, spec.plan_id, spec.plan_title, json.dumps(spec.plan_snapshot),
                     to_iso(starts_at), spec.timezone, spec.room_size, now, spec.capacity,
                     json.dumps(list(spec.reminders)), number if repeat else None, spec.hold_minutes),
                )
                row = await cur.fetchone()
                await cur.close()
                assert row is not None
                session_id = int(row[0])
                ids.append(session_id)
                await conn.executemany(
                    "INSERT INTO rounds (session_id, number, round_key, title, minutes, rotate) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(session_id, n, key, title, minutes, int(rotate))
                     for n, (key, title, minutes, rotate) in enumerate(spec.rounds, start=1)],
                )
                await insert_planned(conn, session_id, steps)
                await conn.execute(
                    "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (str(spec.guild_id), session_id, str(spec.actor_id), "schedule",
                     f"plan={spec.plan_id} starts={to_iso(starts_at)}", now),
                )
            if repeat and ids:
                await conn.execute(
                    f"UPDATE sessions SET repeat_of = ? WHERE id IN ({','.join('?' for _ in ids)})", (ids[0], *ids))
        return ids

    async def run_from(self, session: Session) -> list[Session]:
        """This café and the later ones of its repeat, in order (only itself when not a repeat)."""
        if session.repeat_of is None:
            return [session]
        rows = await self.db.fetch_all(
            "SELECT * FROM sessions WHERE repeat_of = ? AND starts_at >= ? ORDER BY starts_at, id",
            (session.repeat_of, to_iso(session.starts_at)))
        return [session_from_row(r) for r in rows]

    async def cancel_all(self, session_ids: Sequence[int]) -> None:
        """Call off several cafés at once: their state and their pending steps, together."""
        if not session_ids:
            return
        now = self.db.now_iso()
        marks = ",".join("?" for _ in session_ids)
        async with self.db.transaction() as conn:
            await conn.execute(f"UPDATE sessions SET state = ? WHERE id IN ({marks})",
                               (SessionState.CANCELLED.value, *session_ids))
            await conn.execute(
                f"UPDATE scheduled_steps SET status = 'cancelled', finished_at = ? "
                f"WHERE session_id IN ({marks}) AND status = 'pending'", (now, *session_ids))

    async def reschedule(self, session_id: int, starts_at: datetime, steps: Sequence[PlannedStep],
                         actor_id: int) -> None:
        """Move a café that has not opened: its start, and its pending steps replaced by the new
        time's (a reminder already sent for the old time is sent again for the new one), with the
        audit line, in one transaction."""
        now = self.db.now_iso()
        async with self.db.transaction() as conn:
            row = await (await conn.execute("SELECT guild_id, starts_at FROM sessions WHERE id = ?",
                                            (session_id,))).fetchone()
            assert row is not None, "a café is rescheduled only after it was found"
            await conn.execute("UPDATE sessions SET starts_at = ? WHERE id = ?", (to_iso(starts_at), session_id))
            await conn.execute(
                "UPDATE scheduled_steps SET status = 'cancelled', finished_at = ?, note = 'rescheduled' "
                "WHERE session_id = ? AND status = 'pending'", (now, session_id))
            await insert_planned(conn, session_id, steps)
            await conn.execute(
                "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
                (row[0], session_id, str(actor_id), "reschedule", f"from={row[1]} to={to_iso(starts_at)}", now),
            )

    async def set_event(self, session_id: int, event_id: int | None) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET event_id = ? WHERE id = ?", (event_id, session_id))

    async def by_event(self, guild_id: int, event_id: int) -> Session | None:
        """The café a Discord Scheduled Event mirrors, if it is this server's."""
        row = await self.db.fetch_one("SELECT * FROM sessions WHERE event_id = ? AND guild_id = ?",
                                      (event_id, str(guild_id)))
        return session_from_row(row) if row else None

    async def get(self, session_id: int) -> Session | None:
        row = await self.db.fetch_one("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return session_from_row(row) if row else None

    async def list_for_guild(self, guild_id: int, states: Sequence[SessionState] | None = None) -> list[Session]:
        sql = "SELECT * FROM sessions WHERE guild_id = ?"
        params: list[object] = [str(guild_id)]
        if states:
            sql += f" AND state IN ({','.join('?' for _ in states)})"
            params.extend(s.value for s in states)
        rows = await self.db.fetch_all(sql + " ORDER BY starts_at", params)
        return [session_from_row(r) for r in rows]

    async def in_states(self, states: Sequence[SessionState]) -> list[Session]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM sessions WHERE state IN ({','.join('?' for _ in states)}) ORDER BY starts_at",
            [s.value for s in states],
        )
        return [session_from_row(r) for r in rows]

    async def latest_joined(self, participant_id: int, guild_id: int) -> int | None:
        """The newest café on this server that the person said they'd join."""
        row = await self.db.fetch_one(
            "SELECT s.id FROM sessions s JOIN rsvps r ON r.session_id = s.id "
            "WHERE r.participant_id = ? AND s.guild_id = ? ORDER BY s.starts_at DESC LIMIT 1",
            (participant_id, str(guild_id)),
        )
        return int(row[0]) if row else None

    async def set_plan_snapshot(self, session_id: int, plan_snapshot: Mapping[str, object]) -> None:
        """An organiser's change to one café's copy of its plan (e.g. letting people choose tables);
        only before it opens, so nothing already said was said under another plan."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET plan_snapshot = ? WHERE id = ? AND state = 'scheduled'",
                               (json.dumps(plan_snapshot), session_id))

    async def latest_joined_anywhere(self, participant_id: int, guild_id: int | None) -> int | None:
        """The newest café the person said they'd join: on this server, or (None, a DM) on any."""
        if guild_id is not None:
            return await self.latest_joined(participant_id, guild_id)
        row = await self.db.fetch_one(
            "SELECT s.id FROM sessions s JOIN rsvps r ON r.session_id = s.id "
            "WHERE r.participant_id = ? ORDER BY s.starts_at DESC LIMIT 1",
            (participant_id,),
        )
        return int(row[0]) if row else None

    async def set_announcement(self, session_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE sessions SET announce_channel_id = ?, announce_message_id = ? WHERE id = ?",
                (str(channel_id), str(message_id), session_id),
            )

    async def set_state(self, session_id: int, state: SessionState, *, current_round: int | None = None) -> None:
        now = self.db.now_iso()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET state = ? WHERE id = ?", (state.value, session_id))
            if current_round is not None:
                await conn.execute("UPDATE sessions SET current_round = ? WHERE id = ?", (current_round, session_id))
            if state is SessionState.CLOSED:
                await conn.execute("UPDATE sessions SET closed_at = ? WHERE id = ?", (now, session_id))
            if state in (SessionState.CLOSED, SessionState.CANCELLED):
                await conn.execute(
                    "UPDATE scheduled_steps SET status = 'cancelled', finished_at = ? "
                    "WHERE session_id = ? AND status = 'pending'",
                    (now, session_id),
                )
        notify(self.db).cafe_changed(session_id)

    async def record_opening(
        self, session_id: int, *, category_id: int, lobby_channel_id: int, rooms: Sequence[tuple[str, int]]
    ) -> None:
        """Store the channels made for an opening session together."""
        now = self.db.now_iso()
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE sessions SET category_id = ?, lobby_channel_id = ?, opened_at = ?, state = ? WHERE id = ?",
                (str(category_id), str(lobby_channel_id), now, SessionState.OPEN.value, session_id),
            )
            await conn.executemany(
                "INSERT INTO rooms (session_id, number, name, channel_id) VALUES (?, ?, ?, ?)",
                [(session_id, n, name, str(channel_id)) for n, (name, channel_id) in enumerate(rooms, start=1)],
            )
        notify(self.db).cafe_changed(session_id)

    # -- the opening, effect by effect (a crash part-way is resumed from these) ----------------

    async def plan_rooms(self, session_id: int, names: Sequence[str], seats: Sequence[tuple[int, int]],
                         hosts: Sequence[tuple[int, int]] = (), topics: Sequence[str] = ()) -> None:
        """Before any channel is made: the rooms (no channel yet), who sits where in round 1 and who
        hosts each room, in one write, so a resumed opening makes the same rooms for the same people.
        `seats` and `hosts` are (person, room number); `topics` are the rooms' table topics, in order."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO rooms (session_id, number, name, topic) VALUES (?, ?, ?, ?)",
                [(session_id, n, name, topics[n - 1] if n <= len(topics) else None)
                 for n, name in enumerate(names, start=1)],
            )
            await conn.executemany(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) "
                "SELECT ?, 1, ?, id FROM rooms WHERE session_id = ? AND number = ?",
                [(session_id, person, session_id, number) for person, number in seats],
            )
            await conn.executemany(
                "INSERT INTO room_hosts (session_id, room_id, participant_id) "
                "SELECT ?, id, ? FROM rooms WHERE session_id = ? AND number = ?",
                [(session_id, person, session_id, number) for person, number in hosts],
            )

    async def set_category(self, session_id: int, category_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET category_id = ? WHERE id = ?", (str(category_id), session_id))

    async def set_lobby(self, session_id: int, channel_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET lobby_channel_id = ? WHERE id = ?", (str(channel_id), session_id))
        notify(self.db).cafe_changed(session_id)

    async def set_room_channel(self, room_id: int, channel_id: int) -> None:
        """A room's channel was made with its round-1 people in it: their access is set too."""
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE rooms SET channel_id = ? WHERE id = ?", (str(channel_id), room_id))
            await conn.execute("UPDATE assignments SET access_set = 1 WHERE round_number = 1 AND room_id = ?",
                               (room_id,))
            async with conn.execute("SELECT session_id FROM rooms WHERE id = ?", (room_id,)) as cur:
                row = await cur.fetchone()
        if row is not None:
            notify(self.db).cafe_changed(int(row[0]))

    async def welcome_message(self, session_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT welcome_message_id FROM sessions WHERE id = ?", (session_id,))
        return _opt_int(row[0]) if row else None

    async def set_welcome_message(self, session_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET welcome_message_id = ? WHERE id = ?", (str(message_id), session_id))

    async def mark_opened(self, session_id: int) -> None:
        """Every channel is made and the welcome posted: the café is open, and its scheduled open
        step (if a person opened it early) is done, so the timer does not open it again."""
        now = self.db.now_iso()
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE sessions SET state = ?, opened_at = ? WHERE id = ? AND state = ?",
                               (SessionState.OPEN.value, now, session_id, SessionState.SCHEDULED.value))
            await conn.execute(
                "UPDATE scheduled_steps SET status = 'done', finished_at = ?, note = 'opened early by hand' "
                "WHERE session_id = ? AND kind = ? AND status = 'pending'",
                (now, session_id, StepKind.OPEN.value),
            )
        notify(self.db).cafe_changed(session_id)

    async def forget_opening(self, session_id: int) -> None:
        """An opening rolled back: its channels were deleted, so nothing of it is kept."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM assignments WHERE session_id = ?", (session_id,))
            await conn.execute("DELETE FROM rooms WHERE session_id = ?", (session_id,))
            await conn.execute(
                "UPDATE sessions SET category_id = NULL, lobby_channel_id = NULL, welcome_message_id = NULL "
                "WHERE id = ?", (session_id,))
        notify(self.db).cafe_changed(session_id)

    # -- a round, effect by effect ---------------------------------------------------------------

    async def round_posts(self, session_id: int, number: int) -> list[tuple[int, str, int | None]]:
        """(room id, prompt text, message id or None while not yet posted) for each room of a round."""
        rows = await self.db.fetch_all(
            "SELECT room_id, text, message_id FROM round_prompts WHERE session_id = ? AND round_number = ? "
            "ORDER BY room_id", (session_id, number))
        return [(int(r[0]), str(r[1]), _opt_int(r[2])) for r in rows]

    async def set_prompt_message(self, session_id: int, number: int, room_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE round_prompts SET message_id = ? WHERE session_id = ? AND round_number = ? AND room_id = ?",
                (str(message_id), session_id, number, room_id))

    async def lobby_notice(self, session_id: int, number: int) -> int | None:
        row = await self.db.fetch_one(
            "SELECT lobby_message_id FROM rounds WHERE session_id = ? AND number = ?", (session_id, number))
        return _opt_int(row[0]) if row else None

    async def set_lobby_notice(self, session_id: int, number: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE rounds SET lobby_message_id = ? WHERE session_id = ? AND number = ?",
                               (str(message_id), session_id, number))

    async def round_complete(self, session_id: int, number: int) -> bool:
        """Whether every effect of a started round is recorded: access (each person's, and each
        room's whole list), each prompt, the lobby notice."""
        row = await self.db.fetch_one(
            """
            SELECT (SELECT COUNT(*) FROM assignments WHERE session_id = ?1 AND round_number = ?2 AND access_set = 0)
                 + (SELECT COUNT(*) FROM round_prompts p JOIN rooms r ON r.id = p.room_id
                    WHERE p.session_id = ?1 AND p.round_number = ?2 AND p.message_id IS NULL
                      AND r.channel_id IS NOT NULL)
                 + (SELECT COUNT(*) FROM rounds u JOIN sessions s ON s.id = u.session_id
                    WHERE u.session_id = ?1 AND u.number = ?2 AND u.lobby_message_id IS NULL
                      AND s.lobby_channel_id IS NOT NULL)
                 + (SELECT COUNT(*) FROM rooms WHERE session_id = ?1 AND access_stale = 1 AND channel_id IS NOT NULL)
            """, (session_id, number))
        return row is not None and int(row[0]) == 0

    # -- the closing, effect by effect -----------------------------------------------------------

    async def closing_progress(self, session_id: int) -> list[tuple[int, bool, bool]]:
        """(channel id, closing words posted, locked) for each room with a channel, then the lobby."""
        rows = await self.db.fetch_all(
            "SELECT channel_id, closing_message_id, locked FROM rooms WHERE session_id = ? "
            "AND channel_id IS NOT NULL ORDER BY number", (session_id,))
        found = [(int(r[0]), r[1] is not None, bool(r[2])) for r in rows]
        lobby = await self.db.fetch_one(
            "SELECT lobby_channel_id, lobby_closing_message_id, lobby_locked FROM sessions WHERE id = ?", (session_id,))
        if lobby is not None and lobby[0] is not None:
            found.append((int(lobby[0]), lobby[1] is not None, bool(lobby[2])))
        return found

    async def set_closing_message(self, session_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as conn:
            cur = await conn.execute("UPDATE rooms SET closing_message_id = ? WHERE session_id = ? AND channel_id = ?",
                                     (str(message_id), session_id, str(channel_id)))
            if cur.rowcount == 0:
                await conn.execute("UPDATE sessions SET lobby_closing_message_id = ? WHERE id = ? "
                                   "AND lobby_channel_id = ?", (str(message_id), session_id, str(channel_id)))

    async def set_locked(self, session_id: int, channel_id: int) -> None:
        async with self.db.transaction() as conn:
            cur = await conn.execute("UPDATE rooms SET locked = 1 WHERE session_id = ? AND channel_id = ?",
                                     (session_id, str(channel_id)))
            if cur.rowcount == 0:
                await conn.execute("UPDATE sessions SET lobby_locked = 1 WHERE id = ? AND lobby_channel_id = ?",
                                   (session_id, str(channel_id)))

    async def rooms(self, session_id: int) -> list[Room]:
        rows = await self.db.fetch_all("SELECT * FROM rooms WHERE session_id = ? ORDER BY number", (session_id,))
        return [_room(r) for r in rows]

    async def room_by_channel(self, channel_id: int) -> Room | None:
        row = await self.db.fetch_one("SELECT * FROM rooms WHERE channel_id = ?", (str(channel_id),))
        return _room(row) if row else None

    async def session_by_channel(self, channel_id: int) -> Session | None:
        """The session a room or lobby channel belongs to."""
        row = await self.db.fetch_one(
            """
            SELECT s.* FROM sessions s
            WHERE s.lobby_channel_id = ?
               OR s.id IN (SELECT session_id FROM rooms WHERE channel_id = ?)
            """,
            (str(channel_id), str(channel_id)),
        )
        return session_from_row(row) if row else None

    async def mark_seen(self, channel_id: int, message_id: int) -> None:
        """Remember the newest message seen in a room or lobby, so backfill knows where to resume."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE rooms SET last_seen_message_id = ? WHERE channel_id = ? AND "
                "(last_seen_message_id IS NULL OR CAST(last_seen_message_id AS INTEGER) < ?)",
                (str(message_id), str(channel_id), message_id),
            )
            if cur.rowcount == 0:
                await conn.execute(
                    "UPDATE sessions SET lobby_last_seen_message_id = ? WHERE lobby_channel_id = ? AND "
                    "(lobby_last_seen_message_id IS NULL OR CAST(lobby_last_seen_message_id AS INTEGER) < ?)",
                    (str(message_id), str(channel_id), message_id),
                )

    async def mark_seen_in(self, conn: aiosqlite.Connection, channel_id: int, message_id: int) -> None:
        """`mark_seen` inside the caller's transaction: the capture path writes a channel's cursor
        with the batch of messages it covers, so the cursor never passes a message not yet stored."""
        cur = await conn.execute(
            "UPDATE rooms SET last_seen_message_id = ? WHERE channel_id = ? AND "
            "(last_seen_message_id IS NULL OR CAST(last_seen_message_id AS INTEGER) < ?)",
            (str(message_id), str(channel_id), message_id),
        )
        if cur.rowcount == 0:
            await conn.execute(
                "UPDATE sessions SET lobby_last_seen_message_id = ? WHERE lobby_channel_id = ? AND "
                "(lobby_last_seen_message_id IS NULL OR CAST(lobby_last_seen_message_id AS INTEGER) < ?)",
                (str(message_id), str(channel_id), message_id),
            )

    async def round_starts(self, session_id: int) -> list[tuple[int, datetime]]:
        """(number, start) of each round begun so far, in order: the capture view's round lookup."""
        rows = await self.db.fetch_all(
            "SELECT number, started_at FROM rounds WHERE session_id = ? AND started_at IS NOT NULL ORDER BY number",
            (session_id,),
        )
        return [(int(r[0]), from_iso(r[1])) for r in rows]

    async def lobby_cursor(self, session_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT lobby_last_seen_message_id FROM sessions WHERE id = ?", (session_id,))
        return _opt_int(row[0]) if row else None

    async def stored_message_ids(self, channel_id: int) -> set[int]:
        rows = await self.db.fetch_all("SELECT message_id FROM contributions WHERE channel_id = ?", (str(channel_id),))
        return {int(r[0]) for r in rows}

    async def round_info(self, session_id: int, number: int) -> aiosqlite.Row | None:
        return await self.db.fetch_one("SELECT * FROM rounds WHERE session_id = ? AND number = ?", (session_id, number))

    async def start_round(
        self,
        session_id: int,
        number: int,
        prompts: Sequence[tuple[int, str]],
        assignments: Sequence[tuple[int, int]],
        later_steps: Sequence[PlannedStep],
        at: datetime,
    ) -> None:
        """Round `number` begins at café time `at`: state, prompts as posted, who sits where, and the
        re-timed later steps."""
        now = to_iso(at)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE rounds SET ended_at = ? WHERE session_id = ? AND number < ? AND ended_at IS NULL",
                (now, session_id, number),
            )
            await conn.execute(
                "UPDATE rounds SET started_at = ? WHERE session_id = ? AND number = ?", (now, session_id, number)
            )
            await conn.execute(
                "UPDATE sessions SET state = ?, current_round = ? WHERE id = ?",
                (SessionState.RUNNING.value, number, session_id),
            )
            await conn.executemany(
                "INSERT INTO round_prompts (session_id, round_number, room_id, text, posted_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id, round_number, room_id) DO NOTHING",
                [(session_id, number, room_id, text, now) for room_id, text in prompts],
            )
            await conn.executemany(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (session_id, round_number, participant_id) DO UPDATE SET room_id = excluded.room_id, "
                "access_set = CASE WHEN room_id = excluded.room_id THEN access_set ELSE 0 END",
                [(session_id, number, person, room_id) for person, room_id in assignments],
            )
            # Whoever stays in the room they had (with its access applied) needs nothing done.
            await conn.execute(
                "UPDATE assignments SET access_set = 1 WHERE session_id = ? AND round_number = ? AND access_set = 0 "
                "AND EXISTS (SELECT 1 FROM assignments b WHERE b.session_id = assignments.session_id "
                "AND b.participant_id = assignments.participant_id AND b.round_number = ? "
                "AND b.room_id = assignments.room_id AND b.access_set = 1)",
                (session_id, number, number - 1))
            # Whoever changed room: the room they join and the room they leave get their access
            # applied (one call each, bot/services/access.py), before the round counts as complete.
            await conn.execute(
                "UPDATE rooms SET access_stale = 1 WHERE session_id = ? AND id IN ("
                "SELECT room_id FROM assignments WHERE session_id = ? AND round_number = ? AND access_set = 0 "
                "UNION SELECT b.room_id FROM assignments a JOIN assignments b "
                "ON b.session_id = a.session_id AND b.participant_id = a.participant_id AND b.round_number = ? "
                "WHERE a.session_id = ? AND a.round_number = ? AND a.access_set = 0)",
                (session_id, session_id, number, number - 1, session_id, number))
            # Rounds moved early by a facilitator keep their full length: later steps are re-timed.
            await retime_pending(conn, session_id, later_steps)
            await conn.execute(
                "UPDATE scheduled_steps SET status = 'skipped', finished_at = ?, note = 'round already started' "
                "WHERE session_id = ? AND kind = ? AND json_extract(payload, ?) <= ? AND status = 'pending'",
                (now, session_id, StepKind.ROUND.value, f"$.{ROUND}", number),
            )
        notify(self.db).cafe_changed(session_id)

    async def round_at(self, session_id: int, moment: datetime) -> int | None:
        """The round that was running at `moment` (for messages read back after a restart)."""
        row = await self.db.fetch_one(
            "SELECT MAX(number) FROM rounds WHERE session_id = ? AND started_at IS NOT NULL AND started_at <= ?",
            (session_id, to_iso(moment)),
        )
        return int(row[0]) if row and row[0] is not None else None

    async def assignments(self, session_id: int, round_number: int) -> dict[int, int]:
        """participant id → room id for a round."""
        rows = await self.db.fetch_all(
            "SELECT participant_id, room_id FROM assignments WHERE session_id = ? AND round_number = ?",
            (session_id, round_number),
        )
        return {r["participant_id"]: r["room_id"] for r in rows}

    async def assign(self, session_id: int, round_number: int, participant_id: int, room_id: int) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (session_id, round_number, participant_id) DO UPDATE SET room_id = excluded.room_id",
                (session_id, round_number, participant_id, room_id),
            )
