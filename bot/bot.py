"""The composition root: the Bot subclass wires store, clock, scheduler and services, and loads cogs.

Nothing here decides anything about a café; it only connects the parts (python-discord's
`bot/bot.py` is the model). No module under `bot/` imports `cogs/`: extensions are found by
walking the `cogs` package, so a new feature is added by dropping a module there.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import discord
from discord.ext import commands

from bot.command_sync import CommandSync
from bot.config import Settings
from bot.core.clock import Clock, RealClock
from bot.core.models import GuildConfig, Step
from bot.core.timeline import ACTIVE_STATES, Misfire
from bot.discord_chat import DiscordChat, intents
from bot.schedule.scheduler import StepScheduler
from bot.services.cafes import Cafes
from bot.services.capture import CaptureService, CatchUp
from bot.services.closing import ClosingService
from bot.services.consent import ConsentService
from bot.services.controls import ControlsService
from bot.services.dashboard import DashboardService
from bot.services.events import EventMirror
from bot.services.exports import remove_old_host_copies
from bot.services.feedback import FeedbackService
from bot.services.floor import FloorService
from bot.services.hosts import HostsNotifier
from bot.services.overview import OverviewService
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.services.presses import Presses
from bot.services.privacy import PrivacyService
from bot.services.prize_draw import PrizeDrawService
from bot.services.reminders import RemindersService
from bot.services.report_back import ReportBackService
from bot.services.rsvp import RsvpService
from bot.services.scheduling import SchedulingService
from bot.services.servers import ServerSettings
from bot.services.steps import StepKinds, StepRunner
from bot.services.summaries import KeyPointService, SummaryService
from bot.services.support import SupportService
from bot.services.tables import TablesService
from bot.services.wellbeing import WellbeingService
from bot.store.command_syncs import CommandSyncRepo
from bot.store.db import Database, open_database
from bot.store.guilds import GuildRepo, pseudonym_key
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

log = logging.getLogger(__name__)

EXTENSIONS_PACKAGE = "cogs"


@dataclass
class Services:
    """Every use case the cogs call, built once in `setup_hook`."""

    cafes: Cafes
    servers: ServerSettings
    scheduling: SchedulingService
    reminders: RemindersService
    rsvp: RsvpService
    tables: TablesService
    floor: FloorService
    closing: ClosingService
    support: SupportService
    consent: ConsentService
    capture: CaptureService
    privacy: PrivacyService
    hosts: HostsNotifier
    steps: StepRunner
    catch_up: CatchUp
    feedback: FeedbackService
    prize_draw: PrizeDrawService
    report_back: ReportBackService
    presses: Presses
    overview: OverviewService
    summaries: SummaryService
    key_points: KeyPointService
    events: EventMirror
    wellbeing: WellbeingService
    controls: ControlsService
    dashboard: DashboardService


def extension_names(package: str = EXTENSIONS_PACKAGE) -> list[str]:
    """Every public module of the cogs package; private helpers (`_name`) are not extensions."""
    root = importlib.import_module(package)
    return sorted(f"{package}.{info.name}" for info in pkgutil.iter_modules(root.__path__)
                  if not info.name.startswith("_"))


class BletherBot(commands.Bot):
    """setup_hook opens the store, builds the services, starts the scheduler and loads the cogs.

    Nothing here assumes one gateway connection (no per-shard state, guilds looked up by id), so
    moving to `AutoShardedBot` for a sharded deployment changes the base class and settings only.
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None, plans_dir: Path = DEFAULT_PLANS_DIR,
                 sync_commands: bool = True, commands_only: bool = False) -> None:
        # Blether never joins voice: discord.py's start-up warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        # No message of Blether's pings anyone unless it says so (`Chat.post(ping_roles=...)`): text
        # people typed (a series called "@everyone", a role mention) is echoed without notifying.
        # Members are never fetched in bulk: with the members intent, the server's members arrive
        # with the server (and as they join), which is all the Interested offer needs.
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(members=settings.members_intent),
                         help_command=None, allowed_mentions=discord.AllowedMentions.none(),
                         chunk_guilds_at_startup=False)
        self.settings = settings
        self.clock: Clock = clock or RealClock()
        self.plans_dir = plans_dir
        self.sync_commands = sync_commands
        #: a short-lived process (`blether sync`) that only needs the command tree: it must not
        #: start the cafés' timers, which the running bot owns (starting them marks its steps
        #: in progress as interrupted)
        self.commands_only = commands_only
        self.db: Database = open_database(settings.database_target, self.clock)
        self.chat = DiscordChat(self)
        self.command_sync = CommandSync(self, CommandSyncRepo(self.db))
        self._services: Services | None = None
        self.scheduler: StepScheduler | None = None
        # Every feature registers the kinds of timed step it owns here (cogs in `cog_load`),
        # before the first full reconcile on ready.
        self.step_kinds = StepKinds()
        self.failed_extensions: dict[str, str] = {}
        self._backfilled = False
        #: what Discord said when it refused the slash commands at start-up (None: accepted or unchanged)
        self.sync_failure: str | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are ready only after setup_hook")
        return self._services

    async def setup_hook(self) -> None:
        await self.db.open()
        key = await pseudonym_key(self.db, self.settings.pseudonym_key)
        self._services = services = self._build_services(key)
        if not self.commands_only:
            self.scheduler = StepScheduler(StepRepo(self.db), services.cafes.sessions, self.clock, services.steps)
            services.cafes.set_timeline_listener(self.scheduler.reconcile)
            await self.scheduler.start()
        await self.load_extensions()
        if self.sync_commands and not self.commands_only:
            await self._sync()

    def _build_services(self, pseudonym_key: bytes) -> Services:
        cafes = Cafes(self.db, self.chat, plans_dir=self.plans_dir,
                      default_retention_days=self.settings.retention_days)
        servers = ServerSettings(GuildRepo(self.db), cafes.audit, self.default_config())
        cafes.set_config_source(servers.config_for)
        hosts = HostsNotifier(servers.guilds, self.chat)
        events = EventMirror(cafes, hosts, self._add_step)
        events.register_steps(self.step_kinds)
        scheduling, floor, closing = SchedulingService(cafes, events), FloorService(cafes), ClosingService(cafes)
        cafes.on_opened.append(events.cafe_opened)
        cafes.on_closed.append(events.cafe_closed)
        reminders = RemindersService(cafes)
        reminders.register_steps(self.step_kinds)
        rsvp = RsvpService(cafes)
        rsvp.register_steps(self.step_kinds)
        cafes.on_closed.append(rsvp.cafe_closed)
        floor.register_steps(self.step_kinds, servers.config_for)
        closing.register_steps(self.step_kinds)
        controls = ControlsService(cafes, floor, closing)
        controls.register_steps(self.step_kinds)
        dashboard = DashboardService(cafes, controls)
        cafes.on_changed.append(dashboard.changed)
        feedback = FeedbackService(cafes, self._add_step)
        feedback.register_steps(self.step_kinds)
        cafes.on_closed.append(feedback.cafe_closed)
        capture = CaptureService(self.db, pseudonym_key)
        summaries = SummaryService(cafes)
        floor.on_rounds_ended.append(summaries.rounds_ended)
        closing.on_closing.append(summaries.closing)
        controls.on_recalled.append(lambda session_id: summaries.to_lobby(session_id, resuming=False))
        support = SupportService(cafes, hosts, self._add_step)
        support.register_steps(self.step_kinds)
        cafes.on_lobby_welcomed.append(support.pin_signposting)
        return Services(
            cafes=cafes, servers=servers, scheduling=scheduling, reminders=reminders, rsvp=rsvp,
            tables=TablesService(cafes),
            floor=floor,
            closing=closing, support=support,
            consent=ConsentService(self.db, default_retention_days=self.settings.retention_days),
            capture=capture, privacy=PrivacyService(self.db), hosts=hosts,
            steps=StepRunner(self.step_kinds, cafes.sessions, hosts), catch_up=CatchUp(capture, self.chat, hosts),
            feedback=feedback, prize_draw=PrizeDrawService(cafes), report_back=ReportBackService(cafes),
            presses=Presses(), overview=OverviewService(cafes), summaries=summaries,
            key_points=KeyPointService(cafes),
            events=events,
            wellbeing=WellbeingService(cafes, hosts, controls),
            controls=controls, dashboard=dashboard,
        )

    async def _add_step(self, kind: str, due_at: datetime, *, misfire: Misfire, payload: Mapping[str, object],
                        session_id: int | None) -> Step:
        """A feature's durable timer; services are built before the scheduler, so they reach it through here."""
        if self.scheduler is None:
            raise RuntimeError("timers can be set only once the scheduler has started")
        return await self.scheduler.add(kind, due_at, misfire=misfire, payload=payload, session_id=session_id)

    async def load_extensions(self, package: str = EXTENSIONS_PACKAGE) -> None:
        """Load every cog; one that fails is logged and left out, so the rest of the café still runs."""
        for name in extension_names(package):
            try:
                await self.load_extension(name)
            except commands.ExtensionError as exc:
                self.failed_extensions[name] = str(exc.__cause__ or exc)
                log.exception("extension %s failed to load; Blether runs without it", name)

    async def _sync(self) -> None:
        """Register the slash commands if they changed since Discord last accepted them (to the
        development server when one is set). Discord refusing them (a payload it rejects, a missing
        scope) is logged with Discord's own words and the bot runs on: capture and the cafés'
        timelines must not depend on it, and the commands registered before stay in place."""
        outcome = await self.command_sync.sync(self.settings.dev_guild_id)
        self.sync_failure = outcome.failure

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
        log.info("Blether is ready in %s server(s)", len(self.guilds))

    async def on_resumed(self) -> None:
        await self.backfill()

    async def backfill(self, *, sweep_deletions: bool = False) -> None:
        """Read back every running café here; a café whose read-back fails is retried by itself."""
        sessions = await SessionRepo(self.db).in_states(list(ACTIVE_STATES))
        here = [session for session in sessions if self.get_guild(session.guild_id) is not None]
        await self.services.catch_up.run(here, sweep_deletions=sweep_deletions)

    async def retention(self) -> None:
        """Daily: words past each server's retention period, and export copies left on the host."""
        deleted = await self.services.privacy.retention_sweep(self.clock.now(), self.settings.retention_days)
        if deleted:
            log.info("retention: deleted %s contribution(s) past their retention period", deleted)
        removed = await remove_old_host_copies(self.settings.exports_dir, timedelta(days=self.settings.retention_days))
        if removed:
            log.info("retention: deleted %s export file(s) kept on the host", removed)

    def default_config(self) -> GuildConfig:
        """The host's settings as a server's defaults, until that server runs `/blether setup`. The
        role names are only what setup looks for when the admin names no role; nothing is allowed by name."""
        return GuildConfig(
            guild_id=0, organiser_role_id=None, facilitator_role_id=None, facilitators_channel_id=None,
            organisers_channel_id=None, timezone=self.settings.timezone, retention_days=self.settings.retention_days,
            named_roles=(self.settings.organiser_role, self.settings.facilitator_role),
        )

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self._services is not None:
            self._services.catch_up.stop()
            # A dashboard edit still gathering its burst is dropped: the next start edits it anyway.
            await self._services.dashboard.debouncer.cancel()
        await super().close()
        if self._services is not None:
            # Messages judged kept and waiting for their batch land before the database closes.
            await self._services.capture.flush()
        await self.db.close()
