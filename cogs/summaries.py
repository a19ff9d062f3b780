"""Room summaries and key points in chat.

**Write the summary** is a persistent button on the message each room gets when a round ends; it
opens a form that shows the summary so far. A facilitator marks a key point with the message
command **Mark as key point** (which then offers the plan's themes and an unmark button) or with a
📌 reaction. Who may do what is decided by the services (`SummaryService.may_write`) and the
server's facilitator role, checked here as everywhere: by role id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import BletherBot
from bot.core.errors import UserError
from bot.core.models import GuildConfig
from bot.services.chat import OfferKind
from bot.services.summaries import FACILITATOR, MAX_SUMMARY, ORGANISER, KeyPoint, SummaryDraft
from cogs._common import (
    SETUP_HINT,
    NotAllowed,
    add_buttons,
    blether,
    config_of,
    facilitators_only,
    is_facilitator,
    is_organiser,
    reply,
    safely,
)

log = logging.getLogger(__name__)

#: Discord's limits: a modal title and an input label up to 45 characters, 25 options in a select.
MODAL_TITLE = 45
SELECT_OPTIONS = 25
PIN = "📌"
KEY_POINT_COMMAND = "Mark as key point"
NO_THEME = "-"


async def _config(interaction: discord.Interaction) -> GuildConfig:
    if interaction.guild_id is None:
        raise NotAllowed("This works in a server, not in direct messages.")
    config = await blether(interaction).services.servers.get(interaction.guild_id)
    if config is None:
        raise NotAllowed(SETUP_HINT)
    return config


def _role(member: discord.abc.User, config: GuildConfig) -> str:
    """How a writer or marker is kept: as their role, never as a person."""
    return ORGANISER if is_organiser(member, config) else FACILITATOR


async def _facilitator(interaction: discord.Interaction) -> GuildConfig:
    """A component's role check: the same rule as `facilitators_only` for commands."""
    config = await _config(interaction)
    if not is_facilitator(interaction.user, config):
        raise NotAllowed("Only facilitators and organisers can mark key points.")
    return config


# -- summaries ---------------------------------------------------------------------------------


