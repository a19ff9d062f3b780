"""The simulated Discord refuses what real Discord refuses, and can do what real Discord does.

Each test drives discord.py itself (the demo bot's HTTP client or its models) against the
simulation, so the errors seen here are the exceptions a bot would see in production.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
import pytest
from discord.app_commands.errors import CommandSyncFailure
from sim_demo_bot import DemoBot, DemoCog

from bot.simulation import SimulatedDiscord, SimulationError

SEND = "/channels/{channel_id}/messages"


def _text_channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def _form_errors(error: discord.HTTPException) -> dict[str, Any]:
    assert error.status == 400 and error.code == 50035, error
    errors = getattr(error, "_errors", None)
    assert isinstance(errors, dict)
    return errors


# -- offline edits and deletions ------------------------------------------------------------


async def test_offline_edits_and_deletions_reach_history_but_no_gateway_event(
    sim: SimulatedDiscord, bot: DemoBot
) -> None:
    alice = sim.add_member("Alice")
    general = sim.general_channel_id
    kept = await sim.say(bot, alice, general, "first words")
    gone = await sim.say(bot, alice, general, "regretted")
    with pytest.raises(SimulationError, match="connected"):
        sim.edit_offline(kept.id, "too early")
    await sim.disconnect(bot)

    sim.advance(30)
    sim.edit_offline(kept.id, "second thoughts")
    sim.delete_offline(gone.id)
    with pytest.raises(SimulationError, match="not in any channel"):
        sim.edit_offline(gone.id, "edit a deleted message")

    restarted = DemoBot()
    await sim.connect(restarted)
    cog = restarted.get_cog("DemoCog")
    assert isinstance(cog, DemoCog) and cog.edits == [] and cog.deleted == []
    history = [m async for m in _text_channel(restarted, general).history(limit=None, oldest_first=True)]
    assert [m.content for m in history] == ["second thoughts"]
    [edited] = history
    assert edited.edited_at == sim.now and edited.created_at < edited.edited_at
    with pytest.raises(discord.NotFound) as missing:
        await _text_channel(restarted, general).fetch_message(gone.id)
    assert missing.value.code == 10008
    await sim.disconnect(restarted)


# -- history paging -------------------------------------------------------------------------------


async def test_history_pages_newest_first_past_100_in_both_directions(sim: SimulatedDiscord) -> None:
    alice = sim.add_member("Alice")
    general = sim.general_channel_id
    ids = []
    for i in range(250):
        sim.advance(1)
        ids.append(sim.say_offline(alice, general, f"m{i}").id)
    bot = DemoBot()
    await sim.connect(bot)
    channel = _text_channel(bot, general)

    newest_first = [m.id async for m in channel.history(limit=None)]
    assert newest_first == list(reversed(ids))
    after_first = [m.id async for m in channel.history(limit=None, after=discord.Object(ids[0]), oldest_first=True)]
    assert after_first == ids[1:]
    before_last = [m.id async for m in channel.history(limit=120, before=discord.Object(ids[-1]))]
    assert before_last == list(reversed(ids[-121:-1]))

    # On the wire every page is newest first, `after` included.
    page = await bot.http.logs_from(general, 100, after=ids[9])
    assert [int(m["id"]) for m in page] == list(reversed(ids[10:110]))
    default = await bot.http.logs_from(general, 50)
    assert len(default) == 50 and int(default[0]["id"]) == ids[-1]
    # around: limit // 2 before the id, the id and what follows it.
    assert [int(m["id"]) for m in await bot.http.logs_from(general, 5, around=ids[100])] == ids[102:97:-1]
    assert len(await bot.http.logs_from(general, 100, around=ids[100])) == 101
    await sim.disconnect(bot)


async def test_a_client_assuming_oldest_first_pages_misses_messages(sim: SimulatedDiscord) -> None:
    alice = sim.add_member("Alice")
    ids = [sim.say_offline(alice, sim.general_channel_id, f"m{i}").id for i in range(150)]
    bot = DemoBot()
    await sim.connect(bot)
    seen: list[int] = []
    cursor = ids[0] - 1
    for _ in range(5):  # a naive pager: "the last entry of a page is the newest"
        page = await bot.http.logs_from(sim.general_channel_id, 100, after=cursor)
        if not page:
            break
        seen.extend(int(m["id"]) for m in page)
        cursor = int(page[-1]["id"])
    assert sorted(set(seen)) != ids  # it crawls one message per page and re-reads the rest
    await sim.disconnect(bot)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "many"}, "limit"),
     ({"limit": 10, "before": 5, "after": 1}, "after")],
)  # fmt: skip
async def test_history_refuses_bad_parameters(
    sim: SimulatedDiscord, bot: DemoBot, params: dict[str, Any], field: str
) -> None:
    route = discord.http.Route("GET", SEND, channel_id=sim.general_channel_id)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, params=params)
    assert field in _form_errors(refused.value)


# -- permissions and unknown objects ----------------------------------------------------------------


async def test_missing_permissions_is_403_50013_or_400_in_the_compatible_server_mode(
    sim: SimulatedDiscord, bot: DemoBot
) -> None:
    view_only = discord.Permissions(view_channel=True).value
    sim.set_role_permissions(sim.guild_id, view_only)  # @everyone
    sim.set_role_permissions(sim.bot_role_id, view_only)
    channel = _text_channel(bot, sim.general_channel_id)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("hello")
    assert (forbidden.value.status, forbidden.value.code, forbidden.value.text) == (403, 50013, "Missing Permissions")

    sim.missing_permissions_status = 400
    with pytest.raises(discord.HTTPException) as bad_request:
        await channel.send("hello")
    assert not isinstance(bad_request.value, discord.Forbidden)
    assert (bad_request.value.status, bad_request.value.code) == (400, 50013)
    assert sim.messages(sim.general_channel_id) == []


async def test_unknown_channel_and_message_are_404_with_discords_codes(sim: SimulatedDiscord, bot: DemoBot) -> None:
    with pytest.raises(discord.NotFound) as channel:
        await bot.fetch_channel(12345)
    assert channel.value.code == 10003
    with pytest.raises(discord.NotFound) as message:
        await _text_channel(bot, sim.general_channel_id).fetch_message(12345)
    assert message.value.code == 10008


# -- application commands ---------------------------------------------------------------------------

_GOOD: dict[str, Any] = {"name": "cafe", "description": "Run a café", "type": 1}


def _cmd(**changes: Any) -> dict[str, Any]:
    return {**_GOOD, **changes}


def _opt(name: str, kind: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": f"the {name}", "type": kind, **extra}


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([_cmd(name="Cafe")], "0.name"),
        ([_cmd(name="café schedule")], "0.name"),
        ([_cmd(name="x" * 33)], "0.name"),
        ([_cmd(description="")], "0.description"),
        ([_cmd(description="d" * 101)], "0.description"),
        ([_cmd(options=[_opt(f"o{i}") for i in range(26)])], "0.options"),
        ([_cmd(options=[_opt("when", choices=[{"name": str(i), "value": str(i)} for i in range(26)])])],
         "0.options.0.choices"),
        ([_cmd(options=[_opt("maybe"), _opt("must", required=True)])], "0.options.1.required"),
        ([_cmd(options=[_opt("a"), _opt("a")])], "0.options.1.name"),
        ([_cmd(options=[_opt("sub", 1), _opt("loose")])], "0.options"),
        ([_cmd(options=[_opt("grp", 2, options=[_opt("inner", 2)])])], "0.options.0.options"),
        ([_cmd(options=[_opt("sub", 1, options=[_opt("deeper", 1)])])], "0.options.0.options"),
        ([_cmd(options=[_opt("flag", 5, choices=[{"name": "y", "value": True}])])], "0.options.0.choices"),
        ([_cmd(options=[_opt("n", 4, choices=[{"name": "one", "value": "1"}])])], "0.options.0.choices.0.value"),
        ([_cmd(), _cmd()], "1.name"),
        ([{"name": "Report message", "type": 3, "description": "not allowed"}], "0.description"),
        ([_cmd(options=[_opt(f"o{i}", description="d" * 100,
                             choices=[{"name": "n" * 100, "value": "v" * 100}] * 20) for i in range(2)])], "0"),
        ([_cmd(name=f"c{i}") for i in range(101)], ""),
    ],
)  # fmt: skip
async def test_bulk_overwrite_refuses_what_discord_refuses(
    sim: SimulatedDiscord, bot: DemoBot, payload: list[dict[str, Any]], where: str
) -> None:
    before = list(sim.app_commands[None])
    for upload in (
        bot.http.bulk_upsert_global_commands(sim.application_id, payload),
        bot.http.bulk_upsert_guild_commands(sim.application_id, sim.guild_id, payload),
    ):
        with pytest.raises(discord.HTTPException) as refused:
            await upload
        node = _form_errors(refused.value)
        for key in filter(None, where.split(".")):
            node = node[key]
        assert node.get("_errors") or any("_errors" in v for v in node.values() if isinstance(v, dict))
    assert sim.app_commands[None] == before and sim.guild_id not in sim.app_commands


async def test_valid_commands_at_the_limits_are_accepted(sim: SimulatedDiscord, bot: DemoBot) -> None:
    nested = _cmd(options=[
        _opt("group", 2, options=[_opt("sub", 1, options=[_opt("must", required=True), _opt("may")])]),
        _opt("plain", 1),
    ])  # fmt: skip
    commands = [nested, *[_cmd(name=f"c-{i}_'ок") for i in range(99)], {"name": "Report Message", "type": 3}]
    registered = await bot.http.bulk_upsert_global_commands(sim.application_id, commands)
    assert len(registered) == 101 and len(sim.app_commands[None]) == 101


async def test_tree_sync_of_an_invalid_payload_is_a_command_sync_failure(sim: SimulatedDiscord, bot: DemoBot) -> None:
    payload = [cmd.to_dict(bot.tree) for cmd in bot.tree.get_commands()]
    payload[0]["options"][0]["description"] = "x" * 101  # as a translator might produce
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.bulk_upsert_global_commands(sim.application_id, payload)
    assert "In 0.options.0.description" in str(refused.value)
    assert CommandSyncFailure(refused.value, []).code == 50035


async def test_single_command_upsert_is_validated_too(sim: SimulatedDiscord, bot: DemoBot) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.upsert_global_command(sim.application_id, _cmd(name="Bad Name"))
    assert "name" in _form_errors(refused.value)


# -- message, component and channel limits --------------------------------------------------------------


def _row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def _button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"description": "d"}] * 11}, "embeds"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "embeds.0.fields.0.value"),
        ({"embeds": [{"description": "d" * 3000}, {"description": "d" * 3001}]}, "embeds"),
        ({"content": "x", "components": [_row(_button(f"b{i}")) for i in range(6)]}, "components"),
        ({"content": "x", "components": [_row(*[_button(f"b{i}") for i in range(6)])]}, "components.0.components"),
        ({"content": "x", "components": [_row(_button("b", "L" * 81))]}, "components.0.components.0.label"),
        ({"content": "x", "components": [_row(_button("c" * 101))]}, "components.0.components.0.custom_id"),
        ({"content": "x", "components": [_row(_button("same")), _row(_button("same"))]}, "components"),
        ({"content": "x", "components": [_row({"type": 2, "style": 5, "label": "web"})]},
         "components.0.components.0.url"),
        ({"content": "x", "components": [_row(_button("b"), {"type": 3, "custom_id": "s",
                                                              "options": [{"label": "a", "value": "a"}]})]},
         "components.0.components"),
        ({"content": "x", "components": [_button("loose")]}, "components.0.type"),
    ],
)  # fmt: skip
async def test_messages_beyond_discords_limits_are_refused(
    sim: SimulatedDiscord, bot: DemoBot, payload: dict[str, Any], where: str
) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.send_message(sim.general_channel_id, params=discord.http.MultipartParameters(payload, None, None))  # noqa: E501
    node = _form_errors(refused.value)
    for key in where.split("."):
        node = node[key]
    assert node["_errors"]
    assert sim.messages(sim.general_channel_id) == []


async def test_messages_at_the_limits_are_accepted(sim: SimulatedDiscord, bot: DemoBot) -> None:
    rows = [_row(*[_button(f"b{r}{i}", "L" * 80) for i in range(5)]) for r in range(5)]
    embeds = [{"description": "d" * 600}] * 10
    payload = {"content": "x" * 2000, "embeds": embeds, "components": rows}
    await bot.http.send_message(sim.general_channel_id, params=discord.http.MultipartParameters(payload, None, None))
    [sent] = sim.messages(sim.general_channel_id)
    assert len(sent.content) == 2000 and len(list(sent.iter_components())) == 30


async def test_channel_limits(sim: SimulatedDiscord, bot: DemoBot) -> None:
    guild = bot.get_guild(sim.guild_id)
    assert guild is not None
    created = await guild.create_text_channel("Quiet Room")
    assert created.name == "quiet-room"  # Discord lower-cases text channel names and dashes spaces
    with pytest.raises(discord.HTTPException) as long_name:
        await guild.create_text_channel("n" * 101)
    assert "name" in _form_errors(long_name.value)
    with pytest.raises(discord.HTTPException) as long_topic:
        await created.edit(topic="t" * 1025)
    assert "topic" in _form_errors(long_topic.value)

    category = sim.add_category("Breakouts")
    for i in range(50):
        sim.add_text_channel(f"room-{i}", category_id=category)
    with pytest.raises(discord.HTTPException) as full:
        await guild.create_text_channel("one-more", category=guild.get_channel(category))  # type: ignore[arg-type]
    assert "parent_id" in _form_errors(full.value)
    with pytest.raises(discord.HTTPException):
        await created.edit(category=guild.get_channel(category))  # type: ignore[arg-type]


def test_a_guild_holds_at_most_500_channels() -> None:
    sim = SimulatedDiscord()
    for i in range(499):  # plus #general
        sim.add_text_channel(f"c{i}")
    with pytest.raises(discord.HTTPException) as refused:
        sim.add_text_channel("too-many")
    assert (refused.value.status, refused.value.code) == (400, 30013)


# -- fault injection --------------------------------------------------------------------------------------


async def test_the_nth_matching_call_fails_and_every_call_is_recorded(sim: SimulatedDiscord, bot: DemoBot) -> None:
    channel = _text_channel(bot, sim.general_channel_id)
    fault = sim.faults.fail("POST", SEND, nth=2, status=500)
    await channel.send("one")
    with pytest.raises(discord.DiscordServerError):
        await channel.send("two")
    await channel.send("three")
    assert [m.content for m in sim.messages(sim.general_channel_id)] == ["one", "three"]
    assert [c.json["content"] for c in sim.calls_matching("POST", SEND)] == ["one", "two", "three"]
    assert [c.json["content"] for c in fault.hits] == ["two"]


async def test_a_failure_after_discord_acted_loses_only_the_answer(sim: SimulatedDiscord, bot: DemoBot) -> None:
    channel = _text_channel(bot, sim.general_channel_id)
    sim.faults.fail("POST", f"/channels/{sim.general_channel_id}/messages", status=503, after=True)
    with pytest.raises(discord.DiscordServerError):
        await channel.send("did it arrive?")
    assert [m.content for m in sim.messages(sim.general_channel_id)] == ["did it arrive?"]

    sim.faults.fail("GET", "/channels/{channel_id}/messages", error=ConnectionResetError("gone"), times=None)
    for _ in range(2):
        with pytest.raises(ConnectionResetError):
            await bot.http.logs_from(sim.general_channel_id, 10)
    sim.faults.clear()
    assert len(await bot.http.logs_from(sim.general_channel_id, 10)) == 1


async def test_a_failed_call_inside_a_command_reaches_the_bots_error_handling(
    sim: SimulatedDiscord, bot: DemoBot
) -> None:
    sim.faults.fail("POST", SEND, status=403, code=50013)
    await sim.slash(bot, sim.add_member("Alice"), "demo board")
    [error] = bot.cog_errors
    assert isinstance(error, discord.Forbidden) and error.code == 50013


async def test_a_hung_call_waits_until_released(sim: SimulatedDiscord, bot: DemoBot) -> None:
    channel = _text_channel(bot, sim.general_channel_id)
    gate = sim.faults.hang("POST", SEND)
    sending = asyncio.ensure_future(channel.send("patience"))
    call = await gate.reached()
    assert call.json["content"] == "patience" and not sending.done()
    assert sim.messages(sim.general_channel_id) == []
    gate.release()
    sent = await sending
    assert sent.content == "patience" and len(sim.messages(sim.general_channel_id)) == 1

    timeout = sim.faults.hang("POST", SEND)
    stuck = asyncio.ensure_future(channel.send("never"))
    await timeout.reached()
    timeout.release(error=TimeoutError())
    with pytest.raises(TimeoutError):
        await stuck
    assert len(sim.messages(sim.general_channel_id)) == 1


async def test_faults_are_checked_when_armed(sim: SimulatedDiscord) -> None:
    with pytest.raises(SimulationError):
        sim.faults.fail("POST", "channels/{channel_id}/messages")
    with pytest.raises(SimulationError):
        sim.faults.hang("POST", SEND, nth=0)
    with pytest.raises(SimulationError, match="only a hang"):
        sim.faults.fail("POST", SEND).release()


async def test_autocomplete_answers_are_held_to_discords_limits() -> None:
    from bot.simulation.limits import check_autocomplete

    check_autocomplete({"choices": [{"name": "x", "value": 1}]}, 4)
    for bad, kind in (
        ({"choices": [{"name": "x", "value": str(n)} for n in range(26)]}, 3),
        ({"choices": [{"name": "", "value": "a"}]}, 3),
        ({"choices": [{"name": "x" * 101, "value": "a"}]}, 3),
        ({"choices": [{"name": "x", "value": "a" * 101}]}, 3),
        ({"choices": [{"name": "x", "value": "1"}]}, 4),
        ({}, 3),
    ):
        with pytest.raises(discord.HTTPException) as refused:
            check_autocomplete(bad, kind)
        assert refused.value.code == 50035


# -- attachments ------------------------------------------------------------------------------


async def test_files_over_the_servers_upload_limit_are_refused_together(sim: SimulatedDiscord, bot: DemoBot) -> None:
    channel = _text_channel(bot, sim.general_channel_id)
    limit = channel.guild.filesize_limit
    assert limit == 10 * 1024 * 1024  # no boosts
    half = b"x" * (limit // 2)
    with pytest.raises(discord.HTTPException) as too_large:  # each file fits; the two together do not
        await channel.send("export", files=[discord.File(io.BytesIO(half), "a.csv"),
                                            discord.File(io.BytesIO(half + b"x"), "b.csv")])
    assert (too_large.value.status, too_large.value.code) == (413, 40005)
    assert sim.messages(sim.general_channel_id) == []
    sent = await channel.send("export", files=[discord.File(io.BytesIO(half), "a.csv"),
                                               discord.File(io.BytesIO(half), "b.csv")])
    assert [a.size for a in sent.attachments] == [limit // 2, limit // 2]

    sim.premium_tier = 2  # boosted servers take more
    await channel.send("export", files=[discord.File(io.BytesIO(half * 4), "big.csv")])


async def test_more_than_ten_files_in_one_message_is_a_form_error(sim: SimulatedDiscord, bot: DemoBot) -> None:
    form: list[dict[str, Any]] = [{"name": "payload_json", "value": '{"content": "export"}'}]
    form += [{"name": f"files[{n}]", "value": b"x", "filename": f"{n}.csv"} for n in range(11)]
    route = discord.http.Route("POST", SEND, channel_id=sim.general_channel_id)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, form=form)
    assert "files" in _form_errors(refused.value)
    assert sim.messages(sim.general_channel_id) == []


async def test_a_channel_edit_with_overwrites_is_held_to_discords_rules(sim: SimulatedDiscord, bot: DemoBot) -> None:
    """Modify Channel with `permission_overwrites` replaces the whole list; each overwrite names its
    target and type; it needs Manage Roles, and grants only what the bot itself holds."""
    alice = sim.add_member("Alice")
    channel = sim.add_text_channel("room")
    view = str(discord.Permissions(view_channel=True).value)
    hidden = {"id": str(sim.guild_id), "type": 0, "allow": "0", "deny": view}
    reader = {"id": str(alice.id), "type": 1, "allow": view}
    me = {"id": str(sim.bot_user.id), "type": 1, "allow": view}  # hidden from @everyone, the bot must keep its sight
    hidden_but_me = [hidden, me]
    await bot.http.edit_channel(channel, permission_overwrites=[*hidden_but_me, reader])
    assert sim.can_view(alice, channel)
    await bot.http.edit_channel(channel, permission_overwrites=hidden_but_me)
    assert not sim.can_view(alice, channel), "the list is replaced, not merged"

    with pytest.raises(discord.HTTPException) as untyped:
        await bot.http.edit_channel(channel, permission_overwrites=[{"id": str(alice.id), "allow": "1024"}])
    assert "permission_overwrites" in _form_errors(untyped.value)

    administrator = {"id": str(alice.id), "type": 1, "allow": str(discord.Permissions(administrator=True).value)}
    with pytest.raises(discord.Forbidden) as beyond:
        await bot.http.edit_channel(channel, permission_overwrites=[*hidden_but_me, administrator])
    assert beyond.value.code == 50013
    with pytest.raises(discord.Forbidden):
        await bot.http.create_channel(sim.guild_id, 0, name="made", permission_overwrites=[administrator])

    sim.set_role_permissions(sim.bot_role_id, discord.Permissions(view_channel=True, manage_channels=True).value)
    with pytest.raises(discord.Forbidden) as no_manage_roles:
        await bot.http.edit_channel(channel, permission_overwrites=[*hidden_but_me, reader])
    assert no_manage_roles.value.code == 50013
    assert not sim.can_view(alice, channel)
