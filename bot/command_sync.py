"""Registering the slash commands with Discord only when they changed.

Discord keeps an application's commands until they are overwritten, and counts every command it
creates against a daily allowance per server (200 a day; see docs/rest-calls.md). Syncing on every
start spends that allowance and, when Discord refuses a payload, would make a restart depend on
Discord's mood. So the payload discord.py would send (`CommandTree.to_dict` of every command,
commands in a fixed order, JSON with sorted keys) is hashed, the hash of the last sync Discord
accepted is kept in the database per application and scope, and start-up syncs only when the two
differ. `blether sync` on the host and the owner's `/blether sync` sync on demand.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.store.command_syncs import GLOBAL_SCOPE, CommandSyncRepo

log = logging.getLogger(__name__)

#: How long a sync may take. discord.py waits out a rate limit however long Discord asks, and the
#: daily allowance of command creates answers 429 with a wait of hours: start-up must not hang on it.
SYNC_PATIENCE_SECONDS = 60.0


def commands_payload(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
    """What `tree.sync(guild=...)` uploads, in a fixed order (by type, then name). Options keep
    their order: Discord shows them as listed, so reordering them is a change worth syncing."""
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    return sorted(payload, key=lambda command: (int(command.get("type", 1)), str(command["name"])))


def payload_hash(payload: Sequence[dict[str, Any]]) -> str:
    """A stable digest of a payload: canonical JSON (sorted keys, no spaces, text as written)."""
    canonical = json.dumps(list(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def discord_says(exc: discord.HTTPException) -> str:
    """Discord's own words for a refusal. discord.py's CommandSyncFailure names the commands and
    fields at fault but drops Discord's message ("Invalid Form Body"), so both are kept."""
    if isinstance(exc, app_commands.CommandSyncFailure):
        message = (exc.text or "").split("\n", 1)[0]
        return f"{message}: {exc}" if message else str(exc)
    return str(exc)


def where(guild_id: int | None) -> str:
    return f"on server {guild_id}" if guild_id else "everywhere (global commands)"


@dataclass(frozen=True)
class SyncOutcome:
    """One sync, or the decision not to make one."""

    guild_id: int | None
    commands: int
    #: Discord was asked and accepted the commands
    synced: bool
    #: Discord's words when it refused them (nothing was recorded then)
    failure: str | None = None

    def describe(self) -> str:
        if self.failure is not None:
            return f"Discord refused the slash commands {where(self.guild_id)}: {self.failure}"
        if self.synced:
            return f"Synced {self.commands} slash command(s) {where(self.guild_id)}."
        return (f"The {self.commands} slash command(s) {where(self.guild_id)} are unchanged since the last sync; "
                "nothing was sent.")


class CommandSync:
    """Syncs the bot's command tree for one scope, remembering what Discord last accepted."""

    def __init__(self, bot: commands.Bot, repo: CommandSyncRepo, *,
                 patience: float = SYNC_PATIENCE_SECONDS) -> None:
        self.bot = bot
        self.repo = repo
        self.patience = patience

    async def sync(self, guild_id: int | None = None, *, force: bool = False) -> SyncOutcome:
        """Sync globally, or to one server (the global commands copied to it, which Discord shows
        there at once: for trying commands out). Unless forced, nothing is sent when the payload's
        hash equals the last accepted one. A refusal is logged with Discord's words and returned;
        the last accepted hash stays, so the next start tries again."""
        application_id = self.bot.application_id
        if application_id is None:
            raise RuntimeError("commands can be synced only once the bot has logged in")
        guild = discord.Object(id=guild_id) if guild_id else None
        tree = self.bot.tree
        if guild is not None:
            tree.copy_global_to(guild=guild)
        payload = commands_payload(tree, guild)
        digest = payload_hash(payload)
        scope = guild_id or GLOBAL_SCOPE
        if not force:
            last = await self.repo.last(application_id, scope)
            if last is not None and last.payload_hash == digest:
                log.info("slash commands %s unchanged since %s; not syncing", where(guild_id), last.synced_at)
                return SyncOutcome(guild_id, len(payload), synced=False)
        try:
            async with asyncio.timeout(self.patience):
                accepted = await tree.sync(guild=guild)
        except (discord.HTTPException, TimeoutError) as exc:
            failure = discord_says(exc) if isinstance(exc, discord.HTTPException) else (
                f"no answer within {self.patience:g} seconds (Discord may be rate limiting command creates, "
                "at most 200 a day per server); try `blether sync` later")
            log.error("Discord refused the slash commands %s (%s); Blether runs on with the commands it "
                      "registered before", where(guild_id), failure)
            return SyncOutcome(guild_id, len(payload), synced=False, failure=failure)
        await self.repo.record(application_id, scope, digest, len(accepted))
        log.info("synced %s slash command(s) %s", len(accepted), where(guild_id))
        return SyncOutcome(guild_id, len(accepted), synced=True)
