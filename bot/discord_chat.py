"""The `Chat` port over discord.py, and the Bot that owns the store, scheduler and services."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import discord
from discord.ext import commands

from bot.config import Settings
from bot.core.clock import Clock, RealClock
from bot.core.models import GuildConfig, Step
from bot.core.timeline import ACTIVE_STATES, StepKind
from bot.schedule.scheduler import StepScheduler
from bot.services.cafes import CafeService, plan_of
from bot.services.capture import CaptureService
from bot.services.chat import Attachment, Button, ButtonStyle, ChatMessage
from bot.services.consent import ConsentService
from bot.services.errors import UserError
from bot.services.messages import message
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.services.privacy import PrivacyService
from bot.store.db import Database
from bot.store.guilds import GuildRepo, pseudonym_key
from bot.store.sessions import SessionRepo
from cogs.common import ErasableCog, on_command_error

log = logging.getLogger(__name__)

COGS = ("cogs.setup", "cogs.cafe", "cogs.consent", "cogs.capture")

_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}

# What a participant may do in their room; the rest of the server's channels are untouched.
_MEMBER = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, attach_files=True, add_reactions=True
)
_HIDDEN = discord.PermissionOverwrite(view_channel=False)
_BOT = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, manage_channels=True,
    manage_permissions=True, embed_links=True, attach_files=True,
)


_ROLE_OVERWRITE = 0
_MEMBER_OVERWRITE = 1

Overwrites = dict[discord.abc.Snowflake, discord.PermissionOverwrite]


def intents() -> discord.Intents:
    """The least Blether needs: servers, their messages and DMs. Message content is privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


def to_chat_message(message: discord.Message) -> ChatMessage:
    reference = message.reference.message_id if message.reference and message.type is discord.MessageType.reply \
        else None
    return ChatMessage(
        id=message.id,
        channel_id=message.channel.id,
        author_id=message.author.id,
        author_is_bot=message.author.bot,
        content=message.content,
        created_at=message.created_at,
        reply_to_id=reference,
        attachments=tuple(Attachment(a.filename, a.content_type) for a in message.attachments),
        is_system=message.type not in (discord.MessageType.default, discord.MessageType.reply),
    )


def _view(buttons: Sequence[Button]) -> discord.ui.View | None:
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(discord.ui.Button(label=button.label, custom_id=button.custom_id, style=_STYLES[button.style]))
    return view


