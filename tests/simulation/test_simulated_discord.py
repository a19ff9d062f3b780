"""The simulated guild drives a real discord.py bot end to end, offline."""

from __future__ import annotations

import discord
import pytest
from sim_demo_bot import DemoBot, DemoCog

from bot.simulation import SimPermissionError, SimulatedDiscord, SimulationError, UnknownRouteError


async def test_login_ready_and_guild_cache(sim: SimulatedDiscord, bot: DemoBot) -> None:
    assert bot.is_ready()
    assert bot.user is not None and bot.user.id == sim.bot_user.id
    assert bot.application_id == sim.application_id
    guild = bot.get_guild(sim.guild_id)
    assert guild is not None and guild.name == "Blether Test Guild"
    assert guild.me is not None and guild.me.top_role.id == sim.bot_role_id
    assert guild.default_role.id == sim.guild_id
    assert [c.name for c in guild.text_channels] == ["general"]
    # setup_hook ran during login and synced the tree: Discord now knows /demo with an id.
    [demo] = sim.app_commands[None]
    assert demo["name"] == "demo" and int(demo["id"]) > 0


async def test_slash_options_and_member_permissions(sim: SimulatedDiscord, bot: DemoBot) -> None:
    managers = sim.add_role("Hosts", permissions=discord.Permissions(manage_channels=True).value)
    alice = sim.add_member("Alice")
    host = sim.add_member("Hana", roles=["Hosts"])
    assert host.role_ids == [managers]

    result = await sim.slash(bot, alice, "demo echo", text="hi", times=3, loud=True)
    assert result.content == "HI HI HI" and result.ephemeral and not result.deferred

    greeted = await sim.slash(bot, alice, "demo greet", who=host)
    assert greeted.content == "Hello Hana"

    assert (await sim.slash(bot, alice, "demo admin")).content == "You may not."
    assert (await sim.slash(bot, host, "demo admin")).content == "Welcome, manager."
    assert bot.cog_errors == []


