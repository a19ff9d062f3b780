"""Where a person sat in each round, whether they offered to host or hosted a table, and when they
called for support: the rows a café keeps about a person being there (written by the session's round
start, the join button, the opening and the support button)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from bot.store.db import Tx
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows, hide


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