class DiscordChat:
    """Implements `bot.services.chat.Chat` with discord.py calls."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise RuntimeError(f"Blether is not in server {guild_id}")
        return guild

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        assert isinstance(channel, discord.abc.Messageable)
        return channel

    def _staff(self, guild: discord.Guild, staff_roles: Sequence[str]) -> Overwrites:
        overwrites: Overwrites = {
            guild.default_role: _HIDDEN, guild.me: _BOT,
        }
        for name in staff_roles:
            role = discord.utils.get(guild.roles, name=name)
            if role is not None:
                overwrites[role] = _MEMBER
        return overwrites

    async def create_category(self, guild_id: int, name: str, *, staff_roles: Sequence[str]) -> int:
        guild = self._guild(guild_id)
        category = await guild.create_category(name[:100], overwrites=self._staff(guild, staff_roles),
                                               reason="Blether café opening")
        return category.id

    async def create_room(
        self, guild_id: int, category_id: int, name: str, *, members: Sequence[int], staff_roles: Sequence[str],
        topic: str,
    ) -> int:
        guild = self._guild(guild_id)
        overwrites = self._staff(guild, staff_roles)
        for member_id in members:
            overwrites[discord.Object(id=member_id)] = _MEMBER
        category = guild.get_channel(category_id)
        channel = await guild.create_text_channel(
            name, category=category if isinstance(category, discord.CategoryChannel) else None,
            overwrites=overwrites, topic=topic[:1024], reason="Blether breakout room",
        )
        return channel.id

    async def set_members(self, channel_id: int, *, add: Sequence[int], remove: Sequence[int]) -> None:
        """Per-member overwrites by id: without the members intent there are no Member objects
        to hand to `set_permissions`, so this speaks the endpoint directly (one call per person)."""
        allow, deny = _MEMBER.pair()
        for member_id in add:
            await self.client.http.edit_channel_permissions(
                channel_id, member_id, str(allow.value), str(deny.value), _MEMBER_OVERWRITE, reason="Blether room")
        for member_id in remove:
            await self.client.http.delete_channel_permissions(channel_id, member_id, reason="Blether room")

    async def lock(self, channel_id: int) -> None:
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        me = self.client.user
        for target, overwrite in list(channel.overwrites.items()):
            if (me is not None and target.id == me.id) or (isinstance(target, discord.Role) and target.is_default()):
                continue
            if overwrite.send_messages:
                locked = discord.PermissionOverwrite.from_pair(*overwrite.pair())
                locked.send_messages = False
                locked.add_reactions = False
                allow, deny = locked.pair()
                kind = _ROLE_OVERWRITE if isinstance(target, discord.Role) else _MEMBER_OVERWRITE
                await self.client.http.edit_channel_permissions(
                    channel_id, target.id, str(allow.value), str(deny.value), kind, reason="Blether café closed")

    async def post(self, channel_id: int, text: str, *, buttons: Sequence[Button] = ()) -> int:
        channel = await self._channel(channel_id)
        view = _view(buttons)
        sent = await (channel.send(text, view=view) if view else channel.send(text))
        return sent.id

    async def post_file(self, channel_id: int, text: str, filename: str, data: bytes) -> int:
        channel = await self._channel(channel_id)
        sent = await channel.send(text, file=discord.File(io.BytesIO(data), filename=filename))
        return sent.id

    async def dm(self, user_id: int, text: str, *, filename: str | None = None, data: bytes | None = None) -> bool:
        try:
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            if filename is not None and data is not None:
                await user.send(text, file=discord.File(io.BytesIO(data), filename=filename))
            else:
                await user.send(text)
        except (discord.Forbidden, discord.NotFound):
            return False
        return True

    async def history_after(self, channel_id: int, after_message_id: int | None) -> AsyncIterator[ChatMessage]:
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        after = discord.Object(id=after_message_id) if after_message_id else None
        async for seen in channel.history(limit=None, after=after, oldest_first=True):
            yield to_chat_message(seen)


def _missing_permissions(exc: Exception) -> bool:
    """Judged by Discord's code 50013, not the status: a compatible server may answer 400, not 403."""
    return isinstance(exc, discord.Forbidden) or (isinstance(exc, discord.HTTPException) and exc.code == 50013)


@dataclass
class Services:
    cafes: CafeService
    consent: ConsentService
    capture: CaptureService
    privacy: PrivacyService
    guilds: GuildRepo


