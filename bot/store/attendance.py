"""Where a person sat in each round, whether they offered to host or hosted a table, and when they
called for support: the rows a café keeps about a person being there (written by the session's round
start, the join button, the opening and the support button)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.store.db import Row, Tx, db_int_opt, db_time, db_time_opt
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows, hide


@dataclass(frozen=True)
class SupportRequest:
    """A support request as kept: no words, only who, where, when, and who answered."""

    id: int
    session_id: int
    room_id: int | None
    participant_id: int
    created_at: datetime
    claimed_by: int | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    alert_channel_id: int | None
    alert_message_id: int | None
    raised_at: datetime | None
    raised_channel_id: int | None
    raised_message_id: int | None

    @property
    def posts(self) -> list[tuple[int, int]]:
        """(channel, message) of every hosts' post that carries this alert."""
        found = [(self.alert_channel_id, self.alert_message_id), (self.raised_channel_id, self.raised_message_id)]
        return [(c, m) for c, m in found if c is not None and m is not None]


def _request(row: Row) -> SupportRequest:
    return SupportRequest(
        id=int(row["id"]), session_id=int(row["session_id"]), room_id=db_int_opt(row["room_id"]),
        participant_id=int(row["participant_id"]), created_at=db_time(row["created_at"]),
        claimed_by=db_int_opt(row["handled_by"]), claimed_at=db_time_opt(row["handled_at"]),
        resolved_at=db_time_opt(row["resolved_at"]), alert_channel_id=db_int_opt(row["alert_channel_id"]),
        alert_message_id=db_int_opt(row["alert_message_id"]), raised_at=db_time_opt(row["raised_at"]),
        raised_channel_id=db_int_opt(row["raised_channel_id"]), raised_message_id=db_int_opt(row["raised_message_id"]),
    )


class AttendanceRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assignments": ("participant_id",),
        "support_requests": ("participant_id", "handled_by"),
        "host_offers": ("participant_id",),
        "room_hosts": ("participant_id",),
        "table_choices": ("participant_id",),
        "table_wishes": ("discord_user_id", "other_discord_id"),
    }
    _OWN_TABLES: ClassVar[tuple[str, ...]] = ("assignments", "support_requests", "host_offers", "room_hosts",
                                              "table_choices")

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """Their seats and calls go; a call they answered as a host stays, without their name."""
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        if person.participant_id is not None:
            for table in self._OWN_TABLES:
                counts[table] = await tx.execute(
                    f"DELETE FROM {table} WHERE participant_id = $1 AND {in_scope}", (person.participant_id, *params)
                )
        counts["support_requests.handled_by"] = await tx.execute(
            f"UPDATE support_requests SET handled_by = NULL WHERE handled_by = $1 AND {in_scope}",
            (person.discord_user_id, *params),
        )
        counts["table_wishes"] = await tx.execute(
            f"DELETE FROM table_wishes WHERE (discord_user_id = $1 OR other_discord_id = $1) AND {in_scope}",
            (person.discord_user_id, *params),
        )
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        """Their own calls show that a host answered, not which one; calls they answered show that
        a participant called, not which one."""
        in_scope, params = scope.sessions("session_id")
        rows: Rows = {}
        if person.participant_id is not None:
            for table in self._OWN_TABLES:
                found = await self.db.fetch_all(
                    f"SELECT * FROM {table} WHERE participant_id = $1 AND {in_scope} ORDER BY session_id",
                    (person.participant_id, *params),
                )
                rows[table] = [hide(dict(r), "handled_by", "a host") for r in found]
        answered = await self.db.fetch_all(
            f"SELECT * FROM support_requests WHERE handled_by = $1 AND {in_scope} ORDER BY id",
            (person.discord_user_id, *params),
        )
        if answered:
            rows["support_requests_as_host"] = [hide(dict(r), "participant_id", "a participant") for r in answered]
        wishes = await self.db.fetch_all(
            f"SELECT * FROM table_wishes WHERE (discord_user_id = $1 OR other_discord_id = $1) AND {in_scope} "
            "ORDER BY id", (person.discord_user_id, *params),
        )
        if wishes:  # the other person in a pair is someone else: shown as such, never by id
            rows["table_wishes"] = [
                {**dict(r), **{k: "someone else" for k in ("discord_user_id", "other_discord_id")
                               if r[k] is not None and r[k] != person.discord_user_id}} for r in wishes]
        return rows

    async def record_support_request(self, session_id: int, room_id: int | None, discord_user_id: int) -> int:
        """Someone asked for support: who, where and when — never what they said."""
        async with self.db.transaction() as tx:
            person = await PeopleRepo(self.db).ensure_participant(tx, discord_user_id)
            row = await tx.fetch_one(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at) "
                "VALUES ($1, $2, $3, $4) RETURNING id",
                (session_id, room_id, person, self.db.now()),
            )
            assert row is not None
            return int(row[0])

    async def open_request_since(self, session_id: int, discord_user_id: int, since: datetime) -> SupportRequest | None:
        """The person's latest unresolved request in this café made at or after `since`."""
        row = await self.db.fetch_one(
            "SELECT s.* FROM support_requests s JOIN participants p ON p.id = s.participant_id "
            "WHERE s.session_id = $1 AND p.discord_user_id = $2 AND s.resolved_at IS NULL AND s.created_at >= $3 "
            "ORDER BY s.id DESC LIMIT 1",
            (session_id, discord_user_id, since),
        )
        return _request(row) if row is not None else None

    async def support_request(self, request_id: int) -> SupportRequest | None:
        row = await self.db.fetch_one("SELECT * FROM support_requests WHERE id = $1", (request_id,))
        return _request(row) if row is not None else None

    async def request_by_post(self, session_id: int, message_id: int) -> SupportRequest | None:
        """The request whose alert (to the facilitators, or raised to the organisers) is this message."""
        row = await self.db.fetch_one(
            "SELECT * FROM support_requests "
            "WHERE session_id = $1 AND (alert_message_id = $2 OR raised_message_id = $2)",
            (session_id, message_id),
        )
        return _request(row) if row is not None else None

    async def set_alert_post(self, request_id: int, channel_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE support_requests SET alert_channel_id = $1, alert_message_id = $2 WHERE id = $3",
                (channel_id, message_id, request_id),
            )

    async def set_raised(self, request_id: int, channel_id: int | None, message_id: int | None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE support_requests SET raised_at = $1, raised_channel_id = $2, raised_message_id = $3 "
                "WHERE id = $4",
                (self.db.now(), channel_id, message_id, request_id),
            )

    async def claim(self, request_id: int, actor_id: int) -> bool:
        """Claim an unclaimed request; False when someone already has (the first claim stands)."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE support_requests SET handled_by = $1, handled_at = $2 WHERE id = $3 AND handled_by IS NULL",
                (actor_id, self.db.now(), request_id),
            )
            return changed == 1

    async def resolve(self, request_id: int) -> bool:
        """Close a request; False when it was already resolved."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE support_requests SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL",
                (self.db.now(), request_id),
            )
            return changed == 1

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all(
            "SELECT session_id FROM assignments WHERE participant_id = $1 "
            "UNION SELECT session_id FROM support_requests WHERE participant_id = $1 "
            "UNION SELECT session_id FROM host_offers WHERE participant_id = $1 "
            "UNION SELECT session_id FROM room_hosts WHERE participant_id = $1 "
            "UNION SELECT session_id FROM table_choices WHERE participant_id = $1 "
            "UNION SELECT session_id FROM table_wishes WHERE discord_user_id = $2 OR other_discord_id = $2",
            (person.participant_id, person.discord_user_id),
        )
        return {int(r[0]) for r in rows}

    async def offer_to_host(self, session_id: int, participant_id: int) -> None:
        """A facilitator said yes: they may host a table (once, however often they press)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO host_offers (session_id, participant_id, offered_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (session_id, participant_id) DO NOTHING",
                (session_id, participant_id, self.db.now()),
            )

    async def host_offers(self, session_id: int) -> list[int]:
        """Who offered to host, first offer first."""
        rows = await self.db.fetch_all(
            "SELECT participant_id FROM host_offers WHERE session_id = $1 ORDER BY offered_at, participant_id",
            (session_id,),
        )
        return [int(r["participant_id"]) for r in rows]

    async def hosts(self, session_id: int) -> dict[int, int]:
        """Room id → the participant hosting it."""
        rows = await self.db.fetch_all(
            "SELECT room_id, participant_id FROM room_hosts WHERE session_id = $1", (session_id,))
        return {int(r["room_id"]): int(r["participant_id"]) for r in rows}

    async def choose_table(self, session_id: int, participant_id: int, table_number: int) -> None:
        """A person's table choice; choosing again replaces it (and keeps their place in the queue
        only if it is the same table)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO table_choices (session_id, participant_id, table_number, chosen_at) "
                "VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (session_id, participant_id) DO UPDATE SET table_number = excluded.table_number, "
                "chosen_at = excluded.chosen_at WHERE table_choices.table_number <> excluded.table_number",
                (session_id, participant_id, table_number, self.db.now()),
            )

    async def table_choices(self, session_id: int) -> list[tuple[int, int]]:
        """(participant, table number) in the order people chose: first come, first seated."""
        rows = await self.db.fetch_all(
            "SELECT participant_id, table_number FROM table_choices WHERE session_id = $1 "
            "ORDER BY chosen_at, participant_id", (session_id,))
        return [(int(r["participant_id"]), int(r["table_number"])) for r in rows]

    async def replace_wishes(self, session_id: int, seats: Sequence[tuple[int, int, bool]],
                             pairs: Sequence[tuple[str, int, int]]) -> None:
        """The organiser's pre-assignment, replacing the café's previous one in one write: seats are
        (Discord id, table number, hosts it), pairs ("apart" or "together", Discord id, Discord id)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM table_wishes WHERE session_id = $1", (session_id,))
            await tx.executemany(
                "INSERT INTO table_wishes (session_id, kind, discord_user_id, table_number, host) "
                "VALUES ($1, 'seat', $2, $3, $4)", [(session_id, who, table, int(host)) for who, table, host in seats])
            await tx.executemany(
                "INSERT INTO table_wishes (session_id, kind, discord_user_id, other_discord_id) "
                "VALUES ($1, $2, $3, $4)",
                [(session_id, kind, a, b) for kind, a, b in pairs])

    async def wishes(self, session_id: int) -> list[tuple[str, int, int | None, bool, int | None]]:
        """(kind, Discord id, table number, hosts, other Discord id), as uploaded."""
        rows = await self.db.fetch_all(
            "SELECT kind, discord_user_id, table_number, host, other_discord_id FROM table_wishes "
            "WHERE session_id = $1 ORDER BY id", (session_id,))
        return [(str(r["kind"]), int(r["discord_user_id"]),
                 None if r["table_number"] is None else int(r["table_number"]), bool(r["host"]),
                 None if r["other_discord_id"] is None else int(r["other_discord_id"])) for r in rows]
