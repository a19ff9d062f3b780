"""`/blether setup`: per-server settings, chosen by a server admin; `/blether sync`: the bot's owner
registers the slash commands with Discord now."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.core.when import TimezoneError, valid_timezone
from cogs._common import Gate, admins_only, blether, gate_of, owner_only, reply, role_label

SYNC_SCOPES = [
    app_commands.Choice(name="Every server (global commands)", value="global"),
    app_commands.Choice(name="This server only (shows here at once; for trying commands out)", value="here"),
]


def describe_config(interaction: discord.Interaction, config: GuildConfig) -> str:
    def channel(channel_id: int | None) -> str:
        return f"<#{channel_id}>" if channel_id else "not set"

    return (
        "**Blether is set up on this server**\n"
        f"• Organiser role: {role_label(interaction, config.organiser_role_id)} (plus anyone with Manage Server)\n"
        f"• Facilitator role: {role_label(interaction, config.facilitator_role_id)}\n"
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
    @admins_only()
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
        assert interaction.guild_id is not None
        bot = blether(interaction)
        current = await bot.services.servers.config_for(interaction.guild_id)
        try:
            zone = valid_timezone((timezone or current.timezone).strip())
        except TimezoneError as exc:
            raise UserError(str(exc)) from exc
        guild = interaction.guild
        assert guild is not None
        named = current.named_roles or (None, None)
        organiser = _staff_role(guild, "organiser_role", organiser_role, current.organiser_role_id, named[0])
        facilitator = _staff_role(guild, "facilitator_role", facilitator_role, current.facilitator_role_id, named[1])
        if organiser == facilitator:
            raise UserError("The organiser and facilitator roles must be different roles.")
        config = GuildConfig(
            guild_id=interaction.guild_id,
            organiser_role_id=organiser,
            facilitator_role_id=facilitator,
            facilitators_channel_id=facilitators_channel.id if facilitators_channel
            else current.facilitators_channel_id,
            organisers_channel_id=organisers_channel.id if organisers_channel else current.organisers_channel_id,
            timezone=zone,
            retention_days=retention_days or current.retention_days,
        )
        await bot.services.servers.save(config, member.id)
        hints = hidden_from_roles(bot.tree, guild, {Gate.ORGANISERS: organiser, Gate.FACILITATORS: facilitator})
        await reply(interaction, "\n".join([describe_config(interaction, config), *hints]))

    @group.command(name="sync", description="Bot owner: register Blether's slash commands with Discord now")
    @app_commands.describe(scope="Every server (the default) or only this one")
    @app_commands.choices(scope=SYNC_SCOPES)
    @owner_only()
    async def sync(self, interaction: discord.Interaction, scope: str = "global") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id if scope == "here" else None
        outcome = await blether(interaction).command_sync.sync(guild_id, force=True)
        await reply(interaction, outcome.describe())


def hidden_from_roles(tree: app_commands.CommandTree[Any], guild: discord.Guild,
                      roles: dict[Gate, int]) -> list[str]:
    """What Discord will hide from the staff roles: a group's default permissions the role lacks,
    while the group holds commands for that role. Walked from the command tree, so a new group needs
    no change here. An admin's override in Server Settings → Integrations is not visible to the bot
    (reading it needs the admin's own authorisation), so this says "unless"."""
    hints: list[str] = []
    for top in tree.get_commands(guild=None):
        needed = getattr(top, "default_permissions", None)
        if not isinstance(top, app_commands.Group | app_commands.Command) or needed is None:
            continue
        leaves = [c for c in top.walk_commands() if isinstance(c, app_commands.Command)] \
            if isinstance(top, app_commands.Group) else [top]
        gates = {gate_of(command) for command in leaves}
        for gate, role_id in roles.items():
            role = guild.get_role(role_id)
            if gate not in gates or role is None or role.permissions.administrator or role.permissions >= needed:
                continue
            missing = ", ".join(name.replace("_", " ").title() for name, on in needed if on)
            hints.append(f"⚠️ Discord shows `/{top.name}` only to members with **{missing}**: give "
                         f"{_named(role)} that permission, or allow the role on `/{top.name}` in "
                         "Server Settings → Integrations → Blether (if you have, ignore this).")
    return hints


def _named(role: discord.Role) -> str:
    return f"**{discord.utils.escape_markdown(role.name)}**"


def _staff_role(guild: discord.Guild, option: str, given: discord.Role | None, kept: int | None,
                name: str | None) -> int:
    """The id of the role an admin chose; else the one already set, if it still exists; else the
    one role called by the old or default name (resolved here, once, while an admin is present).

    A role every member has cannot single anyone out: @everyone, and roles Discord manages
    (bots', boosters', integrations') are refused."""
    role = given or (guild.get_role(kept) if kept is not None else None)
    if role is None and name is not None:
        called = [r for r in guild.roles if r.name == name]
        if len(called) > 1:
            raise UserError(f"More than one role is called **{discord.utils.escape_markdown(name)}**: choose "
                            f"the right one in the `{option}` option.")
        role = called[0] if called else None
    if role is None:
        raise UserError(f"Choose a role in the `{option}` option (no role is set for it yet).")
    if role.is_default():
        raise UserError(f"`{option}` cannot be @everyone: every member has it, so it would give everyone "
                        "these powers. Choose a role only some people have.")
    if role.managed:
        raise UserError(f"`{option}` cannot be **{discord.utils.escape_markdown(role.name)}**: Discord manages "
                        "that role for a bot, boosters or an integration. Choose a role your admins give to people.")
    return role.id


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Setup(bot))