class BletherBot(commands.Bot):
    """setup_hook opens the store, starts the scheduler, registers persistent views, loads cogs."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, plans_dir: Path = DEFAULT_PLANS_DIR,
                 sync_commands: bool = True) -> None:
        # Blether never joins voice: discord.py's start-up warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None)
        self.tree.error(on_command_error)
        self.settings = settings
        self.clock: Clock = clock or RealClock()
        self.plans_dir = plans_dir
        self.sync_commands = sync_commands
        self.db = Database(settings.database_path)
        self.chat = DiscordChat(self)
        self._services: Services | None = None
        self.scheduler: StepScheduler | None = None
        self._backfilled = False

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are ready only after setup_hook")
        return self._services

    async def setup_hook(self) -> None:
        await self.db.open()
        key = await pseudonym_key(self.db, self.settings.pseudonym_key)
        cafes = CafeService(self.db, self.chat, self.clock, plans_dir=self.plans_dir)
        self._services = Services(
            cafes=cafes, consent=ConsentService(self.db), capture=CaptureService(self.db, key),
            privacy=PrivacyService(self.db), guilds=GuildRepo(self.db),
        )
        self.scheduler = StepScheduler(SessionRepo(self.db), self.clock, self.run_step)
        cafes.set_timeline_listener(self.scheduler.reconcile)
        await self.scheduler.start()
        for extension in COGS:
            await self.load_extension(extension)
        if self.sync_commands:
            await self._sync()

    async def _sync(self) -> None:
        guild_id = self.settings.dev_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_ready(self) -> None:
        """Backfill first (the rounds have not moved while we were away), then start the timeline."""
        if self._backfilled:
            await self.backfill()
            return
        self._backfilled = True
        try:
            await self.backfill(sweep_deletions=True)
        finally:
            # Whatever backfill met, the cafés' timelines must go on.
            assert self.scheduler is not None
            await self.scheduler.reconcile()
            self.scheduler.add_daily("retention", self.retention)
        log.info("Blether is ready as %s in %s server(s)", self.user, len(self.guilds))

    async def on_resumed(self) -> None:
        await self.backfill()

    async def backfill(self, *, sweep_deletions: bool = False) -> None:
        sessions = await SessionRepo(self.db).in_states(list(ACTIVE_STATES))
        for session in sessions:
            if self.get_guild(session.guild_id) is None:
                continue
            try:
                await self.services.capture.backfill(self.chat, session, sweep_deletions=sweep_deletions)
            except Exception:
                log.exception("backfill of café #%s failed; live capture continues", session.id)

    async def retention(self) -> None:
        deleted = await self.services.privacy.retention_sweep(self.clock.now(), self.settings.retention_days)
        if deleted:
            log.info("retention: deleted %s contribution(s) past their retention period", deleted)

    async def run_step(self, step: Step) -> None:
        """Run one timeline step; if it fails, the hosts hear about it instead of a silent stall."""
        try:
            await self._run_step(step)
        except Exception as exc:
            await self._tell_hosts_step_failed(step, exc)
            raise

    async def _tell_hosts_step_failed(self, step: Step, exc: Exception) -> None:
        session = await self.services.cafes.sessions.get(step.session_id)
        config = await self.services.guilds.get(session.guild_id) if session else None
        if session is None or config is None:
            return
        reason = str(exc) if isinstance(exc, UserError) else (
            "Discord refused: check that Blether has Manage Channels, Manage Roles, View Channels and Send "
            "Messages." if _missing_permissions(exc) else "an unexpected error (see the bot's log)")
        text = message("step_failed", session=session, step=step, reason=reason)
        for channel_id in {config.organisers_channel_id, config.facilitators_channel_id} - {None}:
            try:
                await self.chat.post(channel_id, text)  # type: ignore[arg-type]
            except discord.HTTPException:
                log.exception("could not tell the hosts that a step of café #%s failed", session.id)

    async def _run_step(self, step: Step) -> None:
        cafes = self.services.cafes
        if step.kind is StepKind.REMINDER:
            await cafes.remind(step.session_id)
        elif step.kind is StepKind.OPEN:
            session = await cafes.require(step.session_id)
            if self.clock.now() > session.starts_at + timedelta(minutes=plan_of(session).total_minutes):
                raise UserError(f"Café #{session.id} was due to open at its start time, but Blether was offline "
                                "until after it should have ended, so it was not opened. Schedule it again.")
            config = await self.services.guilds.get(session.guild_id)
            if config is None:
                config = self.default_config(session.guild_id)
            await cafes.open(step.session_id, config)
        elif step.kind is StepKind.ROUND:
            await cafes.start_round(step.session_id, step.round_number)
        elif step.kind is StepKind.CLOSE:
            await cafes.close(step.session_id, actor_id=None)

    async def erase_user(self, user_id: int) -> int:
        """An erasure request: every cog's hook, the one that owns the person row last."""
        hooks = sorted((cog for cog in self.cogs.values() if isinstance(cog, ErasableCog)),
                       key=lambda cog: "participants" in cog.personal_tables)
        erased = 0
        for cog in hooks:
            erased += sum((await cog.erase_user_data(user_id)).values())
        return erased

    def default_config(self, guild_id: int) -> GuildConfig:
        return GuildConfig(
            guild_id=guild_id, organiser_role=self.settings.organiser_role,
            facilitator_role=self.settings.facilitator_role, facilitators_channel_id=None,
            organisers_channel_id=None, timezone=self.settings.timezone, retention_days=self.settings.retention_days,
        )

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        await super().close()
        await self.db.close()
