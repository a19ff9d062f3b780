"""Listeners that hand café-channel messages, edits and deletions to the capture service.

Raw events, because the message cache is empty after a restart and an edit or deletion of an
older message must still reach the store.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.bot import BletherBot
from bot.discord_chat import to_chat_message
from bot.services.capture import CaptureService


class Capture(commands.Cog):
    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @property
    def capture(self) -> CaptureService:
        return self.bot.services.capture

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot:
            return
        await self.capture.on_message(to_chat_message(message))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """The edited message as a whole, judged like any other sighting of it."""
        if payload.guild_id is None or "content" not in payload.data:
            return
        await self.capture.handle(to_chat_message(payload.message))

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        await self.capture.fall_behind()

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.capture.on_delete(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            await self.capture.on_delete(message_id)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BletherBot)
    await bot.add_cog(Capture(bot))
