"""`/blether setup`: per-server settings, chosen by a server admin."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.core.when import TimezoneError, valid_timezone
from cogs._common import blether, reply


def describe_config(config: GuildConfig) -> str:
    def channel(channel_id: int | None) -> str:
        return f"<#{channel_id}>" if channel_id else "not set"

    return (
        "**Blether is set up on this server**\n"
        f"• Organiser role: **{config.organiser_role}** (plus anyone with Manage Server)\n"
        f"• Facilitator role: **{config.facilitator_role}**\n"
        f"• Facilitators' channel (support calls): {channel(config.facilitators_channel_id)}\n"
        f"• Organisers' channel (exports): {channel(config.organisers_channel_id)}\n"
        f"• Time zone: **{config.timezone}**\n"
        f"• Contributions kept for **{config.retention_days} days** after each café\n"
        "Run `/blether setup` again to change any of these."
    )


class Setup(commands.Cog):
    group = app_commands.Group(name="blether", description="Set Blether up on this server",
                               default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @group.command(name="setup", description="Choose the roles, hosts' channels and time zone for cafés")
    @app_commands.describe(
        organiser_role="Who schedules cafés, exports and purges",
        facilitator_role="Who hosts rooms and moves rounds on",
        facilitators_channel="Where support calls go",
        organisers_channel="Where exports are posted",
        timezone="IANA time zone for showing times, e.g. Europe/London",
        retention_days="How long contributions are kept after a café (days)",
    )
    async def setup(
        self,
        interaction: discord.Interaction,
        organiser_role: discord.Role | None = None,
        facilitator_role: discord.Role | None = None,
        facilitators_channel: discord.TextChannel | None = None,
        organisers_channel: discord.TextChannel | None = None,
        timezone: str | None = None,
        retention_days: app_commands.Range[int, 1, 3650] | None = None,
    ) -> None:
        member = interaction.user
        if not (isinstance(member, discord.Member) and member.guild_permissions.manage_guild):
            raise UserError("Only server admins (Manage Server permission) can set Blether up.")
        assert interaction.guild_id is not None
        bot = blether(interaction)
        current = await bot.services.servers.config_for(interaction.guild_id)
        try:
            zone = valid_timezone((timezone or current.timezone).strip())
        except TimezoneError as exc:
            raise UserError(str(exc)) from exc
        organiser = organiser_role.name if organiser_role else current.organiser_role
        facilitator = facilitator_role.name if facilitator_role else current.facilitator_role
        if organiser == facilitator:
            raise UserError("The organiser and facilitator roles must be different roles.")
        config = GuildConfig(
            guild_id=interaction.guild_id,
            organiser_role=organiser,
            facilitator_role=facilitator,
            facilitators_channel_id=facilitators_channel.id if facilitators_channel
            else current.facilitators_channel_id,
            organisers_channel_id=organisers_channel.id if organisers_channel else current.organisers_channel_id,
            timezone=zone,
            retention_days=retention_days or current.retention_days,
        )
        await bot.services.servers.save(config, member.id)
        await reply(interaction, describe_config(config))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Setup(bot))
