"""What every cog shares: who may do what, replying safely, and the guild's settings.

Not an extension: the cogs import it. Role checks live here so that invariant 6 (only
organisers export or purge; only facilitators and organisers drive rounds) is one rule.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.models import GuildConfig
from bot.services.errors import UserError

if TYPE_CHECKING:
    from bot.discord_chat import BletherBot

log = logging.getLogger(__name__)

SORRY = ("Sorry, something went wrong on Blether's side. Please try again, and tell an organiser if it keeps "
         "happening.")
SETUP_HINT = (
    "Blether isn't set up on this server yet. A server admin can run `/blether setup` to choose the organiser "
    "and facilitator roles, the hosts' channels and the time zone."
)


def blether(interaction: discord.Interaction) -> BletherBot:
    from bot.discord_chat import BletherBot

    client = interaction.client
    assert isinstance(client, BletherBot)
    return client


async def guild_config(interaction: discord.Interaction) -> GuildConfig:
    if interaction.guild_id is None:
        raise UserError("This command works in a server, not in direct messages.")
    config = await blether(interaction).services.guilds.get(interaction.guild_id)
    if config is None:
        raise UserError(SETUP_HINT)
    return config


def _role_names(member: discord.abc.User) -> set[str]:
    return {role.name for role in getattr(member, "roles", [])}


def is_organiser(member: discord.abc.User, config: GuildConfig) -> bool:
    """The organiser role, or anyone who can manage the server."""
    permissions = getattr(member, "guild_permissions", None)
    return config.organiser_role in _role_names(member) or bool(permissions and permissions.manage_guild)


def is_facilitator(member: discord.abc.User, config: GuildConfig) -> bool:
    return config.facilitator_role in _role_names(member) or is_organiser(member, config)


async def require_organiser(interaction: discord.Interaction) -> GuildConfig:
    config = await guild_config(interaction)
    if not is_organiser(interaction.user, config):
        raise UserError(f"Only organisers can do this: people with the **{config.organiser_role}** role "
                        "or the Manage Server permission.")
    return config


async def require_facilitator(interaction: discord.Interaction) -> GuildConfig:
    config = await guild_config(interaction)
    if not is_facilitator(interaction.user, config):
        raise UserError(f"Only facilitators and organisers can do this: people with the "
                        f"**{config.facilitator_role}** or **{config.organiser_role}** role.")
    return config


async def reply(interaction: discord.Interaction, text: str, *, view: discord.ui.View | None = None,
                ephemeral: bool = True, file: discord.File | None = None,
                embed: discord.Embed | None = None) -> None:
    """Answer once, whether or not the interaction was already answered or deferred."""
    kwargs: dict[str, object] = {"ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if file is not None:
        kwargs["file"] = file
    if embed is not None:
        kwargs["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(text[:2000], **kwargs)  # type: ignore[arg-type]
    else:
        await interaction.response.send_message(text[:2000], **kwargs)  # type: ignore[arg-type]


async def safely(interaction: discord.Interaction, action: Callable[[], Awaitable[None]]) -> None:
    """Run a button or modal action: a UserError is shown as it is, anything else politely."""
    try:
        await action()
    except UserError as exc:
        await reply(interaction, str(exc))
    except Exception:
        log.exception("interaction %s failed", interaction.data)
        await reply(interaction, SORRY)


async def on_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """The tree's error handler: people see a sentence, never a traceback."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError):
        await reply(interaction, str(original))
    elif isinstance(error, app_commands.CheckFailure):
        await reply(interaction, "You don't have permission to use this command here.")
    else:
        log.error("command %s failed", interaction.command and interaction.command.qualified_name,
                  exc_info=original)
        await reply(interaction, SORRY)


class ErasableCog(commands.Cog):
    """A cog that writes personal data names its tables: its erasure hook deletes them.

    Red-DiscordBot's data-deletion pattern; the bot runs every cog's hook for an erasure
    request, and a test checks that together they cover every personal table.
    """

    personal_tables: tuple[str, ...] = ()

    async def erase_user_data(self, user_id: int) -> dict[str, int]:
        bot = self.bot  # type: ignore[attr-defined]
        erasure = await bot.services.privacy.erase_tables(user_id, self.personal_tables)
        return dict(erasure.rows)