class SummaryModal(discord.ui.Modal):
    """The room's summary of a round, opened with the text so far."""

    def __init__(self, session_id: int, offer_message_id: int, draft: SummaryDraft) -> None:
        super().__init__(title=f"Summary: {draft.room.name}, round {draft.round_number}"[:MODAL_TITLE],
                         custom_id=f"blether:summary-form:{session_id}:{offer_message_id}", timeout=30 * 60)
        self.session_id = session_id
        self.offer_message_id = offer_message_id
        self.text: discord.ui.TextInput[SummaryModal] = discord.ui.TextInput(
            label="The thread of the room's conversation", style=discord.TextStyle.paragraph,
            custom_id="summary", max_length=MAX_SUMMARY, required=True, default=draft.text or None,
            placeholder="A few sentences on what people talked about. No names, please.",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            # The café's lock may be held by a round moving on: answer Discord first.
            await interaction.response.defer(ephemeral=True, thinking=True)
            config = await _config(interaction)
            saved = await blether(interaction).services.summaries.save(
                self.session_id, interaction.guild_id or 0, self.offer_message_id, interaction.user.id,
                is_facilitator=is_facilitator(interaction.user, config), role=_role(interaction.user, config),
                text=self.text.value)
            room = saved.draft.room.name
            where = "It is now in the lobby." if saved.posted else "It will be shared in the lobby at the plenary."
            done = "updated" if saved.edited else "saved"
            await reply(interaction, f"The summary of {room}, round {saved.draft.round_number}, is {done}. {where}")

        await safely(interaction, act)


class WriteSummaryButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                         template=r"blether:summary:(?P<session>\d+)"):
    """On the message a room gets when a round ends; the message says which room and round."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Write the summary", emoji="📝", style=discord.ButtonStyle.primary,
                                           custom_id=f"blether:summary:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> WriteSummaryButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            config = await _config(interaction)
            assert interaction.message is not None, "a button is always on a message"
            draft = await blether(interaction).services.summaries.draft(
                self.session_id, interaction.guild_id or 0, interaction.message.id, interaction.user.id,
                is_facilitator(interaction.user, config))
            await interaction.response.send_modal(SummaryModal(self.session_id, interaction.message.id, draft))

        await safely(interaction, act)


# -- key points --------------------------------------------------------------------------------


def _marked_words(point: KeyPoint) -> str:
    if not point.marked:
        return "The key-point mark is taken off this message."
    theme = f" with the theme **{discord.utils.escape_markdown(point.theme_name)}**" if point.theme_name else ""
    return (f"Marked as a key point{theme}. It is exported with the café's records. Choose a theme from the plan's "
            "codebook below, or unmark it.")


class ThemeSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                  template=r"blether:kp-theme:(?P<channel>\d+):(?P<message>\d+)"):
    """The plan's themes for a key point just marked; picking one marks it with that theme."""

    def __init__(self, channel_id: int, message_id: int, themes: list[tuple[str, str]] | None = None,
                 chosen: str | None = None) -> None:
        options = [discord.SelectOption(label="No theme", value=NO_THEME, default=chosen is None)]
        options += [discord.SelectOption(label=name[:100], value=theme_id, default=theme_id == chosen)
                    for theme_id, name in (themes or [])[:SELECT_OPTIONS - 1]]
        super().__init__(discord.ui.Select(custom_id=f"blether:kp-theme:{channel_id}:{message_id}",
                                           placeholder="Theme from the plan's codebook", options=options))
        self.channel_id = channel_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ThemeSelect:
        return cls(int(match["channel"]), int(match["message"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            config = await _facilitator(interaction)
            picked = self.item.values[0] if self.item.values else NO_THEME
            point = await blether(interaction).services.key_points.mark(
                interaction.guild_id or 0, self.channel_id, self.message_id, actor_id=interaction.user.id,
                role=_role(interaction.user, config), theme=None if picked == NO_THEME else picked)
            await reply(interaction, _marked_words(point))

        await safely(interaction, act)


class UnmarkButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"blether:kp-unmark:(?P<channel>\d+):(?P<message>\d+)"):
    def __init__(self, channel_id: int, message_id: int) -> None:
        super().__init__(discord.ui.Button(label="Unmark", style=discord.ButtonStyle.secondary,
                                           custom_id=f"blether:kp-unmark:{channel_id}:{message_id}"))
        self.channel_id = channel_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> UnmarkButton:
        return cls(int(match["channel"]), int(match["message"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await _facilitator(interaction)
            point = await blether(interaction).services.key_points.unmark(
                interaction.guild_id or 0, self.channel_id, self.message_id, actor_id=interaction.user.id)
            await reply(interaction, _marked_words(point))

        await safely(interaction, act)


@app_commands.guild_only()
@facilitators_only()
async def mark_key_point(interaction: discord.Interaction, message: discord.Message) -> None:
    """Mark the message as a key point (keeping any theme it has), then offer the themes and unmark."""
    config = config_of(interaction)
    services = blether(interaction).services
    point = await services.key_points.mark(interaction.guild_id or 0, message.channel.id, message.id,
                                           actor_id=interaction.user.id, role=_role(interaction.user, config),
                                           keep_theme=True)
    view = discord.ui.View(timeout=None)
    view.add_item(ThemeSelect(message.channel.id, message.id, await services.key_points.themes(point.session),
                              point.theme))
    view.add_item(UnmarkButton(message.channel.id, message.id))
    await reply(interaction, _marked_words(point), view=view)


class KeyPoints(commands.Cog):
    """The 📌 reaction: a facilitator's pin marks a key point; anyone else's is only a reaction."""

    def __init__(self, bot: BletherBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        member = payload.member
        if payload.guild_id is None or member is None or member.bot or str(payload.emoji) != PIN:
            return
        config = await self.bot.services.servers.get(payload.guild_id)
        if config is None or not is_facilitator(member, config):
            return
        try:
            await self.bot.services.key_points.mark(payload.guild_id, payload.channel_id, payload.message_id,
                                                    actor_id=member.id, role=_role(member, config), keep_theme=True)
        except UserError:
            # Not a café's channel, or words that were never kept: a reaction has nowhere to say so,
            # and nothing is stored.
            log.debug("a facilitator's pin on an unkept message was not a key point")


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BletherBot)
    add_buttons(bot, WriteSummaryButton, ThemeSelect, UnmarkButton,
                offers={OfferKind.WRITE_SUMMARY: WriteSummaryButton})
    menu = app_commands.ContextMenu(name=KEY_POINT_COMMAND, callback=mark_key_point)
    # Shown by default where /floor is (Manage Messages); the role check is still the gate.
    menu.default_permissions = discord.Permissions(manage_messages=True)
    bot.tree.add_command(menu)
    await bot.add_cog(KeyPoints(bot))


async def teardown(bot: commands.Bot) -> None:
    bot.tree.remove_command(KEY_POINT_COMMAND, type=discord.AppCommandType.message)