async def test_slash_rejects_what_the_discord_client_would(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    with pytest.raises(SimulationError, match="needs option"):
        await sim.slash(bot, alice, "demo echo")
    with pytest.raises(SimulationError, match="no option"):
        await sim.slash(bot, alice, "demo echo", text="x", volume=11)
    with pytest.raises(SimulationError, match="takes an integer"):
        await sim.slash(bot, alice, "demo echo", text="x", times="3")
    with pytest.raises(SimulationError, match="needs a subcommand"):
        await sim.slash(bot, alice, "demo")


async def test_persistent_button_survives_restart(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    await sim.slash(bot, alice, "demo board")
    board = sim.messages(sim.general_channel_id)[-1]
    assert board.author_id == sim.bot_user.id and board.text == "Join the café:"

    await sim.disconnect(bot)
    restarted = DemoBot()
    await sim.connect(restarted)
    result = await sim.click(restarted, alice, board, "demo:join")
    assert result.content == "Welcome, Alice!" and result.ephemeral

    left = await sim.click(restarted, alice, board.id, "demo:leave")
    assert left.messages == [board] and board.content == "Someone left." and board.edited
    assert {b["custom_id"]: b["disabled"] for b in left.buttons()} == {"demo:join": False, "demo:leave": True}
    with pytest.raises(SimulationError, match="disabled"):
        await sim.click(restarted, alice, board, "demo:leave")
    await sim.disconnect(restarted)


async def test_click_on_ephemeral_message_defer_edit_and_followup(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice, bob = sim.add_member("Alice"), sim.add_member("Bob")
    asked = await sim.slash(bot, alice, "demo confirm")
    assert asked.ephemeral and [b["label"] for b in asked.buttons()] == ["Yes"]
    with pytest.raises(SimPermissionError, match="ephemeral"):
        await sim.click(bot, bob, asked.message, "demo:confirm")

    confirmed = await sim.click(bot, alice, asked.message, "demo:confirm")
    assert confirmed.deferred and confirmed.response_type == 6
    assert asked.message.content == "Confirmed." and asked.message.components == []
    assert confirmed.content == "Done." and confirmed.ephemeral
    # Ephemeral replies never reach the channel.
    assert sim.messages(sim.general_channel_id) == []


async def test_modal_submit(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    opened = await sim.slash(bot, alice, "demo note")
    assert opened.modal is not None and opened.modal["custom_id"] == "demo:note"
    assert sim.open_modals(alice) == ["demo:note"]

    # Fields by custom_id or by label (the mood input has a generated custom_id).
    submitted = await sim.submit_modal(bot, alice, "demo:note", {"demo:note:text": "lovely", "Mood": "calm"})
    assert submitted.content == "Noted: lovely (calm)"
    with pytest.raises(SimulationError, match="no modal"):
        await sim.submit_modal(bot, alice, "demo:note", {"Note": "again"})


async def test_private_room_creation_and_visibility(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice, bob = sim.add_member("Alice"), sim.add_member("Bob")
    result = await sim.slash(bot, alice, "demo room", who=alice, name="Alice Room")
    room = sim.channel_by_name("alice-room")
    assert room is not None and room["topic"] == "A private room"
    room_id = int(room["id"])
    assert result.deferred and result.content == f"Created <#{room_id}>" and result.ephemeral
    # The bot's cache learnt about the room from CHANNEL_CREATE, as with real Discord.
    cached = bot.get_channel(room_id)
    assert isinstance(cached, discord.TextChannel) and cached.name == "alice-room"

    assert sim.can_view(alice, room_id) and sim.can_view(sim.bot_user, room_id)
    assert not sim.can_view(bob, room_id)
    assert sim.can_view(sim.owner, room_id)  # owners see everything
    with pytest.raises(SimPermissionError, match="cannot see"):
        await sim.say(bot, bob, room_id, "let me in")

    cog = bot.get_cog("DemoCog")
    assert isinstance(cog, DemoCog)
    said = await sim.say(bot, alice, room_id, "ping")
    assert cog.seen[-1].id == said.id and cog.seen[-1].content == "ping"
    [_, pong] = sim.messages(room_id)
    assert pong.content == "pong" and pong.reference_id == said.id


async def test_bot_without_permission_gets_forbidden(sim: SimulatedDiscord, bot: DemoBot) -> None:
    sim.set_role_permissions(sim.bot_role_id, discord.Permissions(view_channel=True, send_messages=True).value)
    alice = sim.add_member("Alice")
    result = await sim.slash(bot, alice, "demo room", who=alice, name="nope")
    assert [type(e) for e in bot.cog_errors] == [discord.Forbidden]
    assert sim.channel_by_name("nope") is None
    assert result.deferred and result.content == ""  # the user is left with "thinking…"


async def test_dm_with_attachment(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    result = await sim.slash(bot, alice, "demo dm")
    assert result.content == "Sent you a DM." and result.ephemeral
    [dm] = sim.dm_messages(alice)
    assert dm.content == "Here are your notes."
    [attachment] = dm.attachments
    assert attachment["filename"] == "notes.csv" and attachment["data"] == b"hello,world\n"
    assert attachment["content_type"] == "text/csv"
    [upload] = [c for c in sim.calls if c.files]
    assert upload.files == [("notes.csv", b"hello,world\n")] and upload.json["content"] == "Here are your notes."
    # Buttons in a DM work too (consent is asked by DM), and only for the recipient.
    clicked = await sim.click(bot, alice, dm, "demo:join")
    assert clicked.content == "Welcome, Alice!"
    with pytest.raises(SimPermissionError, match="not in that DM"):
        await sim.click(bot, sim.add_member("Bob"), dm, "demo:join")


async def test_history_after_returns_offline_messages_in_order(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    general = sim.general_channel_id
    marker = await sim.say(bot, alice, general, "before the restart")
    await sim.disconnect(bot)

    written = []
    for i in range(120):  # more than one page of 100
        sim.advance(1)
        written.append(sim.say_offline(alice, general, f"offline {i}"))
    assert [m.id for m in written] == sorted(m.id for m in written)

    restarted = DemoBot()
    await sim.connect(restarted)
    cog = restarted.get_cog("DemoCog")
    assert isinstance(cog, DemoCog) and cog.seen == []  # no gateway events for downtime
    result = await sim.slash(restarted, alice, "demo backfill", after=str(marker.id))
    assert result.content == "Read 120 messages."
    assert cog.history == [f"offline {i}" for i in range(120)]
    pages = sim.calls_matching("GET", f"/channels/{general}/messages")
    assert [c.params["limit"] for c in pages] == [100, 100]
    await sim.disconnect(restarted)


async def test_every_call_is_recorded_in_order(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    before = len(sim.calls)
    await sim.slash(bot, alice, "demo board")
    made = [(c.method, c.template) for c in sim.calls[before:]]
    assert made == [
        ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"),
        ("POST", "/channels/{channel_id}/messages"),
    ]
    assert sim.calls[before].via == "webhook" and sim.calls[before + 1].via == "rest"
    assert sim.calls[before + 1].json["components"][0]["components"][0]["custom_id"] == "demo:join"
    assert len(sim.calls_matching("POST", "/channels/")) == 1


async def test_unknown_route_raises_clearly(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    await sim.slash(bot, alice, "demo webhooks")
    [error] = bot.cog_errors
    assert isinstance(error, UnknownRouteError)
    assert "GET /channels/{channel_id}/webhooks" in str(error)
    assert sim.unknown_routes == ["GET /channels/{channel_id}/webhooks"]


async def test_message_content_intent_is_respected(sim: SimulatedDiscord) -> None:
    class NoContentBot(DemoBot):
        def __init__(self) -> None:
            super().__init__()
            self.intents.message_content = False
            self._connection._intents.message_content = False

    alice = sim.add_member("Alice")
    blind = NoContentBot()
    await sim.connect(blind)
    await sim.say(blind, alice, sim.general_channel_id, "ping")
    cog = blind.get_cog("DemoCog")
    assert isinstance(cog, DemoCog) and cog.seen[-1].content == ""
    await sim.disconnect(blind)


async def test_handler_waiting_on_a_view_and_select_values(sim: SimulatedDiscord, bot: DemoBot) -> None:
    alice = sim.add_member("Alice")
    asked = await sim.slash(bot, alice, "demo drink")  # returns although the handler waits on the view
    assert asked.content == "Tea or coffee?"
    assert asked.selects()[0]["custom_id"] == "demo:pick"
    with pytest.raises(SimulationError, match="does not offer"):
        await sim.click(bot, alice, asked.message, "demo:pick", values=["water"])

    picked = await sim.click(bot, alice, asked.message, "demo:pick", values=["coffee"])
    assert picked.content == "Picked coffee."
    # The waiting handler resumed and followed up on its own interaction.
    assert asked.content == "Tea or coffee?\nEnjoy your coffee."


async def test_slash_waits_for_work_in_threads(sim: SimulatedDiscord, bot: DemoBot) -> None:
    result = await sim.slash(bot, sim.add_member("Alice"), "demo slow")
    assert result.deferred and result.content == "slow work done"
    [message] = result.messages  # the first follow-up replaced the "thinking…" message
    assert message.ephemeral and not message.flags & 128


async def test_user_edits_deletes_reactions_and_presence(sim: SimulatedDiscord, bot: DemoBot) -> None:
    assert sim.presence is not None and sim.presence["activity"].name == "cafés"
    alice = sim.add_member("Alice")
    cog = bot.get_cog("DemoCog")
    assert isinstance(cog, DemoCog)
    message = await sim.say(bot, alice, sim.general_channel_id, "react")
    assert message.reactions == {"👍": [sim.bot_user.id]}
    await sim.edit(bot, message.id, "reacted")
    assert cog.edits == [("react", "reacted")] and message.edited
    await sim.delete(bot, message.id)
    assert cog.deleted == [message.id] and sim.messages(sim.general_channel_id) == []


async def test_snowflakes_are_deterministic_and_follow_the_clock() -> None:
    first, second = SimulatedDiscord(seed=3), SimulatedDiscord(seed=3)
    assert first.guild_id == second.guild_id and first.general_channel_id == second.general_channel_id
    before = first.clock.snowflake()
    first.advance(60)
    after = first.clock.snowflake()
    assert after > before
    assert (discord.utils.snowflake_time(after) - discord.utils.snowflake_time(before)).total_seconds() == 60
    assert discord.utils.snowflake_time(after) == first.now
