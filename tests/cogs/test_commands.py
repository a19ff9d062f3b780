"""Issue 11, commands and permissions as Discord admins expect: the whole command tree is described,
staff commands sit under default permissions and participants' commands under none (the role checks
stay the gate), and commands are synced only when they changed, on demand, or by `blether sync`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from cafe_harness import FACILITATOR, ORGANISER, Cafe, UpgradedBot, make_guild, make_settings, start_bot
from discord import app_commands

from bot.bot import BletherBot
from bot.cli import main
from bot.command_sync import commands_payload, payload_hash
from bot.config import Settings, parse_settings
from bot.simulation import SimPermissionError, SimulatedDiscord
from bot.simulation.limits import check_commands
from bot.simulation.permissions import MANAGE_GUILD
from bot.simulation.routing import http_error
from bot.store.command_syncs import GLOBAL_SCOPE, CommandSyncRepo
from bot.store.db import open_database
from cogs._common import Gate, gate_of

#: discord.py's description for a command or option nobody described
UNDESCRIBED = "…"
#: The decided layout: each staff group and who Discord shows it to by default.
GROUP_PERMISSIONS = {
    "cafe": discord.Permissions(manage_events=True),
    "floor": discord.Permissions(manage_messages=True),
    "blether": discord.Permissions(manage_guild=True),
}
GLOBAL_COMMANDS = "/applications/{application_id}/commands"
GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"


def _leaves(tree: app_commands.CommandTree[Any]) -> Iterator[app_commands.Command[Any, ..., Any]]:
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Command):
            yield command


def _undescribed(node: dict[str, Any], where: str = "") -> Iterator[str]:
    """Every slash command, group, subcommand and option in a payload without a description of its
    own (context menus have none, and Blether has none of them)."""
    here = f"{where} {node['name']}".strip()
    description = node.get("description")
    if not description or description == UNDESCRIBED:
        yield here
    for option in node.get("options") or []:
        yield from _undescribed(option, here)


def _sync_puts(sim: SimulatedDiscord, since: int = 0) -> list[str]:
    """Every call about the application's commands since `since` (docs/rest-calls.md): only the
    bulk overwrites (`PUT`) are expected, so any other method shows up as a failure."""
    return [c.template if c.method == "PUT" else f"{c.method} {c.template}" for c in sim.calls[since:]
            if c.template.startswith("/applications/") and "/commands" in c.template]


async def _last_hash(settings: Settings, application_id: int, scope: int) -> str | None:
    async with open_database(settings.database_target) as db:
        last = await CommandSyncRepo(db).last(application_id, scope)
    return last.payload_hash if last is not None else None


# -- the command tree ----------------------------------------------------------------------------


async def test_every_command_and_option_is_described_and_the_payload_is_one_discord_accepts(cafe: Cafe) -> None:
    payload = commands_payload(cafe.bot.tree, None)
    assert payload, "no commands at all"
    slash = [command for command in payload if command.get("type", 1) == 1]
    menus = [command for command in payload if command.get("type", 1) != 1]
    # Context-menu commands (user 2, message 3) carry no description: Discord wants it empty.
    assert all(menu["type"] in (2, 3) and not menu.get("description") for menu in menus), menus
    undescribed = [name for command in slash for name in _undescribed(command)]
    assert not undescribed, f"give these a description (@app_commands.describe): {undescribed}"
    check_commands(payload)  # Discord's own limits: names, lengths, options, choices, sizes


async def test_staff_commands_are_hidden_by_default_and_participants_commands_are_not(cafe: Cafe) -> None:
    gated: dict[str, Gate] = {}
    for command in _leaves(cafe.bot.tree):
        root = command.root_parent or command
        gate = gate_of(command)
        if gate is None:
            assert root.default_permissions is None, (
                f"/{command.qualified_name} is for everyone, but /{root.name} is hidden by default permissions")
            continue
        gated[command.qualified_name] = gate
        assert root.default_permissions is not None and root.default_permissions.value, (
            f"/{command.qualified_name} is for {gate.value} only: put it in a group with default_permissions")
        if gate in (Gate.ADMINS, Gate.OWNER):
            assert root.default_permissions >= discord.Permissions(manage_guild=True), command.qualified_name
    # The walk reaches the after-café commands the feedback cog adds to /cafe, and the admins' own.
    assert {gated.get("cafe draw"), gated.get("cafe report-published"), gated.get("cafe export")} == \
        {Gate.ORGANISERS}
    assert gated.get("blether setup") is Gate.ADMINS and gated.get("blether sync") is Gate.OWNER
    for name in ("cafes", "consent", "withdraw", "mydata"):
        command = cafe.bot.tree.get_command(name)
        assert isinstance(command, app_commands.Command) and command.default_permissions is None, name


async def test_each_staff_group_asks_for_the_decided_permission(cafe: Cafe) -> None:
    for name, permissions in GROUP_PERMISSIONS.items():
        group = cafe.bot.tree.get_command(name)
        if group is None:
            continue  # a group another part of the work adds
        assert isinstance(group, app_commands.Group) and group.default_permissions == permissions, name


async def test_discord_keeps_the_default_permissions_and_shows_cafe_only_to_those_who_have_them(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    synced = {c["name"]: c for c in sim.app_commands[None]}
    assert synced["cafe"]["default_member_permissions"] == str(discord.Permissions(manage_events=True).value)
    assert synced["blether"]["default_member_permissions"] == str(MANAGE_GUILD)
    assert all(synced[name]["default_member_permissions"] is None for name in ("cafes", "consent", "mydata"))
    participant = cafe.people[0]
    with pytest.raises(SimPermissionError):
        await sim.slash(bot, participant, "cafe schedule", channel_id=cafe.announcements,
                        plan="whats-next-for-recovery", when="in 2 hours")
    listed = await sim.slash(bot, participant, "cafes", channel_id=cafe.announcements)
    assert "No cafés yet" in listed.content
    # An admin lets a role without Manage Events see /cafe (Server Settings → Integrations).
    helpers = sim.add_role("Event helpers")
    helper = sim.add_member("helper", roles=[helpers])
    sim.set_command_access("cafe", helpers, True)
    refused = await sim.slash(bot, helper, "cafe schedule", channel_id=cafe.announcements,
                              plan="whats-next-for-recovery", when="in 2 hours")
    assert "Only organisers can do this" in refused.content


async def test_setup_says_when_discord_would_hide_a_staff_groups_commands_from_its_role(cafe: Cafe) -> None:
    assert "⚠️" not in (await cafe.setup()).content  # the harness's roles manage events
    cafe.sim.set_role_permissions(ORGANISER, 0)
    said = (await cafe.setup()).content
    assert "`/cafe` only to members with **Manage Events**" in said and f"**{ORGANISER}**" in said, said
    assert f"**{FACILITATOR}**" not in said.split("⚠️", 1)[1]


# -- syncing -------------------------------------------------------------------------------------


async def test_commands_sync_on_first_start_not_again_unchanged_and_again_when_they_change(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sim, _ = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings)
    assert _sync_puts(sim) == [GLOBAL_COMMANDS]
    expected = payload_hash(commands_payload(bot.tree, None))
    await sim.disconnect(bot)
    assert await _last_hash(settings, sim.application_id, GLOBAL_SCOPE) == expected

    caplog.set_level(logging.INFO, logger="bot.command_sync")
    since = len(sim.calls)
    bot = await start_bot(sim, settings)
    assert _sync_puts(sim, since) == [] and bot.sync_failure is None
    assert "unchanged" in caplog.text
    await sim.disconnect(bot)

    since = len(sim.calls)
    bot = await start_bot(sim, settings, bot_class=UpgradedBot)
    assert _sync_puts(sim, since) == [GLOBAL_COMMANDS]
    assert "hello" in {c["name"] for c in sim.app_commands[None]}
    await sim.disconnect(bot)

    since = len(sim.calls)
    bot = await start_bot(sim, settings)  # the upgrade rolled back: "hello" goes again
    assert _sync_puts(sim, since) == [GLOBAL_COMMANDS]
    assert "hello" not in {c["name"] for c in sim.app_commands[None]}
    await sim.disconnect(bot)


async def test_a_refused_sync_is_logged_with_discords_words_the_bot_runs_and_the_next_start_tries_again(
        cafe: Cafe, caplog: pytest.LogCaptureFixture) -> None:
    sim = cafe.sim
    await sim.disconnect(cafe.bot)
    before = list(sim.app_commands[None])
    recorded = await _last_hash(cafe.settings, sim.application_id, GLOBAL_SCOPE)
    body = {"0": {"name": {"_errors": [{"code": "APPLICATION_COMMAND_INVALID_NAME",
                                        "message": "Command name is invalid"}]}}}
    sim.faults.fail("PUT", GLOBAL_COMMANDS, error=http_error(400, 50035, "Invalid Form Body", errors=body))
    bot = await start_bot(sim, cafe.settings, bot_class=UpgradedBot)
    try:
        assert bot.sync_failure is not None and "Invalid Form Body" in bot.sync_failure
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("Discord refused" in e and "Invalid Form Body" in e and "Command name is invalid" in e
                   for e in errors), errors
        assert bot.is_ready() and bot.scheduler is not None
        assert sim.app_commands[None] == before  # what Discord had stays in place
        listed = await sim.slash(bot, cafe.people[0], "cafes", channel_id=cafe.announcements)
        assert "No cafés yet" in listed.content
        assert await _last_hash(cafe.settings, sim.application_id, GLOBAL_SCOPE) == recorded
    finally:
        await sim.disconnect(bot)
    since = len(sim.calls)
    bot = await start_bot(sim, cafe.settings, bot_class=UpgradedBot)
    assert _sync_puts(sim, since) == [GLOBAL_COMMANDS] and bot.sync_failure is None
    await sim.disconnect(bot)


async def test_a_sync_discord_keeps_waiting_does_not_hold_up_the_start(cafe: Cafe) -> None:
    sim = cafe.sim
    await sim.disconnect(cafe.bot)
    recorded = await _last_hash(cafe.settings, sim.application_id, GLOBAL_SCOPE)

    class Impatient(UpgradedBot):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.command_sync.patience = 0.2

    held = sim.faults.hang("PUT", GLOBAL_COMMANDS)  # as discord.py waits out a long rate limit
    bot = await start_bot(sim, cafe.settings, bot_class=Impatient)
    try:
        assert bot.sync_failure is not None and "no answer within" in bot.sync_failure
        assert bot.is_ready()
        assert await _last_hash(cafe.settings, sim.application_id, GLOBAL_SCOPE) == recorded
    finally:
        held.release()
        await sim.disconnect(bot)


async def test_a_development_server_is_synced_by_itself_and_only_when_changed(tmp_path: Path) -> None:
    sim, _ = make_guild()
    settings = parse_settings({"BLETHER_DATABASE": str(tmp_path / "blether.sqlite3"),
                               "BLETHER_EXPORTS_DIR": str(tmp_path / "exports"),
                               "BLETHER_PSEUDONYM_KEY": "ab" * 32, "BLETHER_DEV_GUILD_ID": str(sim.guild_id)})
    bot = await start_bot(sim, settings)
    assert _sync_puts(sim) == [GUILD_COMMANDS] and not sim.app_commands.get(None)
    assert "cafe" in {c["name"] for c in sim.app_commands[sim.guild_id]}
    await sim.disconnect(bot)
    assert await _last_hash(settings, sim.application_id, sim.guild_id) is not None
    assert await _last_hash(settings, sim.application_id, GLOBAL_SCOPE) is None
    since = len(sim.calls)
    bot = await start_bot(sim, settings)
    assert _sync_puts(sim, since) == []
    await sim.disconnect(bot)


async def test_the_bots_owner_syncs_on_demand_and_no_one_else_may(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    admin = sim.add_member("admin", roles=[sim.add_role("Admins", permissions=MANAGE_GUILD)])
    since = len(sim.calls)
    refused = await sim.slash(bot, admin, "blether sync", channel_id=cafe.announcements)
    assert "Only the bot's owner" in refused.content and _sync_puts(sim, since) == []
    synced = await sim.slash(bot, sim.owner, "blether sync", channel_id=cafe.announcements)
    assert "Synced" in synced.content and "everywhere" in synced.content, synced.content
    assert _sync_puts(sim, since) == [GLOBAL_COMMANDS]  # on demand, even though nothing changed
    here = await sim.slash(bot, sim.owner, "blether sync", channel_id=cafe.announcements, scope="here")
    assert f"on server {sim.guild_id}" in here.content, here.content
    assert _sync_puts(sim, since) == [GLOBAL_COMMANDS, GUILD_COMMANDS]


def test_blether_sync_on_the_host_logs_in_syncs_records_and_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    sim, _ = make_guild()
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN=sim-token\nBLETHER_DATABASE={tmp_path / 'blether.sqlite3'}\n"
                   f"BLETHER_EXPORTS_DIR={tmp_path / 'exports'}\nBLETHER_PSEUDONYM_KEY={'ab' * 32}\n")
    made: list[BletherBot] = []

    class OnTheSimulation(BletherBot):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            sim.attach(self)  # the host's network door, answered by the simulated Discord
            made.append(self)

    monkeypatch.setattr("bot.bot.BletherBot", OnTheSimulation)
    for name in ("DISCORD_TOKEN", "BLETHER_DATABASE", "BLETHER_DEV_GUILD_ID"):
        monkeypatch.delenv(name, raising=False)

    assert main(["--env-file", str(env), "sync", "--guild", str(sim.guild_id)]) == 0
    assert f"on server {sim.guild_id}" in capsys.readouterr().out
    assert _sync_puts(sim) == [GUILD_COMMANDS]
    assert "cafe" in {c["name"] for c in sim.app_commands[sim.guild_id]}
    [bot] = made
    assert bot.is_closed() and bot.scheduler is None  # no gateway, no café timers: it only synced
    settings = parse_settings({"BLETHER_DATABASE": str(tmp_path / "blether.sqlite3")})
    recorded = asyncio.run(_last_hash(settings, sim.application_id, sim.guild_id))
    [sent] = [c.json for c in sim.calls if c.method == "PUT"]
    assert recorded == payload_hash(sorted(sent, key=lambda command: (command.get("type", 1), command["name"])))

    async def start_on_that_server() -> list[str]:
        since = len(sim.calls)
        started = await start_bot(sim, parse_settings({
            "BLETHER_DATABASE": str(tmp_path / "blether.sqlite3"), "BLETHER_EXPORTS_DIR": str(tmp_path / "exports"),
            "BLETHER_PSEUDONYM_KEY": "ab" * 32, "BLETHER_DEV_GUILD_ID": str(sim.guild_id)}))
        await sim.disconnect(started)
        return _sync_puts(sim, since)

    # The bot itself starts without the CLI's stand-in class: a cog loaded afresh binds
    # `bot.bot.BletherBot` and must see the real one.
    monkeypatch.undo()
    assert asyncio.run(start_on_that_server()) == []  # the bot finds them in sync

    with pytest.raises(SystemExit) as refused:
        main(["--env-file", str(env), "sync", "--guild", "12"])
    assert refused.value.code == 2 and "is not a server id" in capsys.readouterr().err
