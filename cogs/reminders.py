"""**Stop reminding me** under each reminder DM: for this café, or for every café on its server."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.services.chat import OfferKind
from cogs._common import add_buttons, blether, reply, safely


class StopButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"blether:remind:(?P<scope>cafe|server):(?P<session>\d+)"):
    def __init__(self, session_id: int, whole_server: bool = False) -> None:
        scope = "server" if whole_server else "cafe"
        label = "Stop reminding me (every café here)" if whole_server else "Stop reminding me"
        super().__init__(discord.ui.Button(label=label, custom_id=f"blether:remind:{scope}:{session_id}",
                                           style=discord.ButtonStyle.secondary))
        self.session_id = session_id
        self.whole_server = whole_server

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> StopButton:
        return cls(int(match["session"]), match["scope"] == "server")

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            said = await blether(interaction).services.reminders.stop(
                self.session_id, interaction.user.id, whole_server=self.whole_server)
            await reply(interaction, said)

        await safely(interaction, act)


def _server_stop(session_id: int) -> StopButton:
    return StopButton(session_id, whole_server=True)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, StopButton, offers={OfferKind.STOP_REMINDERS: StopButton,
                                         OfferKind.STOP_SERVER_REMINDERS: _server_stop})
