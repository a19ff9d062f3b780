"""**I need support**: the facilitators hear where and when (never what was said), and the
person gets the signposting privately, whatever happened to the alert."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.core import cooldown
from bot.services.chat import OfferKind
from cogs._common import add_buttons, blether, pressed_too_soon, reply, safely


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
            if await pressed_too_soon(interaction, "support", self.session_id, cooldown.SUPPORT,
                                      "The facilitators were told a moment ago that you asked for support; "
                                      "someone will reach out to you privately."):
                return
            answer = await blether(interaction).services.support.ask(
                self.session_id, interaction.user.id, interaction.channel_id, interaction.guild_id)
            await reply(interaction, answer.text)

        await safely(interaction, act)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, SupportButton, offers={OfferKind.SUPPORT: SupportButton})
