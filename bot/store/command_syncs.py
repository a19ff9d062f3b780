"""When the slash commands were last accepted by Discord, and what they were (as a hash).

Start-up compares the commands it has with the hash here and syncs only when they differ, so a
restart does not spend Discord's daily allowance of command creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database, db_time

#: The scope of global commands (every server); a server's scope is its id.
GLOBAL_SCOPE = 0


@dataclass(frozen=True)
class LastSync:
    payload_hash: str
    commands: int
    synced_at: datetime


class CommandSyncRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def last(self, application_id: int, scope: int) -> LastSync | None:
        row = await self.db.fetch_one(
            "SELECT payload_hash, commands, synced_at FROM command_syncs WHERE application_id = $1 AND scope = $2",
            (application_id, scope),
        )
        if row is None:
            return None
        return LastSync(row["payload_hash"], int(row["commands"]), db_time(row["synced_at"]))

    async def record(self, application_id: int, scope: int, payload_hash: str, commands: int) -> None:
        """Called only after Discord accepted the commands: a refused sync leaves the last good one."""
        async with self.db.transaction() as tx:
            await tx.execute(
                """
                INSERT INTO command_syncs (application_id, scope, payload_hash, commands, synced_at)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (application_id, scope) DO UPDATE SET
                    payload_hash = excluded.payload_hash,
                    commands = excluded.commands,
                    synced_at = excluded.synced_at
                """,
                (application_id, scope, payload_hash, commands, self.db.now()),
            )
