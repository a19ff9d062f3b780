"""Consent in chat: the consent panel and its choices, `/consent`, `/withdraw`, `/mydata`.

Every button is a DynamicItem whose custom id carries what it needs (café number, choice), so
buttons posted days ago still work after any number of restarts.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import cooldown
from bot.core.consent import Choice, ConsentState, Source
from bot.core.errors import UserError
from bot.core.models import Session
from bot.core.timeline import FINAL_STATES
from bot.services.chat import OfferKind
from bot.services.consent import WithdrawalScope
from bot.services.hosts import Audience
from bot.services.messages import message_async
from cogs._common import CafeOption, add_buttons, blether, pressed_too_soon, reply, safely

log = logging.getLogger(__name__)

_CHOICE_BUTTONS = (
    (Choice.RECORD, "Record my contributions", discord.ButtonStyle.success),
    (Choice.DECLINE, "Join without my words being recorded", discord.ButtonStyle.secondary),
    (Choice.QUOTE, "You may quote me anonymously in the report", discord.ButtonStyle.primary),
    (Choice.NO_QUOTE, "Please don't quote me", discord.ButtonStyle.secondary),
)


async def consent_panel(session_id: int, title: str, text: str, state: ConsentState) -> tuple[str, discord.Embed,
                                                                                       discord.ui.View]:
    """The person's current choices, the full consent text (an embed holds up to 4096
    characters, so it is never cut short), and buttons to change them."""
    body = await message_async("consent_panel", session_id=session_id, title=title, state=state)
    embed = discord.Embed(title="What is recorded", description=text[:4096])
    view = discord.ui.View(timeout=None)
    for choice, label, style in _CHOICE_BUTTONS:
        if choice in (Choice.QUOTE, Choice.NO_QUOTE) and not state.recording:
            continue
        view.add_item(ChoiceButton(session_id, choice, label, style))
    return body, embed, view


async def show_panel(interaction: discord.Interaction, session_id: int, *, prefix: str = "",
                     edit: bool = False) -> None:
    bot = blether(interaction)
    session, shown = await bot.services.consent.text_for(session_id, interaction.guild_id)
    state = await bot.services.consent.state(session_id, interaction.user.id)
    body, embed, buttons = await consent_panel(session_id, session.plan_title, shown.text, state)
    view: discord.ui.View | None = buttons
    if session.state in FINAL_STATES:
        # The choices can no longer change, so no buttons that would only refuse; withdrawing
        # (which erases) still works after the end.
        ended = (f"Café #{session_id} has ended, so these choices can no longer be changed. "
                 "`/withdraw` still erases your recorded words.")
        prefix = f"{prefix}\n\n{ended}".strip()
        view = None
    text = f"{prefix}\n\n{body}".strip() if prefix else body
    if edit and not interaction.response.is_done():
        await interaction.response.edit_message(content=text[:2000], embed=embed, view=view)
    else:
        await reply(interaction, text, view=view, embed=embed)


class ConsentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"blether:consent:(?P<session>\d+)"):
    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="My consent choices", custom_id=f"blether:consent:{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ConsentButton:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await safely(interaction, lambda: show_panel(interaction, self.session_id))


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"blether:choose:(?P<session>\d+):(?P<choice>record|decline|quote|no_quote)"):
    def __init__(self, session_id: int, choice: Choice, label: str = "",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        super().__init__(discord.ui.Button(label=label or choice.value, style=style,
                                           custom_id=f"blether:choose:{session_id}:{choice.value}"))
        self.session_id = session_id
        self.choice = choice

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ChoiceButton:
        return cls(int(match["session"]), Choice(match["choice"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if await pressed_too_soon(interaction, "choose", self.session_id, cooldown.CONSENT,
                                      "That's a lot of changes in a short time, so this one wasn't saved. "
                                      "Your earlier choice stands; `/consent` shows it."):
                return
            await blether(interaction).services.consent.choose(
                self.session_id, interaction.user.id, self.choice, source=Source.BUTTON,
                at=interaction.created_at, guild_id=interaction.guild_id,
            )
            await show_panel(interaction, self.session_id, prefix="✅ Saved.", edit=True)

        await safely(interaction, act)


class WithdrawButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                     template=r"blether:withdraw:(?P<scope>all|\d+)"):
    """The confirm step is this button itself; its id says the scope outright: `all` for every
    café on this server, else the café's number."""

    def __init__(self, scope: WithdrawalScope) -> None:
        super().__init__(discord.ui.Button(label="Yes, withdraw and erase my words",
                                           custom_id=f"blether:withdraw:{'all' if scope.every else scope.session_id}",
                                           style=discord.ButtonStyle.danger))
        self.scope = scope

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> WithdrawButton:
        if match["scope"] == "all":
            return cls(WithdrawalScope.every_cafe())
        return cls(WithdrawalScope.cafe(int(match["scope"])))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            if await pressed_too_soon(interaction, "withdraw", self.scope.session_id or 0, cooldown.WITHDRAW,
                                      "Your withdrawal was done a moment ago."):
                return
            bot = blether(interaction)
            result = await bot.services.consent.withdraw(
                interaction.user.id, self.scope, at=interaction.created_at,
                guild_id=interaction.guild_id,
            )
            text = await message_async("withdrawn", result=result)
            await interaction.response.edit_message(content=text, view=None)
            await bot.chat.dm(interaction.user.id, text)
            if result.summaries_flagged and interaction.guild_id is not None:
                flagged = await message_async("summaries_flagged", result=result)
                await bot.services.hosts.tell(interaction.guild_id, flagged, Audience.FACILITATORS)

        await safely(interaction, act)


