"""Per-server settings and the secrets Blether generates for itself."""

from __future__ import annotations

import secrets

from bot.core.models import GuildConfig
from bot.store.db import Database, db_int_opt


class GuildRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, guild_id: int) -> GuildConfig | None:
        row = await self.db.fetch_one("SELECT * FROM guild_config WHERE guild_id = $1", (guild_id,))
        if row is None:
            return None
        return GuildConfig(
            guild_id=int(row["guild_id"]),
            organiser_role_id=_opt_int(row["organiser_role_id"]),
            facilitator_role_id=_opt_int(row["facilitator_role_id"]),
            facilitators_channel_id=_opt_int(row["facilitators_channel_id"]),
            organisers_channel_id=_opt_int(row["organisers_channel_id"]),
            timezone=row["timezone"],
            retention_days=int(row["retention_days"]),
            named_roles=(row["legacy_organiser_role"], row["legacy_facilitator_role"])
            if row["legacy_organiser_role"] is not None and row["legacy_facilitator_role"] is not None else None,
        )

    async def save(self, config: GuildConfig) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                """
                INSERT INTO guild_config (guild_id, organiser_role_id, facilitator_role_id, legacy_organiser_role,
                                          legacy_facilitator_role, facilitators_channel_id,
                                          organisers_channel_id, timezone, retention_days, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (guild_id) DO UPDATE SET
                    organiser_role_id = excluded.organiser_role_id,
                    facilitator_role_id = excluded.facilitator_role_id,
                    legacy_organiser_role = excluded.legacy_organiser_role,
                    legacy_facilitator_role = excluded.legacy_facilitator_role,
                    facilitators_channel_id = excluded.facilitators_channel_id,
                    organisers_channel_id = excluded.organisers_channel_id,
                    timezone = excluded.timezone,
                    retention_days = excluded.retention_days,
                    updated_at = excluded.updated_at
                """,
                (
                    config.guild_id,
                    config.organiser_role_id,
                    config.facilitator_role_id,
                    config.named_roles[0] if config.named_roles else None,
                    config.named_roles[1] if config.named_roles else None,
                    config.facilitators_channel_id,
                    config.organisers_channel_id,
                    config.timezone,
                    config.retention_days,
                    self.db.now(),
                ),
            )

    async def all(self) -> list[GuildConfig]:
        rows = await self.db.fetch_all("SELECT guild_id FROM guild_config")
        configs = [await self.get(int(r["guild_id"])) for r in rows]
        return [c for c in configs if c is not None]


async def pseudonym_key(db: Database, configured: str | None) -> bytes:
    """The key pseudonyms are made with: from settings, else generated once and kept."""
    if configured:
        return bytes.fromhex(configured)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO app_secrets (name, value) VALUES ('pseudonym_key', $1) ON CONFLICT (name) DO NOTHING",
            (secrets.token_hex(32),),
        )
    row = await db.fetch_one("SELECT value FROM app_secrets WHERE name = 'pseudonym_key'")
    assert row is not None
    return bytes.fromhex(row["value"])


_opt_int = db_int_opt
