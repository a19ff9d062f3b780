"""``SimulatedDiscord``: a whole guild at discord.py's wire boundary.

The bot under test is a real ``discord.Client``; only its two doors to the network are
replaced. ``HTTPClient.request`` and the interaction webhook adapter (found through the
``async_context`` ContextVar) are answered by the in-memory guild, and gateway events are
fed straight into discord.py's own parsers instead of arriving over a websocket. So the
bot's cache, its command tree, its views and modals all run as they do in production,
and every call it makes is recorded in ``calls``.
"""

from __future__ import annotations

import asyncio
import copy
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiohttp
import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from .faults import Faults
from .interactions import InteractionRoutes
from .models import (
    InteractionResult,
    RecordedCall,
    SimMember,
    SimMessage,
    SimulationError,
    UnknownRouteError,
)
from .routing import ROUTES, RequestContext, http_error, path_args, path_of, split_multipart
from .settle import TaskWatcher
from .state import DM, GUILD_CATEGORY

_GUILD_EVENTS = {"CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "GUILD_ROLE_CREATE",
                 "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE"}  # fmt: skip
_MEMBER_EVENTS = {"GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"}
_MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"}
_REACTION_EVENTS = {"MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"}


class _SimWebhookAdapter(AsyncWebhookAdapter):
    """Interaction responses and follow-ups, answered by the simulation instead of aiohttp."""

    def __init__(self, sim: SimulatedDiscord, bot: discord.Client) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # discord.py leaves this __init__ unannotated
        self._sim = sim
        self._bot = bot

    async def request(
        self,
        route: Route,
        session: aiohttp.ClientSession,
        *,
        payload: dict[str, Any] | None = None,
        multipart: list[dict[str, Any]] | None = None,
        proxy: str | None = None,
        proxy_auth: aiohttp.BasicAuth | None = None,
        files: Sequence[discord.File] | None = None,
        reason: str | None = None,
        auth_token: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        return await self._sim._handle(
            self._bot, route, via="webhook", json=payload, form=multipart, params=params, reason=reason
        )


class _SimGateway:
    """Stands in for the websocket discord.py would hold: presence updates are recorded."""

    def __init__(self, sim: SimulatedDiscord) -> None:
        self._sim = sim
        self.open = True
        self.latency = 0.0
        self.shard_id = None

    async def change_presence(
        self, *, activity: discord.BaseActivity | None = None, status: str | None = None, since: float = 0.0
    ) -> None:
        self._sim.presence = {"activity": activity, "status": status}

    def is_ratelimited(self) -> bool:
        return False

    async def close(self, code: int = 1000) -> None:
        self.open = False

    async def request_chunks(self, *args: Any, **kwargs: Any) -> None:
        raise SimulationError("member chunking is not simulated: the bot should not need the members intent")


class SimulatedDiscord(InteractionRoutes):
    """A simulated Discord guild that a real discord.py bot can log in to, offline.

    Typical use::

        sim = SimulatedDiscord()
        alice = sim.add_member("Alice")
        await sim.connect(bot)
        result = await sim.slash(bot, alice, "cafe schedule", when="tomorrow")
        await sim.disconnect(bot)
    """

    def __init__(
        self, *, seed: int = 0, guild_name: str = "Blether Test Guild", start_time: datetime | None = None
    ) -> None:
        self._bot: discord.Client | None = None
        self._online = False
        self._adapters: dict[int, _SimWebhookAdapter] = {}
        #: bots whose process died (``crash``): a dead process makes no more calls
        self._crashed: weakref.WeakSet[discord.Client] = weakref.WeakSet()
        #: every REST and webhook call, in order
        self.calls: list[RecordedCall] = []
        #: "METHOD template" of every call nobody answers (also raised as UnknownRouteError)
        self.unknown_routes: list[str] = []
        #: the last presence the bot set (activity, status)
        self.presence: dict[str, Any] | None = None
        self.watcher = TaskWatcher()
        #: calls to make fail or hang (see ``bot.simulation.faults``)
        self.faults = Faults()
        #: the HTTP status of a missing-permissions error (code 50013): Discord answers 403,
        #: but a Discord-compatible server has been seen answering 400 with the same code,
        #: so set 400 to check the bot goes by the code, not the status
        self.missing_permissions_status = 403
        super().__init__(seed=seed, guild_name=guild_name, start_time=start_time, emit=self._emit_event)

    # -- the wire --------------------------------------------------------------------------

    async def _handle(
        self,
        bot: discord.Client | None,
        route: Route,
        *,
        via: str,
        json: Any = None,
        form: Sequence[dict[str, Any]] | None = None,
        params: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> Any:
        path = path_of(route)
        files: list[tuple[int, str, bytes]] = []
        form_record = None
        if form:
            json, files, form_record = split_multipart(form)
        call = RecordedCall(
            method=route.method,
            path=path,
            template=route.path,
            json=copy.deepcopy(json),
            files=[(name, data) for _, name, data in files],
            form=form_record,
            params=dict(params) if params else None,
            reason=reason,
            via=via,
        )
        if bot is not None and bot in self._crashed:
            raise SimulationError("a crashed bot made a call: its process is dead, nothing of it may run on")
        self.calls.append(call)
        due_after = await self.faults.before(call)
        handler = ROUTES.get(f"{route.method} {route.path}")
        if handler is None:
            self.unknown_routes.append(f"{route.method} {route.path}")
            raise UnknownRouteError(
                f"the simulated Discord does not answer {route.method} {route.path} (called as {path}); "
                "add a handler in bot/simulation"
            )
        ctx = RequestContext(
            bot=bot,
            method=route.method,
            template=route.path,
            path=path,
            args=path_args(route.path, path),
            json=json,
            files=files,
            params=dict(params or {}),
            reason=reason,
            via=via,
        )
        try:
            answer = copy.deepcopy(getattr(self, handler)(ctx))
        except discord.HTTPException as error:
            if error.code == 50013 and error.status == 403 and self.missing_permissions_status != 403:
                raise http_error(self.missing_permissions_status, 50013, error.text) from None
            raise
        self.faults.after(due_after)
        return answer

    def calls_matching(self, method: str, path_prefix: str = "") -> list[RecordedCall]:
        """Recorded calls with this method whose path (or route template) starts with the prefix."""
        return [
            c
            for c in self.calls
            if c.method == method.upper() and (c.path.startswith(path_prefix) or c.template.startswith(path_prefix))
        ]

    def attach(self, bot: discord.Client) -> None:
        """Route the bot's REST and webhook traffic here. Call before ``bot.login``."""
        if isinstance(bot, discord.AutoShardedClient):
            raise SimulationError("AutoShardedClient is not simulated; use discord.Client or commands.Bot")
        if self._bot is not None and self._bot is not bot and self._online:
            raise SimulationError("another bot is connected; disconnect it first")
        sim = self

        async def request(
            route: Route,
            *,
            files: Sequence[discord.File] | None = None,
            form: Iterable[dict[str, Any]] | None = None,
            **kwargs: Any,
        ) -> Any:
            return await sim._handle(
                bot,
                route,
                via="rest",
                json=kwargs.get("json"),
                form=list(form) if form is not None else None,
                params=kwargs.get("params"),
                reason=kwargs.get("reason"),
            )

        async def get_from_cdn(url: str) -> bytes:
            return sim.cdn_get(url)

        # discord.py's two REST doors are answered here instead of by aiohttp.
        bot.http.request = request  # type: ignore[method-assign]  # see above
        bot.http.get_from_cdn = get_from_cdn  # type: ignore[method-assign]  # see above
        self._adapters[id(bot)] = _SimWebhookAdapter(self, bot)
        async_context.set(self._adapters[id(bot)])
        self._bot = bot

    # -- the gateway -------------------------------------------------------------------------

    def _feed(self, bot: discord.Client, event: str, payload: dict[str, Any]) -> None:
        """Hand one gateway event to discord.py's own parser, as the websocket would."""
        # Tasks spawned by the dispatch copy this context, so the bot's interaction
        # responses find the simulated webhook adapter whichever task created the bot.
        async_context.set(self._adapters[id(bot)])
        bot._connection.parsers[event](copy.deepcopy(payload))

    def _emit_event(self, event: str, payload: dict[str, Any]) -> None:
        bot = self._bot
        if bot is None or not self._online:
            return  # nobody connected: like Discord, events while the bot is down are lost
        received = self._as_received(bot, event, payload)
        if received is not None:
            self._feed(bot, event, received)

    def _as_received(self, bot: discord.Client, event: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The event as this bot would get it given its intents, or None if it wouldn't."""
        intents = bot.intents
        in_dm = "guild_id" not in payload
        if event in _GUILD_EVENTS:
            return payload if intents.guilds else None
        if event in _MEMBER_EVENTS:
            return payload if intents.members else None
        if event in _REACTION_EVENTS:
            wanted = intents.dm_reactions if in_dm else intents.guild_reactions
            return payload if wanted else None
        if event not in _MESSAGE_EVENTS:
            return payload
        if in_dm and not intents.dm_messages:
            return None
        if not in_dm:
            if not intents.guild_messages:
                return None
            if not self.can_view(self.bot_user, int(payload["channel_id"])):
                return None
        if event == "MESSAGE_DELETE" or intents.message_content or in_dm:
            return payload
        author = payload["author"]["id"]
        mentioned = any(m["id"] == str(self.bot_user.id) for m in payload.get("mentions", []))
        if author == str(self.bot_user.id) or mentioned:
            return payload
        # Without the message content intent Discord blanks these fields.
        return {**payload, "content": "", "embeds": [], "attachments": [], "components": []}

    def _ready_payload(self) -> dict[str, Any]:
        return {
            "v": 10,
            "user": {**self.user_payload(self.bot_user), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": self.clock.token("sim-session"),
            "resume_gateway_url": "wss://gateway.discord.gg",
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
        }

    def _guild_create_payload(self, bot: discord.Client) -> dict[str, Any]:
        # Without the members intent, GUILD_CREATE carries only the bot's own member.
        members = list(self.members.values()) if bot.intents.members else [self.bot_user]
        return {
            **self.guild_payload(),
            "joined_at": self.clock.iso(self.bot_user.joined_at),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [self.member_payload(m) for m in members],
            "channels": [{k: v for k, v in c.items() if k != "guild_id"} for c in self.guild_channels()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def connect(self, bot: discord.Client) -> None:
        """Log the bot in (running its setup_hook), then READY + GUILD_CREATE until it is ready."""
        if self._bot is not bot:
            self.attach(bot)
        self.watcher.ignore_existing()
        async_context.set(self._adapters[id(bot)])
        await bot.login("sim-token")
        bot.ws = _SimGateway(self)  # type: ignore[assignment]  # stands in for the websocket
        state = bot._connection
        # discord.py waits guild_ready_timeout (2s) after the last GUILD_CREATE before
        # on_ready; the simulation sends every guild at once, so a moment is enough.
        usual_timeout = state.guild_ready_timeout
        state.guild_ready_timeout = 0.01
        try:
            self._online = True
            self._feed(bot, "READY", self._ready_payload())
            self._feed(bot, "GUILD_CREATE", self._guild_create_payload(bot))
            await asyncio.wait_for(bot.wait_until_ready(), timeout=5)
        finally:
            state.guild_ready_timeout = usual_timeout
        await self.settle()
        # Whatever is still alive now (scheduler loops, queue workers) is infrastructure.
        self.watcher.ignore_existing()

    async def disconnect(self, bot: discord.Client) -> None:
        """Let the bot finish what it is doing, then close it, so another instance can connect."""
        if bot is not self._bot:
            raise SimulationError("that bot is not the one connected to this simulation")
        await self.settle()
        self._online = False
        await bot.close()
        self._bot = None
        self._adapters.pop(id(bot), None)

    async def crash(self, bot: discord.Client) -> None:
        """The bot's process dies. Unlike ``disconnect``, nothing it was doing is waited for: its
        reactions still in flight are cancelled where they stand (a transaction they had begun
        rolls back, as SQLite does for a dead process), no event reaches it any more, any call it
        still tried would raise, and another instance may connect. Its own timers and its
        database connection are the test's to stop: the simulation cannot tell them apart from
        the test's own tasks."""
        if bot is not self._bot:
            raise SimulationError("that bot is not the one connected to this simulation")
        self._online = False
        self._bot = None
        self._adapters.pop(id(bot), None)
        self._crashed.add(bot)
        await self.watcher.abandon()

    async def settle(self) -> None:
        """Wait until the bot has finished reacting to everything fed so far."""
        await self.watcher.settle()

    def _connected(self, bot: discord.Client) -> None:
        if bot is not self._bot or not self._online:
            raise SimulationError("that bot is not connected to this simulation (use say_offline for downtime)")

    # -- what simulated people do ----------------------------------------------------------

    def _attachments_for(
        self, channel_id: int, attachments: Sequence[tuple[str, str] | tuple[str, str, bytes]]
    ) -> list[dict[str, Any]]:
        result = []
        for item in attachments:
            filename, content_type = item[0], item[1]
            data = item[2] if len(item) > 2 else filename.encode()
            result.append(self._attachment(channel_id, filename, data, content_type))
        return result

    def _post_as(
        self,
        user: SimMember | int,
        channel_id: int,
        text: str,
        reply_to: int | None,
        attachments: Sequence[tuple[str, str] | tuple[str, str, bytes]],
    ) -> SimMessage:
        member = self.member(user)
        self._user_can_post(member, channel_id, attachments=bool(attachments))
        if reply_to is not None:
            target = self._messages.get(reply_to)
            if target is None or target.deleted or target.channel_id != channel_id:
                raise SimulationError(f"cannot reply to {reply_to}: not a message in that channel")
        return self._store_message(
            channel_id,
            member.id,
            content=text,
            attachments=self._attachments_for(channel_id, attachments),
            reference_id=reply_to,
        )

    async def say(
        self,
        bot: discord.Client,
        user: SimMember | int,
        channel_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        attachments: Sequence[tuple[str, str] | tuple[str, str, bytes]] = (),
        wait: bool = True,
    ) -> SimMessage:
        """A member posts in a channel; raises SimPermissionError if they can't see or post there.

        ``attachments`` are ``(filename, content_type)`` or ``(filename, content_type, data)``.
        ``wait=False`` returns once the gateway event is delivered, before the bot has reacted,
        so a ``crash`` can fall between Discord having the message and the bot handling it.
        """
        self._connected(bot)
        message = self._post_as(user, channel_id, text, reply_to, attachments)
        self._emit("MESSAGE_CREATE", self.message_payload(message))
        if wait:
            await self.settle()
        return message

    def say_offline(
        self,
        user: SimMember | int,
        channel_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        attachments: Sequence[tuple[str, str] | tuple[str, str, bytes]] = (),
    ) -> SimMessage:
        """A message written while the bot is down: stored, no gateway event (for backfill)."""
        if self._online:
            raise SimulationError("the bot is connected: use say() so it gets the gateway event")
        return self._post_as(user, channel_id, text, reply_to, attachments)

    async def say_dm(self, bot: discord.Client, user: SimMember | int, text: str) -> SimMessage:
        """A member writes to the bot by DM."""
        self._connected(bot)
        member = self.member(user)
        channel_id = self.dm_channel_id(member)
        message = self._store_message(channel_id, member.id, content=text)
        self._emit("MESSAGE_CREATE", self.message_payload(message))
        await self.settle()
        return message

    async def edit(self, bot: discord.Client, message_id: int, text: str) -> None:
        """The author of a (non-bot) message edits it."""
        self._connected(bot)
        message = self.message(message_id)
        if message.author_id == self.bot_user.id:
            raise SimulationError("simulated people cannot edit the bot's messages")
        message.content = text
        self._mark_edited(message)
        self._emit("MESSAGE_UPDATE", self.message_payload(message))
        await self.settle()

    async def delete(self, bot: discord.Client, message_id: int) -> None:
        """The author (or a moderator) deletes a message."""
        self._connected(bot)
        self._delete(self.message(message_id))
        await self.settle()

    def edit_offline(self, message_id: int, text: str) -> SimMessage:
        """The author edits a message while the bot is down: history shows the new text and
        its ``edited_timestamp``, but no MESSAGE_UPDATE reaches the bot."""
        message = self._offline_target(message_id, "edit")
        if message.author_id == self.bot_user.id:
            raise SimulationError("simulated people cannot edit the bot's messages")
        message.content = text
        self._mark_edited(message)
        return message

    def delete_offline(self, message_id: int) -> None:
        """A message deleted while the bot is down: gone from the channel, no gateway event reaches the bot."""
        self._offline_target(message_id, "delete").deleted = True

    def _offline_target(self, message_id: int, action: str) -> SimMessage:
        if self._online:
            raise SimulationError(f"the bot is connected: use {action}() so it gets the gateway event")
        message = self.message(message_id)
        if message.deleted or message.visible_to is not None:
            raise SimulationError(f"cannot {action} message {message_id}: it is not in any channel's history")
        return message

    async def _run_interaction(self, bot: discord.Client, payload: dict[str, Any], token: str) -> InteractionResult:
        self._feed(bot, "INTERACTION_CREATE", payload)
        await self.settle()
        return self._pending[token].result

    async def slash(
        self,
        bot: discord.Client,
        user: SimMember | int,
        command: str,
        *,
        channel_id: int | None = None,
        **options: Any,
    ) -> InteractionResult:
        """A member runs a slash command (``"cafe schedule"`` = group cafe, subcommand schedule).

        Option values: str/int/bool/float, a SimMember (or member id) for user options,
        a channel id for channel options, a role id or name for role options, and
        ``(filename, bytes)`` for attachment options.
        """
        self._connected(bot)
        member = self.member(user)
        channel_id = channel_id or self.general_channel_id
        channel = self.channels.get(channel_id)
        if channel is None or channel["type"] == GUILD_CATEGORY:
            raise SimulationError(f"cannot run a command in {channel_id}")
        if channel["type"] != DM and not self.can_view(member, channel_id):
            raise SimulationError(f"{member.display_name} cannot see that channel")
        data = self._build_slash(bot, member, channel_id, command, options)
        payload, pending = self._new_interaction(2, member, channel_id, data)
        return await self._run_interaction(bot, payload, pending.token)

    async def message_command(self, bot: discord.Client, user: SimMember | int, message: SimMessage | int,
                              name: str) -> InteractionResult:
        """A member right-clicks a message and picks the app command `name` (Apps → name)."""
        self._connected(bot)
        member = self.member(user)
        target = self.message(message.id if isinstance(message, SimMessage) else message)
        if target.deleted:
            raise SimulationError(f"message {target.id} was deleted")
        data = self._build_message_command(bot, member, target, name)
        payload, pending = self._new_interaction(2, member, target.channel_id, data)
        return await self._run_interaction(bot, payload, pending.token)

    async def autocomplete(
        self,
        bot: discord.Client,
        user: SimMember | int,
        command: str,
        *,
        focused: str,
        typed: str,
        channel_id: int | None = None,
        **options: Any,
    ) -> InteractionResult:
        """A member types `typed` into option `focused` of a slash command (other options as in
        :meth:`slash`); the result's `choices` are what Discord would show them."""
        self._connected(bot)
        member = self.member(user)
        channel_id = channel_id or self.general_channel_id
        data = self._build_slash(bot, member, channel_id, command, options, focus=(focused, typed))
        payload, pending = self._new_interaction(4, member, channel_id, data)
        pending.option_type = next(o["type"] for o in _leaf_options(data) if o.get("focused"))
        return await self._run_interaction(bot, payload, pending.token)

    async def click(
        self,
        bot: discord.Client,
        user: SimMember | int,
        message: SimMessage | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> InteractionResult:
        """A member presses a button (or picks ``values`` in a select) on a message."""
        self._connected(bot)
        member = self.member(user)
        target = self.message(message.id if isinstance(message, SimMessage) else message)
        data = self._build_click(member, target, custom_id, values)
        payload, pending = self._new_interaction(
            3, member, target.channel_id, data, message=target, source_message_id=target.id
        )
        return await self._run_interaction(bot, payload, pending.token)

    async def submit_modal(
        self,
        bot: discord.Client,
        user: SimMember | int,
        custom_id: str,
        fields: dict[str, Any],
        *,
        channel_id: int | None = None,
    ) -> InteractionResult:
        """A member fills in and submits a modal the bot opened for them.

        ``fields`` is keyed by each input's custom_id or its label; the channel defaults to
        where the modal was opened.
        """
        self._connected(bot)
        member = self.member(user)
        data, opened_in, source_id = self._build_modal_submit(member, custom_id, fields)
        source = self._messages.get(source_id) if source_id is not None else None
        payload, pending = self._new_interaction(
            5, member, channel_id or opened_in, data, message=source, source_message_id=source_id
        )
        return await self._run_interaction(bot, payload, pending.token)

    # -- reading the world back --------------------------------------------------------------

    def transcript(self) -> str:
        """Every channel and DM, readable: for debugging and the rehearsal printout."""
        lines: list[str] = [f"== {self.guild_name} =="]
        categories = {c["id"]: c for c in self.guild_channels() if c["type"] == GUILD_CATEGORY}

        def sort_key(channel: dict[str, Any]) -> tuple[int, int]:
            parent = categories.get(channel.get("parent_id") or "")
            return (parent["position"] + 1 if parent else 0, channel["position"])

        for channel in sorted((c for c in self.guild_channels() if c["type"] != GUILD_CATEGORY), key=sort_key):
            parent = categories.get(channel.get("parent_id") or "")
            lines.append(f"\n#{channel['name']}" + (f"  (in {parent['name']})" if parent else ""))
            lines.extend(self._transcript_lines(int(channel["id"])))
        for user_id, channel_id in self._dm_channels.items():
            lines.append(f"\nDM with {self.members[user_id].display_name}")
            lines.extend(self._transcript_lines(channel_id))
        return "\n".join(lines)

    def _transcript_lines(self, channel_id: int) -> list[str]:
        lines = []
        for message in self.messages(channel_id):
            author = self.members[message.author_id].display_name
            stamp = message.timestamp.strftime("%H:%M:%S") if message.timestamp else "--:--:--"
            text = message.text.replace("\n", "\n    ") or "(no text)"
            extras = [f"[{a['filename']}]" for a in message.attachments]
            extras += [f"[button: {c.get('label') or c.get('custom_id')}]" for c in message.iter_components()
                       if c.get("type") == 2]  # fmt: skip
            edited = " (edited)" if message.edited else ""
            lines.append(f"  [{stamp}] {author}: {text}{edited} {' '.join(extras)}".rstrip())
        return lines


def _leaf_options(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The options of the subcommand actually run (below any group and subcommand levels)."""
    options: list[dict[str, Any]] = data.get("options") or []
    while options and options[0]["type"] in (1, 2):
        options = options[0].get("options") or []
    return options
