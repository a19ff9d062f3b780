"""After the café, in chat: the feedback form (a button that opens a modal), the prize draw entry,
"tell me when the report is out", and the organisers' `/cafe draw` and `/cafe report-published`.

The buttons are DynamicItems whose custom ids carry the café number, so the ones posted in the
lobby and sent by DM at the close keep working across restarts for the days the form is open.
The two commands join the `/cafe` group that the café cog owns, so organisers find them there.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.plan import FeedbackQuestion
from bot.services.chat import OfferKind
from bot.services.prize_draw import DrawResult
from bot.services.report_back import MAX_LINK, MAX_NOTE, Published
from cogs._common import CafeOption, add_buttons, blether, config_of, organisers_only, reply, safely

#: Discord's limits: a modal title and an input label up to 45 characters, a value up to 4000.
MODAL_TITLE = 45
ANSWER_LENGTH = 1000
CAFE_GROUP = "cafe"


class FeedbackModal(discord.ui.Modal):
    """The plan's questions (at most five, as Discord allows), answered once and stored apart from the person."""

    def __init__(self, session_id: int, questions: list[FeedbackQuestion]) -> None:
        super().__init__(title=f"Feedback on café #{session_id}"[:MODAL_TITLE],
                         custom_id=f"blether:feedback-form:{session_id}", timeout=30 * 60)
        self.session_id = session_id
        self.inputs: dict[str, discord.ui.TextInput[FeedbackModal]] = {}
        for question in questions:
            field: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
                label=question.label, custom_id=question.id, required=question.required,
                placeholder=question.placeholder or None,
                style=discord.TextStyle.paragraph if question.kind == "long" else discord.TextStyle.short,
                max_length=1 if question.kind == "rating" else ANSWER_LENGTH,
            )
            self.inputs[question.id] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            values = {key: field.value for key, field in self.inputs.items()}
            await blether(interaction).services.feedback.answer(self.session_id, interaction.user.id, values)
            await reply(interaction, "Thank you! Your feedback is saved, without your name or pseudonym.")

        await safely(interaction, act)


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:feedback:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Give feedback", style=discord.ButtonStyle.primary,
                                           custom_id=f"blether:feedback:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> FeedbackButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            _, questions = await blether(interaction).services.feedback.form(self.session_id, interaction.user.id)
            await interaction.response.send_modal(FeedbackModal(self.session_id, questions))

        await safely(interaction, act)


class DrawEntryButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                      template=r"blether:draw-entry:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Enter the prize draw", style=discord.ButtonStyle.success,
                                           custom_id=f"blether:draw-entry:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> DrawEntryButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await reply(interaction, await blether(interaction).services.prize_draw.enter(
                self.session_id, interaction.user.id))

        await safely(interaction, act)


class ReportUpdatesButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                          template=r"blether:report-updates:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="Tell me when the report is out",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"blether:report-updates:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ReportUpdatesButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await reply(interaction, await blether(interaction).services.report_back.subscribe(
                self.session_id, interaction.user.id))

        await safely(interaction, act)


@app_commands.command(name="draw", description="Organisers: draw the prize winner(s) of a café")
@app_commands.describe(cafe="The café whose draw to make")
@organisers_only()
async def draw(interaction: discord.Interaction, cafe: CafeOption) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    result = await blether(interaction).services.prize_draw.draw(cafe.id, config_of(interaction).guild_id,
                                                                 interaction.user.id)
    await reply(interaction, _drawn(result))


@app_commands.command(name="report-published", description="Organisers: tell everyone who asked that the report is out")
@app_commands.describe(link="Where to read the report (https://…)", note="A few words to go with it (optional)",
                       cafe="The café the report is from", series="Or: every café in a series")
@organisers_only()
async def report_published(interaction: discord.Interaction, link: app_commands.Range[str, 1, MAX_LINK],
                           note: app_commands.Range[str, 0, MAX_NOTE] = "", cafe: CafeOption | None = None,
                           series: str | None = None) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    published = await blether(interaction).services.report_back.publish(
        config_of(interaction).guild_id, interaction.user.id, link, note,
        session_id=cafe.id if cafe is not None else None, series=series)
    await reply(interaction, _published(published))


def _drawn(result: DrawResult) -> str:
    text = (f"Drew {result.winners} winner(s) from {result.entries} entr{'y' if result.entries == 1 else 'ies'} "
            f"for café #{result.session_id}, and told them by DM. The entry list is erased. The audit log holds the "
            f"entry count, the seed committed at the close (sha256 {result.commitment[:12]}…), the seed and the "
            "result, so the draw can be checked.")
    if result.unreachable:
        text += ("\n**Please contact these winners yourself** (their DMs are closed): "
                 + ", ".join(f"<@{user_id}>" for user_id in result.unreachable))
    return text


def _published(published: Published) -> str:
    cafes = ", ".join(f"#{n}" for n in published.cafes)
    text = f"Sent the report to {published.sent} person(s) who asked (café {cafes})."
    if published.dms_closed:
        text += f" {published.dms_closed} could not be reached (DMs closed); they were counted, not chased."
    return text + " The list is erased and the sending is recorded in the audit log."


_COMMANDS: tuple[app_commands.Command[Any, Any, None], ...] = (draw, report_published)


class AfterCafe(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    def _group(self) -> app_commands.Group:
        group = self.bot.tree.get_command(CAFE_GROUP)
        if not isinstance(group, app_commands.Group):
            raise RuntimeError("the café cog (the /cafe group) must be loaded first")
        return group

    async def cog_load(self) -> None:
        group = self._group()
        for command in _COMMANDS:
            group.add_command(command, override=True)

    async def cog_unload(self) -> None:
        group = self.bot.tree.get_command(CAFE_GROUP)
        if not isinstance(group, app_commands.Group):
            return  # the café cog went first, and its group with it
        for command in _COMMANDS:
            group.remove_command(command.name)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, FeedbackButton, DrawEntryButton, ReportUpdatesButton,
                offers={OfferKind.FEEDBACK: FeedbackButton, OfferKind.DRAW_ENTRY: DrawEntryButton,
                        OfferKind.REPORT_UPDATES: ReportUpdatesButton})
    await bot.add_cog(AfterCafe(bot))
