"""Sessions, their rooms and rounds (their steps are stored through bot/store/steps.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import to_iso
from bot.core.models import Room, Session
from bot.core.timeline import ROUND, PlannedStep, SessionState, StepKind
from bot.store.changes import notify
from bot.store.db import Database, Row, Tx, db_int_opt, db_time, db_time_opt, placeholders
from bot.store.steps import insert_planned, retime_pending

_opt_int = db_int_opt


def session_from_row(row: Row) -> Session:
    return Session(
        id=row["id"],
        guild_id=int(row["guild_id"]),
        series=row["series"],
        plan_id=row["plan_id"],
        plan_title=row["plan_title"],
        plan_snapshot=json.loads(row["plan_snapshot"]),
        starts_at=db_time(row["starts_at"]),
        timezone=row["timezone"],
        room_size=row["room_size"],
        state=SessionState(row["state"]),
        current_round=row["current_round"],
        announce_channel_id=_opt_int(row["announce_channel_id"]),
        announce_message_id=_opt_int(row["announce_message_id"]),
        category_id=_opt_int(row["category_id"]),
        lobby_channel_id=_opt_int(row["lobby_channel_id"]),
        closed_at=db_time_opt(row["closed_at"]),
        capacity=row["capacity"],
        reminders=tuple(int(m) for m in json.loads(row["reminders"])),
        hold_minutes=row["hold_minutes"],
        repeat_of=row["repeat_of"],
        occurrence=row["occurrence"],
        event_id=row["event_id"],
    )


def _room(row: Row) -> Room:
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
        now = self.db.now()
        ids: list[int] = []
        async with self.db.transaction() as tx:
            for number, (starts_at, steps) in enumerate(occurrences, start=1):
                row = await tx.fetch_one(
                    """
                    INSERT INTO sessions (guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone,
                                          room_size, created_at, capacity, reminders, occurrence, hold_minutes)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
                    """,
                    (spec.guild_id, spec.series, spec.plan_id, spec.plan_title, json.dumps(spec.plan_snapshot),
                     starts_at, spec.timezone, spec.room_size, now, spec.capacity,
                     json.dumps(list(spec.reminders)), number if repeat else None, spec.hold_minutes),
                )
                assert row is not None
                session_id = int(row[0])
                ids.append(session_id)
                await tx.executemany(
                    "INSERT INTO rounds (session_id, number, round_key, title, minutes, rotate) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    [(session_id, n, key, title, minutes, int(rotate))
                     for n, (key, title, minutes, rotate) in enumerate(spec.rounds, start=1)],
                )
                await insert_planned(tx, session_id, steps)
                await tx.execute(
                    "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    (spec.guild_id, session_id, spec.actor_id, "schedule",
                     f"plan={spec.plan_id} starts={to_iso(starts_at)}", now),
                )
            if repeat and ids:
                await tx.execute(
                    f"UPDATE sessions SET repeat_of = $1 WHERE id IN ({placeholders(len(ids), 2)})", (ids[0], *ids))
        return ids

    async def run_from(self, session: Session) -> list[Session]:
        """This café and the later ones of its repeat, in order (only itself when not a repeat)."""
        if session.repeat_of is None:
            return [session]
        rows = await self.db.fetch_all(
            "SELECT * FROM sessions WHERE repeat_of = $1 AND starts_at >= $2 ORDER BY starts_at, id",
            (session.repeat_of, session.starts_at))
        return [session_from_row(r) for r in rows]

    async def cancel_all(self, session_ids: Sequence[int]) -> None:
        """Call off several cafés at once: their state and their pending steps, together."""
        if not session_ids:
            return
        now = self.db.now()
        marks = placeholders(len(session_ids), 2)
        async with self.db.transaction() as tx:
            await tx.execute(f"UPDATE sessions SET state = $1 WHERE id IN ({marks})",
                             (SessionState.CANCELLED.value, *session_ids))
            await tx.execute(
                f"UPDATE scheduled_steps SET status = 'cancelled', finished_at = $1 "
                f"WHERE session_id IN ({marks}) AND status = 'pending'", (now, *session_ids))

    async def reschedule(self, session_id: int, starts_at: datetime, steps: Sequence[PlannedStep],
                         actor_id: int) -> None:
        """Move a café that has not opened: its start, and its pending steps replaced by the new
        time's (a reminder already sent for the old time is sent again for the new one), with the
        audit line, in one transaction."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            row = await tx.fetch_one("SELECT guild_id, starts_at FROM sessions WHERE id = $1", (session_id,))
            assert row is not None, "a café is rescheduled only after it was found"
            await tx.execute("UPDATE sessions SET starts_at = $1 WHERE id = $2", (starts_at, session_id))
            await tx.execute(
                "UPDATE scheduled_steps SET status = 'cancelled', finished_at = $1, note = 'rescheduled' "
                "WHERE session_id = $2 AND status = 'pending'", (now, session_id))
            await insert_planned(tx, session_id, steps)
            await tx.execute(
                "INSERT INTO audit (guild_id, session_id, actor_id, action, detail, at) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                (int(row["guild_id"]), session_id, actor_id, "reschedule",
                 f"from={to_iso(db_time(row['starts_at']))} to={to_iso(starts_at)}", now),
            )

    async def set_event(self, session_id: int, event_id: int | None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET event_id = $1 WHERE id = $2", (event_id, session_id))

    async def by_event(self, guild_id: int, event_id: int) -> Session | None:
        """The café a Discord Scheduled Event mirrors, if it is this server's."""
        row = await self.db.fetch_one("SELECT * FROM sessions WHERE event_id = $1 AND guild_id = $2",
                                      (event_id, guild_id))
        return session_from_row(row) if row else None

    async def get(self, session_id: int) -> Session | None:
        row = await self.db.fetch_one("SELECT * FROM sessions WHERE id = $1", (session_id,))
        return session_from_row(row) if row else None

    async def list_for_guild(self, guild_id: int, states: Sequence[SessionState] | None = None) -> list[Session]:
        sql = "SELECT * FROM sessions WHERE guild_id = $1"
        params: list[object] = [guild_id]
        if states:
            sql += f" AND state IN ({placeholders(len(states), start=2)})"
            params.extend(s.value for s in states)
        rows = await self.db.fetch_all(sql + " ORDER BY starts_at", params)
        return [session_from_row(r) for r in rows]

    async def in_states(self, states: Sequence[SessionState]) -> list[Session]:
        rows = await self.db.fetch_all(
            f"SELECT * FROM sessions WHERE state IN ({placeholders(len(states))}) ORDER BY starts_at",
            [s.value for s in states],
        )
        return [session_from_row(r) for r in rows]

    async def latest_joined(self, participant_id: int, guild_id: int) -> int | None:
        """The newest café on this server that the person said they'd join."""
        row = await self.db.fetch_one(
            "SELECT s.id FROM sessions s JOIN rsvps r ON r.session_id = s.id "
            "WHERE r.participant_id = $1 AND s.guild_id = $2 ORDER BY s.starts_at DESC LIMIT 1",
            (participant_id, guild_id),
        )
        return int(row[0]) if row else None

    async def set_plan_snapshot(self, session_id: int, plan_snapshot: Mapping[str, object]) -> None:
        """An organiser's change to one café's copy of its plan (e.g. letting people choose tables);
        only before it opens, so nothing already said was said under another plan."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET plan_snapshot = $1 WHERE id = $2 AND state = 'scheduled'",
                             (json.dumps(plan_snapshot), session_id))

    async def latest_joined_anywhere(self, participant_id: int, guild_id: int | None) -> int | None:
        """The newest café the person said they'd join: on this server, or (None, a DM) on any."""
        if guild_id is not None:
            return await self.latest_joined(participant_id, guild_id)
        row = await self.db.fetch_one(
            "SELECT s.id FROM sessions s JOIN rsvps r ON r.session_id = s.id "
            "WHERE r.participant_id = $1 ORDER BY s.starts_at DESC LIMIT 1",
            (participant_id,),
        )
        return int(row[0]) if row else None

    async def set_announcement(self, session_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE sessions SET announce_channel_id = $1, announce_message_id = $2 WHERE id = $3",
                (channel_id, message_id, session_id),
            )

    async def set_state(self, session_id: int, state: SessionState, *, current_round: int | None = None) -> None:
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET state = $1 WHERE id = $2", (state.value, session_id))
            if current_round is not None:
                await tx.execute("UPDATE sessions SET current_round = $1 WHERE id = $2", (current_round, session_id))
            if state is SessionState.CLOSED:
                await tx.execute("UPDATE sessions SET closed_at = $1 WHERE id = $2", (now, session_id))
            if state in (SessionState.CLOSED, SessionState.CANCELLED):
                await tx.execute(
                    "UPDATE scheduled_steps SET status = 'cancelled', finished_at = $1 "
                    "WHERE session_id = $2 AND status = 'pending'",
                    (now, session_id),
                )
        notify(self.db).cafe_changed(session_id)

    async def record_opening(
        self, session_id: int, *, category_id: int, lobby_channel_id: int, rooms: Sequence[tuple[str, int]]
    ) -> None:
        """Store the channels made for an opening session together."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE sessions SET category_id = $1, lobby_channel_id = $2, opened_at = $3, state = $4 WHERE id = $5",
                (category_id, lobby_channel_id, now, SessionState.OPEN.value, session_id),
            )
            await tx.executemany(
                "INSERT INTO rooms (session_id, number, name, channel_id) VALUES ($1, $2, $3, $4)",
                [(session_id, n, name, channel_id) for n, (name, channel_id) in enumerate(rooms, start=1)],
            )
        notify(self.db).cafe_changed(session_id)

    # -- the opening, effect by effect (a crash part-way is resumed from these) ----------------

    async def plan_rooms(self, session_id: int, names: Sequence[str], seats: Sequence[tuple[int, int]],
                         hosts: Sequence[tuple[int, int]] = (), topics: Sequence[str] = ()) -> None:
        """Before any channel is made: the rooms (no channel yet), who sits where in round 1 and who
        hosts each room, in one write, so a resumed opening makes the same rooms for the same people.
        `seats` and `hosts` are (person, room number); `topics` are the rooms' table topics, in order."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO rooms (session_id, number, name, topic) VALUES ($1, $2, $3, $4)",
                [(session_id, n, name, topics[n - 1] if n <= len(topics) else None)
                 for n, name in enumerate(names, start=1)],
            )
            await tx.executemany(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) "
                "SELECT $1, 1, $2, id FROM rooms WHERE session_id = $3 AND number = $4",
                [(session_id, person, session_id, number) for person, number in seats],
            )
            await tx.executemany(
                "INSERT INTO room_hosts (session_id, room_id, participant_id) "
                "SELECT $1, id, $2 FROM rooms WHERE session_id = $3 AND number = $4",
                [(session_id, person, session_id, number) for person, number in hosts],
            )

    async def set_category(self, session_id: int, category_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET category_id = $1 WHERE id = $2", (category_id, session_id))

    async def set_lobby(self, session_id: int, channel_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET lobby_channel_id = $1 WHERE id = $2", (channel_id, session_id))
        notify(self.db).cafe_changed(session_id)

    async def set_room_channel(self, room_id: int, channel_id: int) -> None:
        """A room's channel was made with its round-1 people in it: their access is set too."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE rooms SET channel_id = $1 WHERE id = $2", (channel_id, room_id))
            await tx.execute("UPDATE assignments SET access_set = 1 WHERE round_number = 1 AND room_id = $1",
                               (room_id,))
            row = await tx.fetch_one("SELECT session_id FROM rooms WHERE id = $1", (room_id,))
        if row is not None:
            notify(self.db).cafe_changed(int(row[0]))

    async def welcome_message(self, session_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT welcome_message_id FROM sessions WHERE id = $1", (session_id,))
        return _opt_int(row[0]) if row else None

    async def set_welcome_message(self, session_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET welcome_message_id = $1 WHERE id = $2", (message_id, session_id))

    async def mark_opened(self, session_id: int) -> None:
        """Every channel is made and the welcome posted: the café is open, and its scheduled open
        step (if a person opened it early) is done, so the timer does not open it again."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE sessions SET state = $1, opened_at = $2 WHERE id = $3 AND state = $4",
                               (SessionState.OPEN.value, now, session_id, SessionState.SCHEDULED.value))
            await tx.execute(
                "UPDATE scheduled_steps SET status = 'done', finished_at = $1, note = 'opened early by hand' "
                "WHERE session_id = $2 AND kind = $3 AND status = 'pending'",
                (now, session_id, StepKind.OPEN.value),
            )
        notify(self.db).cafe_changed(session_id)

    async def forget_opening(self, session_id: int) -> None:
        """An opening rolled back: its channels were deleted, so nothing of it is kept."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM assignments WHERE session_id = $1", (session_id,))
            await tx.execute("DELETE FROM rooms WHERE session_id = $1", (session_id,))
            await tx.execute(
                "UPDATE sessions SET category_id = NULL, lobby_channel_id = NULL, welcome_message_id = NULL "
                "WHERE id = $1", (session_id,))
        notify(self.db).cafe_changed(session_id)

    # -- a round, effect by effect ---------------------------------------------------------------

    async def round_posts(self, session_id: int, number: int) -> list[tuple[int, str, int | None]]:
        """(room id, prompt text, message id or None while not yet posted) for each room of a round."""
        rows = await self.db.fetch_all(
            "SELECT room_id, text, message_id FROM round_prompts WHERE session_id = $1 AND round_number = $2 "
            "ORDER BY room_id", (session_id, number))
        return [(int(r[0]), str(r[1]), _opt_int(r[2])) for r in rows]

    async def set_prompt_message(self, session_id: int, number: int, room_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE round_prompts SET message_id = $1 WHERE session_id = $2 AND round_number = $3 AND room_id = $4",
                (message_id, session_id, number, room_id))

    async def lobby_notice(self, session_id: int, number: int) -> int | None:
        row = await self.db.fetch_one(
            "SELECT lobby_message_id FROM rounds WHERE session_id = $1 AND number = $2", (session_id, number))
        return _opt_int(row[0]) if row else None

    async def set_lobby_notice(self, session_id: int, number: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE rounds SET lobby_message_id = $1 WHERE session_id = $2 AND number = $3",
                               (message_id, session_id, number))

    async def round_complete(self, session_id: int, number: int) -> bool:
        """Whether every effect of a started round is recorded: access (each person's, and each
        room's whole list), each prompt, the lobby notice."""
        row = await self.db.fetch_one(
            """
            SELECT (SELECT COUNT(*) FROM assignments WHERE session_id = $1 AND round_number = $2 AND access_set = 0)
                 + (SELECT COUNT(*) FROM round_prompts p JOIN rooms r ON r.id = p.room_id
                    WHERE p.session_id = $1 AND p.round_number = $2 AND p.message_id IS NULL
                      AND r.channel_id IS NOT NULL)
                 + (SELECT COUNT(*) FROM rounds u JOIN sessions s ON s.id = u.session_id
                    WHERE u.session_id = $1 AND u.number = $2 AND u.lobby_message_id IS NULL
                      AND s.lobby_channel_id IS NOT NULL)
                 + (SELECT COUNT(*) FROM rooms WHERE session_id = $1 AND access_stale = 1 AND channel_id IS NOT NULL)
            """, (session_id, number))
        return row is not None and int(row[0]) == 0

    # -- the closing, effect by effect -----------------------------------------------------------

    async def closing_progress(self, session_id: int) -> list[tuple[int, bool, bool]]:
        """(channel id, closing words posted, locked) for each room with a channel, then the lobby."""
        rows = await self.db.fetch_all(
            "SELECT channel_id, closing_message_id, locked FROM rooms WHERE session_id = $1 "
            "AND channel_id IS NOT NULL ORDER BY number", (session_id,))
        found = [(int(r[0]), r[1] is not None, bool(r[2])) for r in rows]
        lobby = await self.db.fetch_one(
            "SELECT lobby_channel_id, lobby_closing_message_id, lobby_locked FROM sessions WHERE id = $1",
            (session_id,))
        if lobby is not None and lobby[0] is not None:
            found.append((int(lobby[0]), lobby[1] is not None, bool(lobby[2])))
        return found

    async def set_closing_message(self, session_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE rooms SET closing_message_id = $1 WHERE session_id = $2 AND channel_id = $3",
                (message_id, session_id, channel_id))
            if changed == 0:
                await tx.execute("UPDATE sessions SET lobby_closing_message_id = $1 WHERE id = $2 "
                                   "AND lobby_channel_id = $3", (message_id, session_id, channel_id))

    async def set_locked(self, session_id: int, channel_id: int) -> None:
        async with self.db.transaction() as tx:
            changed = await tx.execute("UPDATE rooms SET locked = 1 WHERE session_id = $1 AND channel_id = $2",
                                     (session_id, channel_id))
            if changed == 0:
                await tx.execute("UPDATE sessions SET lobby_locked = 1 WHERE id = $1 AND lobby_channel_id = $2",
                                   (session_id, channel_id))

    async def rooms(self, session_id: int) -> list[Room]:
        rows = await self.db.fetch_all("SELECT * FROM rooms WHERE session_id = $1 ORDER BY number", (session_id,))
        return [_room(r) for r in rows]

    async def room_by_channel(self, channel_id: int) -> Room | None:
        row = await self.db.fetch_one("SELECT * FROM rooms WHERE channel_id = $1", (channel_id,))
        return _room(row) if row else None

    async def session_by_channel(self, channel_id: int) -> Session | None:
        """The session a room or lobby channel belongs to."""
        row = await self.db.fetch_one(
            """
            SELECT s.* FROM sessions s
            WHERE s.lobby_channel_id = $1
               OR s.id IN (SELECT session_id FROM rooms WHERE channel_id = $2)
            """,
            (channel_id, channel_id),
        )
        return session_from_row(row) if row else None

    async def mark_seen(self, channel_id: int, message_id: int) -> None:
        """Remember the newest message seen in a room or lobby, so backfill knows where to resume."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE rooms SET last_seen_message_id = $1 WHERE channel_id = $2 AND "
                "(last_seen_message_id IS NULL OR CAST(last_seen_message_id AS BIGINT) < $3)",
                (message_id, channel_id, message_id),
            )
            if changed == 0:
                await tx.execute(
                    "UPDATE sessions SET lobby_last_seen_message_id = $1 WHERE lobby_channel_id = $2 AND "
                    "(lobby_last_seen_message_id IS NULL OR CAST(lobby_last_seen_message_id AS BIGINT) < $3)",
                    (message_id, channel_id, message_id),
                )

    async def mark_seen_in(self, tx: Tx, channel_id: int, message_id: int) -> None:
        """`mark_seen` inside the caller's transaction: the capture path writes a channel's cursor
        with the batch of messages it covers, so the cursor never passes a message not yet stored."""
        changed = await tx.execute(
            "UPDATE rooms SET last_seen_message_id = $1 WHERE channel_id = $2 AND "
            "(last_seen_message_id IS NULL OR CAST(last_seen_message_id AS BIGINT) < $3)",
            (message_id, channel_id, message_id),
        )
        if changed == 0:
            await tx.execute(
                "UPDATE sessions SET lobby_last_seen_message_id = $1 WHERE lobby_channel_id = $2 AND "
                "(lobby_last_seen_message_id IS NULL OR CAST(lobby_last_seen_message_id AS BIGINT) < $3)",
                (message_id, channel_id, message_id),
            )

    async def round_starts(self, session_id: int) -> list[tuple[int, datetime]]:
        """(number, start) of each round begun so far, in order: the capture view's round lookup."""
        rows = await self.db.fetch_all(
            "SELECT number, started_at FROM rounds WHERE session_id = $1 AND started_at IS NOT NULL ORDER BY number",
            (session_id,),
        )
        return [(int(r[0]), db_time(r[1])) for r in rows]

    async def lobby_cursor(self, session_id: int) -> int | None:
        row = await self.db.fetch_one("SELECT lobby_last_seen_message_id FROM sessions WHERE id = $1", (session_id,))
        return _opt_int(row[0]) if row else None

    async def stored_message_ids(self, channel_id: int) -> set[int]:
        rows = await self.db.fetch_all("SELECT message_id FROM contributions WHERE channel_id = $1", (channel_id,))
        return {int(r[0]) for r in rows}

    async def round_started_at(self, session_id: int, number: int) -> datetime | None:
        """When round `number` began (None while it has not)."""
        row = await self.db.fetch_one("SELECT started_at FROM rounds WHERE session_id = $1 AND number = $2",
                                      (session_id, number))
        return db_time_opt(row[0]) if row is not None else None

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
        now = at
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE rounds SET ended_at = $1 WHERE session_id = $2 AND number < $3 AND ended_at IS NULL",
                (now, session_id, number),
            )
            await tx.execute(
                "UPDATE rounds SET started_at = $1 WHERE session_id = $2 AND number = $3", (now, session_id, number)
            )
            await tx.execute(
                "UPDATE sessions SET state = $1, current_round = $2 WHERE id = $3",
                (SessionState.RUNNING.value, number, session_id),
            )
            await tx.executemany(
                "INSERT INTO round_prompts (session_id, round_number, room_id, text, posted_at) "
                "VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (session_id, round_number, room_id) DO NOTHING",
                [(session_id, number, room_id, text, now) for room_id, text in prompts],
            )
            await tx.executemany(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (session_id, round_number, participant_id) DO UPDATE SET room_id = excluded.room_id, "
                "access_set = CASE WHEN assignments.room_id = excluded.room_id THEN assignments.access_set ELSE 0 END",
                [(session_id, number, person, room_id) for person, room_id in assignments],
            )
            # Whoever stays in the room they had (with its access applied) needs nothing done.
            await tx.execute(
                "UPDATE assignments SET access_set = 1 WHERE session_id = $1 AND round_number = $2 AND access_set = 0 "
                "AND EXISTS (SELECT 1 FROM assignments b WHERE b.session_id = assignments.session_id "
                "AND b.participant_id = assignments.participant_id AND b.round_number = $3 "
                "AND b.room_id = assignments.room_id AND b.access_set = 1)",
                (session_id, number, number - 1))
            # Whoever changed room: the room they join and the room they leave get their access
            # applied (one call each, bot/services/access.py), before the round counts as complete.
            await tx.execute(
                "UPDATE rooms SET access_stale = 1 WHERE session_id = $1 AND id IN ("
                "SELECT room_id FROM assignments WHERE session_id = $1 AND round_number = $2 AND access_set = 0 "
                "UNION SELECT b.room_id FROM assignments a JOIN assignments b "
                "ON b.session_id = a.session_id AND b.participant_id = a.participant_id AND b.round_number = $3 "
                "WHERE a.session_id = $1 AND a.round_number = $2 AND a.access_set = 0)",
                (session_id, number, number - 1))
            # Rounds moved early by a facilitator keep their full length: later steps are re-timed.
            await retime_pending(tx, session_id, later_steps)
            # The payload's round is read here, not in SQL, so the statement is the same on both backends.
            pending = await tx.fetch_all(
                "SELECT id, payload FROM scheduled_steps WHERE session_id = $1 AND kind = $2 AND status = 'pending'",
                (session_id, StepKind.ROUND.value))
            passed = [int(r[0]) for r in pending
                      if isinstance(at_round := json.loads(r[1]).get(ROUND), int) and at_round <= number]
            await tx.executemany(
                "UPDATE scheduled_steps SET status = 'skipped', finished_at = $1, note = 'round already started' "
                "WHERE id = $2", [(now, step_id) for step_id in passed])
        notify(self.db).cafe_changed(session_id)

    async def round_at(self, session_id: int, moment: datetime) -> int | None:
        """The round that was running at `moment` (for messages read back after a restart)."""
        row = await self.db.fetch_one(
            "SELECT MAX(number) FROM rounds WHERE session_id = $1 AND started_at IS NOT NULL AND started_at <= $2",
            (session_id, moment),
        )
        return int(row[0]) if row and row[0] is not None else None

    async def assignments(self, session_id: int, round_number: int) -> dict[int, int]:
        """participant id → room id for a round."""
        rows = await self.db.fetch_all(
            "SELECT participant_id, room_id FROM assignments WHERE session_id = $1 AND round_number = $2",
            (session_id, round_number),
        )
        return {r["participant_id"]: r["room_id"] for r in rows}

    async def assign(self, session_id: int, round_number: int, participant_id: int, room_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO assignments (session_id, round_number, participant_id, room_id) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (session_id, round_number, participant_id) DO UPDATE SET room_id = excluded.room_id",
                (session_id, round_number, participant_id, room_id),
            )
