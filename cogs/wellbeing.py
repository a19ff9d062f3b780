"""Looking after people: **I agree to the ground rules**, **I need longer** and **Step out quietly**
(with **Come back**) for participants; **Extend 5 minutes** and the **Remove from the record**
message menu for facilitators."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import cooldown
from bot.services.chat import OfferKind
from cogs._common import add_buttons, blether, facilitators_only, pressed_too_soon, reply, safely
from cogs.support import hosts_only


class _CafeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:wellbeing-base:(?P<session>\d+)"):
    """A button of one café: `prefix` and `label` say which."""

    prefix = "wellbeing-base"
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label=self.label, custom_id=f"blether:{self.prefix}:{session_id}",
                                           style=self.style))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> Any:
        return cls(int(match["session"]))


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


class NeedLongerButton(_CafeButton, template=r"blether:longer:(?P<session>\d+)"):
    prefix, label = "longer", "I need longer"

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if await pressed_too_soon(interaction, "longer", self.session_id, cooldown.NEED_LONGER,
                                      "The facilitators already know you'd like more time."):
                return
            told = await blether(interaction).services.wellbeing.need_longer(
                self.session_id, interaction.channel_id, interaction.guild_id)
            await reply(interaction, "The facilitators have been told, privately, that someone here would like more "
                                     "time; they can extend the round." if told else
                        "I couldn't reach the facilitators just now: please ask one of them directly.")

        await safely(interaction, act)


class StepOutButton(_CafeButton, template=r"blether:stepout:(?P<session>\d+)"):
    prefix, label = "stepout", "Step out quietly"

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            out = await blether(interaction).services.wellbeing.step_out(
                self.session_id, interaction.user.id, interaction.guild_id)
            said = "You've stepped out. Nobody else was told." if out.first_time else "You had already stepped out."
            back = "I've sent you a direct message with **Come back**: press it when you're ready." \
                if out.way_back_sent else ("Your direct messages are closed, so I couldn't send you the way back: "
                                           "ask a facilitator to let you back in when you're ready.")
            await reply(interaction, f"{said} Take the time you need. {back} `/support` has the support numbers.")

        await safely(interaction, act)


class ComeBackButton(_CafeButton, template=r"blether:comeback:(?P<session>\d+)"):
    prefix, label, style = "comeback", "Come back", discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            channel = await blether(interaction).services.wellbeing.come_back(
                self.session_id, interaction.user.id, interaction.guild_id)
            await reply(interaction, f"Welcome back: <#{channel}> is open to you again." if channel is not None
                        else "Welcome back. The café has no room for you right now (it may have closed).")

        await safely(interaction, act)


class ExtendButton(_CafeButton, template=r"blether:extend:(?P<session>\d+)"):
    prefix, label, style = "extend", "Extend 5 minutes", discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await hosts_only(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            said = await blether(interaction).services.wellbeing.extend(
                self.session_id, interaction.user.id, interaction.guild_id)
            await reply(interaction, said)

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
    add_buttons(bot, GroundRulesButton, NeedLongerButton, StepOutButton, ComeBackButton, ExtendButton,
                offers={OfferKind.GROUND_RULES: GroundRulesButton, OfferKind.NEED_LONGER: NeedLongerButton,
                        OfferKind.STEP_OUT: StepOutButton, OfferKind.COME_BACK: ComeBackButton,
                        OfferKind.EXTEND_ROUND: ExtendButton})
    await bot.add_cog(Wellbeing(bot))
