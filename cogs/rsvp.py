"""**I'll join** on a café's invitation: the RSVP, then the person's consent choices."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.core import cooldown
from bot.services.chat import OfferKind
from cogs._common import add_buttons, blether, is_facilitator, pressed_too_soon, safely
from cogs.consent import show_panel
from cogs.tables import offer_tables


class RsvpButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:rsvp:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I'll join", custom_id=f"blether:rsvp:{session_id}",
                                           style=discord.ButtonStyle.success))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> RsvpButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if await pressed_too_soon(interaction, "rsvp", self.session_id, cooldown.JOIN,
                                      "You're already on the list for this café."):
                return
            # Joining waits for a step in progress (the rooms being made), which can outlast
            # Discord's three seconds to answer.
            await interaction.response.defer(ephemeral=True, thinking=True)
            services = blether(interaction).services
            # A facilitator who joins offers to host a table (the opening picks one per room).
            can_host = interaction.guild_id is not None and is_facilitator(
                interaction.user, await services.servers.config_for(interaction.guild_id))
            joined = await services.rsvp.rsvp(self.session_id, interaction.user.id, interaction.guild_id,
                                              can_host=can_host)
            prefix = f"You're on the list for café #{joined.session.id}. "
            prefix += ("The café is under way: your breakout room is in the café's channel list."
                       if joined.seated else "You'll get a breakout room when the café opens.")
            await show_panel(interaction, self.session_id, prefix=prefix)
            await offer_tables(interaction, self.session_id)

        await safely(interaction, act)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, RsvpButton, offers={OfferKind.JOIN: RsvpButton})
