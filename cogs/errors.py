"""Error handling for slash commands and components, as one extension.

People see a sentence that says what to do, never a traceback; anything unexpected is logged
with the command's name only (never the interaction's payload, which holds people's words).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.services.chat import ChatError
from bot.services.steps import failure_reason
from cogs._common import Refusal, reply

log = logging.getLogger(__name__)

SORRY = ("Sorry, something went wrong on Blether's side. Please try again, and tell an organiser if it keeps "
         "happening.")


async def answer(interaction: discord.Interaction, error: BaseException) -> None:
    if isinstance(error, UserError | Refusal):
        await reply(interaction, str(error))
    elif isinstance(error, ChatError):
        # Discord refused something the command needed: say what, and which permission, never "Sorry".
        await reply(interaction, failure_reason(error))
    elif isinstance(error, app_commands.CheckFailure):
        await reply(interaction, str(error) or "You don't have permission to use this command here.")
    else:
        what = interaction.command.qualified_name if interaction.command else "a button or form"
        log.error("%s failed", what, exc_info=error)
        await reply(interaction, SORRY)


class ErrorHandler(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]  # the tree's documented hook

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]  # the tree's documented hook

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        original: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            original = error.original
        elif isinstance(error, app_commands.TransformerError) and error.__cause__ is not None:
            original = error.__cause__
        await answer(interaction, original)

    @commands.Cog.listener()
    async def on_component_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await answer(interaction, error)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
