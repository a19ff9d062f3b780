"""Ground rules and the record: **I agree to the ground rules** for participants, and the
**Remove from the record** message menu for facilitators."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.chat import OfferKind
from cogs._common import add_buttons, blether, facilitators_only, reply, safely


class GroundRulesButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:rules:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I agree to the ground rules", custom_id=f"blether:rules:{session_id}",
                                           style=discord.ButtonStyle.success))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> GroundRulesButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            done = await blether(interaction).services.wellbeing.acknowledge_rules(
                self.session_id, interaction.user.id, interaction.guild_id)
            said = "Thank you: you've agreed to the ground rules." if done.first_time \
                else "You had already agreed to the ground rules; nothing changed."
            await reply(interaction, f"{said} `/mydata` shows it.")

        await safely(interaction, act)


@facilitators_only()
async def remove_from_record(interaction: discord.Interaction, message: discord.Message) -> None:
    """Facilitators only (the check runs first): the words leave the store; the message stays."""
    removed = await blether(interaction).services.wellbeing.remove_from_record(
        message.id, interaction.user.id, interaction.guild_id or 0)
    if removed is None:
        await reply(interaction, "Blether keeps nothing of this message, so there was nothing to remove.")
        return
    await reply(interaction, f"Contribution {removed} is out of the record: it is gone from Blether's store and "
                             "from every export made from now on (the removal is audited, without the words). "
                             "The message itself is still in the channel; Discord's own moderation deals with it.")


class Wellbeing(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Remove from the record", callback=remove_from_record)
        self.menu.guild_only = True
        self.menu.default_permissions = discord.Permissions(manage_messages=True)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, GroundRulesButton, offers={OfferKind.GROUND_RULES: GroundRulesButton})
    await bot.add_cog(Wellbeing(bot))
