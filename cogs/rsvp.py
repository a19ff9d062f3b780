"""Answering an invitation: **I'll join** (then the consent choices), **Can't come**, and **Take my
place** under the DM that offers a waitlisted person a freed place."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.bot import BletherBot
from bot.core import cooldown
from bot.services.chat import OfferKind
from bot.services.rsvp import Rsvp
from cogs._common import add_buttons, blether, is_facilitator, pressed_too_soon, reply, safely
from cogs.consent import show_panel
from cogs.tables import offer_tables


def _coming(joined: Rsvp) -> str:
    prefix = f"You're on the list for café #{joined.session.id}. "
    return prefix + ("The café is under way: your breakout room is in the café's channel list."
                     if joined.seated else "You'll get a breakout room when the café opens.")


def _waiting(joined: Rsvp) -> str:
    return (f"Café #{joined.session.id} is full, so you're on its waitlist: number **{joined.position}**. If a place "
            "comes free I'll send you a direct message (or mention you by the invitation if your DMs are closed) "
            "with a button to take it. Press **Can't come** to leave the waitlist.")


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
            if joined.coming:
                await show_panel(interaction, self.session_id, prefix=_coming(joined))
                await offer_tables(interaction, self.session_id)
            else:
                await reply(interaction, _waiting(joined))

        await safely(interaction, act)


class CantComeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:cantcome:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Can't come", custom_id=f"blether:cantcome:{session_id}",
                                           style=discord.ButtonStyle.secondary))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> CantComeButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if await pressed_too_soon(interaction, "cant_come", self.session_id, cooldown.JOIN,
                                      "I've noted that you can't come."):
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            answered = await blether(interaction).services.rsvp.cant_come(self.session_id, interaction.user.id,
                                                                          interaction.guild_id)
            freed = " Your place goes to the next person waiting." if answered.freed else ""
            await reply(interaction, f"Thanks for letting us know: you're down as not coming to café "
                                     f"#{self.session_id}.{freed} If that changes, press **I'll join**.")

        await safely(interaction, act)


class TakePlaceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:take:(?P<session>\d+)"):
    """Under the offer of a held place (a DM, or the mention by the invitation)."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Take my place", custom_id=f"blether:take:{session_id}",
                                           style=discord.ButtonStyle.success))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> TakePlaceButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            taken = await blether(interaction).services.rsvp.take_place(self.session_id, interaction.user.id)
            await show_panel(interaction, self.session_id, prefix="The place is yours. " + _coming(taken))

        await safely(interaction, act)


class Rsvps(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_unload(self) -> None:
        """Going down (or reloading): show the last counts on the invitations now, not never."""
        assert isinstance(self.bot, BletherBot)
        await self.bot.services.rsvp.invitations.flush()


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, RsvpButton, CantComeButton, TakePlaceButton,
                offers={OfferKind.JOIN: RsvpButton, OfferKind.CANT_COME: CantComeButton,
                        OfferKind.TAKE_PLACE: TakePlaceButton})
    await bot.add_cog(Rsvps(bot))
