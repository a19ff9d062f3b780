"""Tables before the café: the menu people choose their table from after **I'll join** (when the
plan asks for it), and the organisers' `/cafe tables`, which uploads a table plan (a CSV).

The menu is a DynamicItem whose custom id carries the café number, so a menu sent before a restart
still works after it. `/cafe tables` joins the `/cafe` group the café cog owns, as `/cafe draw` does.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.services.tables import TableOption
from cogs._common import CafeOption, add_buttons, blether, config_of, organisers_only, reply, safely

CAFE_GROUP = "cafe"
#: The biggest table plan read (a few hundred lines is a large café).
MAX_FILE_BYTES = 256 * 1024


def _label(option: TableOption) -> str:
    return f"{option.number}. {option.topic}"[:100]


def _description(option: TableOption) -> str:
    if option.full:
        return f"Full: {option.chosen} chose it"
    return f"{option.chosen} chose it · room for {option.capacity}"


class TableSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"blether:table:(?P<session>\d+)"):
    """Choose a table; the options show each table's topic, how many chose it and how many fit."""

    def __init__(self, session_id: int, options: list[TableOption] | None = None) -> None:
        choices = [discord.SelectOption(label=_label(o), value=str(o.number), description=_description(o))
                   for o in options or []] or [discord.SelectOption(label="Table", value="1")]
        super().__init__(discord.ui.Select(custom_id=f"blether:table:{session_id}", placeholder="Choose your table",
                                           min_values=1, max_values=1, options=choices))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> TableSelect:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            values = self.item.values
            number = int(values[0]) if values and values[0].isdigit() else 0
            await reply(interaction, await blether(interaction).services.tables.choose(
                self.session_id, interaction.user.id, number, interaction.guild_id))

        await safely(interaction, act)


async def offer_tables(interaction: discord.Interaction, session_id: int) -> None:
    """After **I'll join**: the table menu, if the plan asks people to choose and the café has not opened."""
    options = await blether(interaction).services.tables.menu(session_id)
    if not options:
        return
    view = discord.ui.View(timeout=None)
    view.add_item(TableSelect(session_id, options))
    await interaction.followup.send(
        "This café lets you choose your table. Pick the topic you'd most like to talk about; if a table is "
        "full you'll be seated at the least full one.", view=view, ephemeral=True)


def _names(guild: discord.Guild | None) -> dict[str, list[int]]:
    """Each server name Blether can see (display name, global name, username), casefolded, → ids."""
    names: dict[str, list[int]] = {}
    for member in guild.members if guild is not None else ():
        for name in {member.display_name, member.global_name, member.name}:
            if name:
                names.setdefault(name.casefold(), []).append(member.id)
    return names


@app_commands.command(name="tables", description="Organisers: who sits at which table (a CSV), and table choice")
@app_commands.describe(cafe="The café the table plan is for",
                       file="A CSV: person,table[,host] lines and apart/together pairs (see the README)",
                       choose="Let people choose their table after I'll join (needs the plan's table topics)")
@organisers_only()
async def tables(interaction: discord.Interaction, cafe: CafeOption, file: discord.Attachment | None = None,
                 choose: bool | None = None) -> None:
    await interaction.response.defer(ephemeral=True, thinking=True)
    text = None
    if file is not None:
        if file.size > MAX_FILE_BYTES:
            await reply(interaction, f"That file is {file.size // 1024} KB; a table plan is at most "
                                     f"{MAX_FILE_BYTES // 1024} KB. Nothing was saved.")
            return
        try:
            text = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            await reply(interaction, "That file is not UTF-8 text. Save the spreadsheet as “CSV UTF-8” and upload "
                                     "it again. Nothing was saved.")
            return
    await reply(interaction, await blether(interaction).services.tables.arrange(
        cafe.id, config_of(interaction).guild_id, interaction.user.id, text=text,
        names=_names(interaction.guild) if text is not None else None, choose=choose))


class Tables(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        group = self.bot.tree.get_command(CAFE_GROUP)
        if not isinstance(group, app_commands.Group):
            raise RuntimeError("the café cog (the /cafe group) must be loaded first")
        group.add_command(tables, override=True)

    async def cog_unload(self) -> None:
        group = self.bot.tree.get_command(CAFE_GROUP)
        if isinstance(group, app_commands.Group):
            group.remove_command(tables.name)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, TableSelect)
    await bot.add_cog(Tables(bot))