class Consent(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def _session_for(self, interaction: discord.Interaction, session: Session | None) -> int:
        """The café named; else the one this channel belongs to; else the one the person joined last here."""
        if session is not None:
            return session.id
        bot = blether(interaction)
        if interaction.channel_id is not None:
            here = await bot.services.cafes.of_channel(interaction.channel_id, interaction.guild_id)
            if here is not None:
                return here.id
        latest = await bot.services.rsvp.latest_for(interaction.user.id, interaction.guild_id or 0)
        if latest is None:
            raise UserError("You haven't joined a café here yet. Press **I'll join** on a café invitation first.")
        return latest

    @app_commands.command(name="consent", description="See or change what Blether records of your words")
    @app_commands.describe(cafe="The café (default: the café you're in or joined last)")
    @app_commands.guild_only()
    async def consent(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        await show_panel(interaction, await self._session_for(interaction, cafe))

    @app_commands.command(name="withdraw", description="Withdraw consent and erase your recorded words")
    @app_commands.describe(scope="Just one café, or every café on this server",
                           cafe="The café (default: the café you're in or joined last)")
    @app_commands.choices(scope=[app_commands.Choice(name="This café", value="cafe"),
                                 app_commands.Choice(name="Every café", value="all")])
    @app_commands.guild_only()
    async def withdraw(self, interaction: discord.Interaction, scope: str = "cafe",
                       cafe: CafeOption | None = None) -> None:
        chosen = WithdrawalScope.every_cafe() if scope == "all" else \
            WithdrawalScope.cafe(await self._session_for(interaction, cafe))
        view = discord.ui.View(timeout=None)
        view.add_item(WithdrawButton(chosen))
        await reply(interaction, await message_async("withdraw_confirm", scope=chosen), view=view)

    @app_commands.command(name="mydata", description="Get a copy of everything Blether holds about you, by DM")
    async def mydata(self, interaction: discord.Interaction) -> None:
        bot = blether(interaction)
        data = await bot.services.privacy.my_data(interaction.user.id)
        text = "Here is everything Blether holds about you."
        if await bot.chat.dm(interaction.user.id, text, filename="my-blether-data.json", data=data):
            await reply(interaction, "I've sent you a DM with a file of everything Blether holds about you.")
        else:
            await reply(interaction, "I couldn't DM you (your privacy settings may block DMs from this server), "
                                     "so here it is, visible only to you.",
                        file=discord.File(io.BytesIO(data), filename="my-blether-data.json"))


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, ConsentButton, ChoiceButton, WithdrawButton, offers={OfferKind.CONSENT_CHOICES: ConsentButton})
    await bot.add_cog(Consent(bot))
