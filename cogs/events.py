"""Discord's events list: someone who marks a café's event Interested is offered the RSVP button.

Discord sends GUILD_SCHEDULED_EVENT_USER_ADD only with the Guild Scheduled Events intent, and
discord.py passes it on only for a user it has cached (with the Server Members intent, everyone;
without it, people the bot has recently seen). The offer is a convenience: the invitation's
buttons stay the only way to say yes.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.bot import BletherBot


class Events(commands.Cog):
    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_scheduled_event_user_add(self, event: discord.ScheduledEvent, user: discord.User) -> None:
        if user.bot:
            return
        await self.bot.services.events.interested(event.guild_id, event.id, user.id)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BletherBot)
    await bot.add_cog(Events(bot))
