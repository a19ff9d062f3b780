"""What a café keeps about a person looking after themselves: their agreement to the ground rules
(kept beside the consent ledger, with the rules' fingerprint) and stepping out quietly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from bot.store.db import Tx
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows


class WellbeingRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "ground_rules_acks": ("participant_id",),
        "step_outs": ("participant_id",),
    }

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        counts: dict[str, int] = {}
        if person.participant_id is None:
            return counts
        in_scope, params = scope.sessions("session_id")
        for table in self.personal_columns:
            counts[table] = await tx.execute(f"DELETE FROM {table} WHERE participant_id = $1 AND {in_scope}",
                                             (person.participant_id, *params))
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        rows: Rows = {}
        if person.participant_id is None:
            return rows
        in_scope, params = scope.sessions("session_id")
        for table in self.personal_columns:
            found = await self.db.fetch_all(
                f"SELECT * FROM {table} WHERE participant_id = $1 AND {in_scope} ORDER BY session_id",
                (person.participant_id, *params),
            )
            rows[table] = [dict(r) for r in found]
        return rows

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        rows = await tx.fetch_all(
            "SELECT session_id FROM ground_rules_acks WHERE participant_id = $1 "
            "UNION SELECT session_id FROM step_outs WHERE participant_id = $1",
            (person.participant_id,),
        )
        return {int(r[0]) for r in rows}

    # -- ground rules --------------------------------------------------------------------------

    async def acknowledge(self, session_id: int, discord_user_id: int, rules_version: str) -> bool:
        """Record that the person agreed to these rules; False when they already had (the first stands)."""
        async with self.db.transaction() as tx:
            person = await PeopleRepo(self.db).ensure_participant(tx, discord_user_id)
            changed = await tx.execute(
                "INSERT INTO ground_rules_acks (session_id, participant_id, rules_version, acknowledged_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, participant_id) DO NOTHING",
                (session_id, person, rules_version, self.db.now()),
            )
            return changed == 1

    async def acknowledged(self, session_id: int, participant_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM ground_rules_acks WHERE session_id = $1 AND participant_id = $2",
            (session_id, participant_id))
        return row is not None

    async def acknowledged_by(self, session_id: int) -> set[int]:
        """Everyone (participant ids) who agreed to this café's ground rules."""
        rows = await self.db.fetch_all("SELECT participant_id FROM ground_rules_acks WHERE session_id = $1",
                                       (session_id,))
        return {int(r[0]) for r in rows}

    # -- stepping out --------------------------------------------------------------------------

    async def step_out(self, session_id: int, participant_id: int) -> bool:
        """The person is out of the café's rooms until they come back; False if they already were."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO step_outs (session_id, participant_id, stepped_out_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (session_id, participant_id) DO UPDATE SET stepped_out_at = excluded.stepped_out_at, "
                "returned_at = NULL WHERE step_outs.returned_at IS NOT NULL",
                (session_id, participant_id, self.db.now()),
            )
            return changed == 1

    async def come_back(self, session_id: int, participant_id: int) -> bool:
        """The person returns; False if they were not out."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE step_outs SET returned_at = $1 WHERE session_id = $2 AND participant_id = $3 "
                "AND returned_at IS NULL",
                (self.db.now(), session_id, participant_id),
            )
            return changed == 1

    async def stepped_out(self, session_id: int) -> set[int]:
        """Who (participant ids) is out of the café's rooms now: the floor grants them no room."""
        rows = await self.db.fetch_all(
            "SELECT participant_id FROM step_outs WHERE session_id = $1 AND returned_at IS NULL", (session_id,))
        return {int(r[0]) for r in rows}
