"""A tiny bot that exercises every door the simulation has to answer.

It is deliberately not Blether: the simulation must work for any discord.py bot, and its
tests must not depend on cogs other people are still writing.
"""

from __future__ import annotations

import asyncio
import time

import discord
from discord import app_commands
from discord.ext import commands


def slow_work() -> str:
    """Stands in for a database query or an export built in a worker thread."""
    time.sleep(0.3)
    return "slow work done"


class JoinView(discord.ui.View):
    """A persistent view: its buttons must keep working after the bot restarts."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Join", custom_id="demo:join", style=discord.ButtonStyle.primary)
    async def join(self, interaction: discord.Interaction, button: discord.ui.Button[JoinView]) -> None:
        await interaction.response.send_message(f"Welcome, {interaction.user.display_name}!", ephemeral=True)

    @discord.ui.button(label="Leave", custom_id="demo:leave", style=discord.ButtonStyle.secondary)
    async def leave(self, interaction: discord.Interaction, button: discord.ui.Button[JoinView]) -> None:
        button.disabled = True
        await interaction.response.edit_message(content="Someone left.", view=self)


class ConfirmView(discord.ui.View):
    """A short-lived view on an ephemeral message, with a timeout task like most views."""

    @discord.ui.button(label="Yes", custom_id="demo:confirm")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="Confirmed.", view=None)
        await interaction.followup.send("Done.", ephemeral=True)


class ChoiceView(discord.ui.View):
    """A view the command handler waits on, the pattern that makes "settled" subtle."""

    def __init__(self) -> None:
        super().__init__(timeout=600)
        self.choice: str | None = None

    @discord.ui.select(custom_id="demo:pick", options=[discord.SelectOption(label=x) for x in ("tea", "coffee")])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[ChoiceView]) -> None:
        self.choice = select.values[0]
        await interaction.response.send_message(f"Picked {self.choice}.", ephemeral=True)
        self.stop()


class NoteModal(discord.ui.Modal, title="Leave a note"):
    note: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Note", custom_id="demo:note:text")
    mood: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Mood", required=False)

    def __init__(self) -> None:
        super().__init__(custom_id="demo:note")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        mood = self.mood.value or "no mood"
        await interaction.response.send_message(f"Noted: {self.note.value} ({mood})", ephemeral=True)


class DemoCog(commands.Cog):
    demo = app_commands.Group(name="demo", description="Demo commands")

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.seen: list[discord.Message] = []
        self.edits: list[tuple[str, str]] = []
        self.deleted: list[int] = []
        self.history: list[str] = []

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message)
        if message.content == "ping":
            await message.reply("pong")
        elif message.content == "react":
            await message.add_reaction("👍")

    @commands.Cog.listener()
    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        self.edits.append((before.content, after.content))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.deleted.append(payload.message_id)

    @demo.command(name="echo", description="Echo text back")
    async def echo(self, interaction: discord.Interaction, text: str, times: int = 1, loud: bool = False) -> None:
        out = " ".join([text] * times)
        await interaction.response.send_message(out.upper() if loud else out, ephemeral=True)

    @demo.command(name="greet", description="Greet someone")
    async def greet(self, interaction: discord.Interaction, who: discord.Member) -> None:
        await interaction.response.send_message(f"Hello {who.display_name}", ephemeral=True)

    @demo.command(name="admin", description="Only for channel managers")
    async def admin(self, interaction: discord.Interaction) -> None:
        assert isinstance(interaction.user, discord.Member)
        if not interaction.permissions.manage_channels:
            await interaction.response.send_message("You may not.", ephemeral=True)
            return
        await interaction.response.send_message("Welcome, manager.", ephemeral=True)

    @demo.command(name="board", description="Post a join board")
    async def board(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Posting the board.", ephemeral=True)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("Join the café:", view=JoinView())

    @demo.command(name="confirm", description="Ask for confirmation")
    async def confirm(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Sure?", view=ConfirmView(), ephemeral=True)

    @demo.command(name="drink", description="Wait for a choice, then follow up")
    async def drink(self, interaction: discord.Interaction) -> None:
        view = ChoiceView()
        await interaction.response.send_message("Tea or coffee?", view=view, ephemeral=True)
        await view.wait()
        await interaction.followup.send(f"Enjoy your {view.choice}.", ephemeral=True)

    @demo.command(name="slow", description="Answer after work in a thread")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(await asyncio.to_thread(slow_work))

    @demo.command(name="note", description="Open a modal")
    async def note(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal())

    @demo.command(name="room", description="Create a private room for someone")
    async def room(self, interaction: discord.Interaction, who: discord.Member, name: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild = interaction.guild
        assert guild is not None and guild.me is not None
        overwrites: dict[discord.Role | discord.Member, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
            who: discord.PermissionOverwrite(view_channel=True, send_messages=True, read_message_history=True),
        }
        channel = await guild.create_text_channel(name, overwrites=overwrites, topic="A private room")
        await interaction.followup.send(f"Created {channel.mention}")

    @demo.command(name="dm", description="DM yourself a file")
    async def dm(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        file = discord.File(fp=__import__("io").BytesIO(b"hello,world\n"), filename="notes.csv")
        await interaction.user.send("Here are your notes.", file=file, view=JoinView())
        await interaction.edit_original_response(content="Sent you a DM.")

    @demo.command(name="backfill", description="Read history after a message id")
    async def backfill(self, interaction: discord.Interaction, after: str) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        self.history = [
            m.content async for m in interaction.channel.history(after=discord.Object(int(after)), limit=None)
        ]
        await interaction.response.send_message(f"Read {len(self.history)} messages.", ephemeral=True)

    @demo.command(name="webhooks", description="Calls an endpoint the simulation does not answer")
    async def webhooks(self, interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.webhooks()


class DemoBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        intents.dm_messages = True
        super().__init__(command_prefix="!", intents=intents)
        self.cog_errors: list[BaseException] = []

    async def on_ready(self) -> None:
        await self.change_presence(activity=discord.Game("cafés"))

    async def setup_hook(self) -> None:
        await self.add_cog(DemoCog(self))
        self.add_view(JoinView())
        self.tree.on_error = self._on_tree_error
        await self.tree.sync()

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        self.cog_errors.append(error.original if isinstance(error, app_commands.CommandInvokeError) else error)
