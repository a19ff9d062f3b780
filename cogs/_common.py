"""What every cog shares: who may do what, replying safely, and the guild's settings.

Not an extension (the leading underscore keeps the loader off it): the cogs import it.
Role checks live here so that invariant 6 (only organisers export or purge; only facilitators
and organisers drive rounds) is one rule.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bot.core.errors import UserError
from bot.core.models import GuildConfig

if TYPE_CHECKING:
    from bot.bot import BletherBot

log = logging.getLogger(__name__)

SETUP_HINT = (
    "Blether isn't set up on this server yet. A server admin can run `/blether setup` to choose the organiser "
    "and facilitator roles, the hosts' channels and the time zone."
)


def blether(interaction: discord.Interaction) -> BletherBot:
    from bot.bot import BletherBot

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
    """Run a button or modal action; a failure goes to the error-handling extension to be answered."""
    try:
        await action()
    except Exception as exc:
        interaction.client.dispatch("component_error", interaction, exc)
