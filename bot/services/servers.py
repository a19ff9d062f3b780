"""A server's Blether settings: read with the host's defaults behind them, saved with an audit line."""

from __future__ import annotations

from bot.core.models import GuildConfig
from bot.store.audit import AuditRepo
from bot.store.guilds import GuildRepo


class ServerSettings:
    def __init__(self, guilds: GuildRepo, audit: AuditRepo, defaults: GuildConfig) -> None:
        self.guilds = guilds
        self.audit = audit
        # guild_id 0: the host's defaults, copied for a server that never ran setup.
        self._defaults = defaults

    async def get(self, guild_id: int) -> GuildConfig | None:
        """The server's own settings, or None until `/blether setup` has run there."""
        return await self.guilds.get(guild_id)

    async def config_for(self, guild_id: int) -> GuildConfig:
        """The server's settings, or the host's defaults (a timer step must still run)."""
        return await self.guilds.get(guild_id) or self.defaults(guild_id)

    def defaults(self, guild_id: int) -> GuildConfig:
        d = self._defaults
        return GuildConfig(guild_id=guild_id, organiser_role_id=None, facilitator_role_id=None,
                           facilitators_channel_id=None, organisers_channel_id=None, timezone=d.timezone,
                           retention_days=d.retention_days, named_roles=d.named_roles)

    async def save(self, config: GuildConfig, actor_id: int) -> None:
        await self.guilds.save(config)
        await self.audit.record(config.guild_id, None, actor_id, "setup", "")
