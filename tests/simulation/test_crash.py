"""A crash: the bot's process dies where it stands, unlike a tidy disconnect."""

from __future__ import annotations

import discord
import pytest
from sim_demo_bot import DemoBot, DemoCog

from bot.simulation import SimulatedDiscord, SimulationError


async def test_a_crash_abandons_what_the_bot_was_doing_and_a_new_bot_reads_it_back(
    sim: SimulatedDiscord, bot: DemoBot
) -> None:
    alice = sim.add_member("Alice")
    general = sim.general_channel_id
    cog = bot.get_cog("DemoCog")
    assert isinstance(cog, DemoCog)
    await sim.say(bot, alice, general, "handled")
    # Delivered by Discord, but the bot dies before its handler runs: no "pong" is ever sent.
    unhandled = await sim.say(bot, alice, general, "ping", wait=False)
    await sim.crash(bot)
    assert [m.content for m in cog.seen] == ["handled"]
    assert not any(m.content == "pong" for m in sim.messages(general))
    with pytest.raises(SimulationError, match="not connected"):
        await sim.say(bot, alice, general, "to a dead bot")
    channel = bot.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(SimulationError, match="crashed bot"):
        await channel.send("from beyond")
    await discord.Client.close(bot)

    restarted = DemoBot()
    await sim.connect(restarted)
    channel = restarted.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    history = [m.id async for m in channel.history(limit=None, oldest_first=True)]
    assert unhandled.id in history
    await sim.disconnect(restarted)


async def test_only_the_connected_bot_can_crash(sim: SimulatedDiscord, bot: DemoBot) -> None:
    with pytest.raises(SimulationError, match="not the one connected"):
        await sim.crash(DemoBot())
