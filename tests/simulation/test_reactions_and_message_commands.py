"""Members' reactions and message (context-menu) commands reach a bot through discord.py's own parsing,
as strictly as Discord sends them: only with the reactions intent, only from people who may react, and
a message command hidden by its default permissions or run on a message the person can see."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.simulation import SimPermissionError, SimulatedDiscord, SimulationError


class ReactingBot(commands.Bot):
    def __init__(self, *, reactions: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.guild_reactions = reactions
        super().__init__(command_prefix="!", intents=intents)
        self.reactions: list[discord.RawReactionActionEvent] = []
        self.quoted: list[tuple[int, str]] = []

    async def setup_hook(self) -> None:
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            self.quoted.append((message.id, message.content))
            await interaction.response.send_message("quoted", ephemeral=True)

        async def hide(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message("hidden", ephemeral=True)

        self.tree.add_command(app_commands.ContextMenu(name="Quote this", callback=quote))
        hidden = app_commands.ContextMenu(name="Moderate this", callback=hide)
        hidden.default_permissions = discord.Permissions(manage_messages=True)
        self.tree.add_command(hidden)
        await self.tree.sync()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions.append(payload)


@pytest.fixture
async def reacting(sim: SimulatedDiscord) -> AsyncIterator[ReactingBot]:
    bot = ReactingBot()
    await sim.connect(bot)
    yield bot
    await sim.disconnect(bot)


async def test_a_members_reaction_arrives_with_the_member(sim: SimulatedDiscord, reacting: ReactingBot) -> None:
    alice, bob = sim.add_member("Alice"), sim.add_member("Bob")
    message = await sim.say(reacting, alice, sim.general_channel_id, "hello")
    await sim.react(reacting, bob, message, "📌")
    await sim.react(reacting, bob, message, "📌")  # the same reaction again changes nothing
    (event,) = reacting.reactions
    assert (event.user_id, event.message_id, event.channel_id, str(event.emoji)) == (
        bob.id, message.id, sim.general_channel_id, "📌")
    assert event.member is not None and event.member.id == bob.id and event.event_type == "REACTION_ADD"
    assert message.reactions == {"📌": [bob.id]}


async def test_who_may_react_is_checked_as_discord_does(sim: SimulatedDiscord, reacting: ReactingBot) -> None:
    alice, bob = sim.add_member("Alice"), sim.add_member("Bob")
    no_new = discord.Permissions(view_channel=True, read_message_history=True, send_messages=True)
    quiet = sim.add_text_channel("quiet", overwrites=[
        {"id": str(sim.guild_id), "type": 0, "allow": str(no_new.value),
         "deny": str(discord.Permissions(add_reactions=True).value)}])
    message = await sim.say(reacting, alice, quiet, "no new reactions here")
    with pytest.raises(SimPermissionError, match="cannot add new reactions"):
        await sim.react(reacting, bob, message, "📌")
    message.reactions["📌"] = [sim.owner.id]  # someone allowed to started it: joining it needs no Add Reactions
    await sim.react(reacting, bob, message, "📌")
    assert [e.user_id for e in reacting.reactions] == [bob.id]

    hidden = sim.add_text_channel("hidden", overwrites=[
        {"id": str(sim.guild_id), "type": 0, "allow": "0",
         "deny": str(discord.Permissions(view_channel=True).value)}])
    secret = await sim.say(reacting, sim.owner, hidden, "owners only")
    with pytest.raises(SimPermissionError, match="cannot react"):
        await sim.react(reacting, bob, secret, "📌")


async def test_reactions_need_the_intent(sim: SimulatedDiscord) -> None:
    bot = ReactingBot(reactions=False)
    await sim.connect(bot)
    alice = sim.add_member("Alice")
    message = await sim.say(bot, alice, sim.general_channel_id, "hello")
    await sim.react(bot, alice, message, "📌")
    assert bot.reactions == [] and message.reactions == {"📌": [alice.id]}
    await sim.disconnect(bot)


async def test_a_message_command_gets_the_message_it_was_run_on(sim: SimulatedDiscord,
                                                                reacting: ReactingBot) -> None:
    alice, bob = sim.add_member("Alice"), sim.add_member("Bob")
    registered = {c["name"]: c for c in sim.app_commands[None]}
    assert registered["Quote this"]["type"] == 3 and registered["Quote this"]["description"] == ""
    message = await sim.say(reacting, alice, sim.general_channel_id, "worth keeping")
    result = await sim.message_command(reacting, bob, message, "Quote this")
    assert result.ephemeral and result.content == "quoted"
    assert reacting.quoted == [(message.id, "worth keeping")]

    with pytest.raises(SimPermissionError, match="default_member_permissions"):
        await sim.message_command(reacting, bob, message, "Moderate this")
    with pytest.raises(SimulationError, match="no message command"):
        await sim.message_command(reacting, bob, message, "Not a command")
