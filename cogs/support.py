"""Support: **I need support** and `/support` for participants; **Claim** and **Resolved** for hosts.

The facilitators hear who asked, where and when (never what was said); the person gets the
signposting privately, whatever happened to the alert. Presses by one person within a few minutes
make one alert (the service decides, durably); the hosts' buttons check the role on every press.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.chat import OfferKind
from cogs._common import NotAllowed, add_buttons, blether, is_facilitator, reply, safely


class SupportButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:support:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I need support", custom_id=f"blether:support:{session_id}",
                                           style=discord.ButtonStyle.danger))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> SupportButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer = await blether(interaction).services.support.ask(
                self.session_id, interaction.user.id, interaction.channel_id, interaction.guild_id)
            await reply(interaction, answer.text)

        await safely(interaction, act)


async def hosts_only(interaction: discord.Interaction) -> None:
    """The alert sits in the hosts' channel, but a button is pressed by whoever sees it: check."""
    if interaction.guild_id is None:
        raise NotAllowed("This works in a server, not in direct messages.")
    config = await blether(interaction).services.servers.get(interaction.guild_id)
    if config is None or not is_facilitator(interaction.user, config):
        raise NotAllowed("Only facilitators and organisers can do this.")


class ClaimButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:alert:claim:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Claim: I'll reach out", custom_id=f"blether:alert:claim:{session_id}",
                                           style=discord.ButtonStyle.primary))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ClaimButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await hosts_only(interaction)
            assert interaction.message is not None
            await interaction.response.defer(ephemeral=True, thinking=True)
            said = await blether(interaction).services.support.claim(
                self.session_id, interaction.message.id, interaction.user.id, interaction.guild_id)
            await reply(interaction, said)

        await safely(interaction, act)


class ResolveButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"blether:alert:resolve:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Resolved", custom_id=f"blether:alert:resolve:{session_id}",
                                           style=discord.ButtonStyle.success))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ResolveButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await hosts_only(interaction)
            assert interaction.message is not None
            await interaction.response.defer(ephemeral=True, thinking=True)
            said = await blether(interaction).services.support.resolve(
                self.session_id, interaction.message.id, interaction.user.id, interaction.guild_id)
            await reply(interaction, said)

        await safely(interaction, act)


class Support(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="support", description="Support numbers, and a private way to ask a facilitator "
                                                      "for support (works in direct messages too)")
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def support(self, interaction: discord.Interaction) -> None:
        """Anyone, anywhere: the signposting privately; in a café's server, the **I need support** button too."""
        shown = await blether(interaction).services.support.signposting_for(
            interaction.user.id, interaction.channel_id, interaction.guild_id)
        view = None
        if shown.session_id is not None:
            view = discord.ui.View(timeout=None)
            view.add_item(SupportButton(shown.session_id))
        await reply(interaction, shown.text, view=view)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, SupportButton, ClaimButton, ResolveButton,
                offers={OfferKind.SUPPORT: SupportButton, OfferKind.SUPPORT_CLAIM: ClaimButton,
                        OfferKind.SUPPORT_RESOLVE: ResolveButton})
    await bot.add_cog(Support(bot))
