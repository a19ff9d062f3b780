"""What every café use case shares: the store's repositories, the chat, the clock and a lock per café.

The use cases themselves are their own modules (scheduling, rsvp, floor, closing, support);
they all find a café through `require`, ask `bot.core.lifecycle` before they change its state,
and take the café's lock, so a facilitator's click and the timer can never both run a step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import DEFAULT_RETENTION_DAYS
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.models import GuildConfig, Session
from bot.core.plan import render_async
from bot.services.chat import Chat
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.store.audit import AuditRepo
from bot.store.db import Database
from bot.store.guilds import GuildRepo
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

log = logging.getLogger(__name__)

TimelineListener = Callable[[int], Awaitable[None]]
ConfigFor = Callable[[int], Awaitable[GuildConfig]]
#: what runs after a café opens or closes
ClosedListener = Callable[[Session], Awaitable[object]]
#: (café, lobby channel, resuming): the welcome is in the lobby; what else belongs beside it
WelcomedListener = Callable[[Session, int, bool], Awaitable[object]]


class Cafes:
    def __init__(self, db: Database, chat: Chat, *, plans_dir: Path = DEFAULT_PLANS_DIR,
                 default_retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        self.db = db
        self.chat = chat
        self.clock = db.clock
        self.plans_dir = plans_dir
        self.sessions = SessionRepo(db)
        self.people = PeopleRepo(db)
        self.audit = AuditRepo(db)
        self.guilds = GuildRepo(db)
        #: the host's retention period, for a server that never ran setup (as the daily sweep does)
        self.default_retention_days = default_retention_days
        self._locks: dict[int, asyncio.Lock] = {}
        self._timeline_listener: TimelineListener | None = None
        self._config_for: ConfigFor | None = None
        # What other features do once a café has closed (the after-café offers); registered in
        # the composition root, so closing itself knows nothing of them.
        self.on_closed: list[ClosedListener] = []
        # What other features do once a café has opened (its event marked as started).
        self.on_opened: list[ClosedListener] = []
        # What other features put beside the lobby's welcome (the pinned signposting).
        self.on_lobby_welcomed: list[WelcomedListener] = []
        # What follows any change on a café's floor or timeline (the facilitators' dashboard).
        self.on_changed: list[TimelineListener] = []

    def lock(self, session_id: int) -> asyncio.Lock:
        """One step at a time per café: each step reads the state, talks to Discord, then writes;
        two at once would post a round twice."""
        return self._locks.setdefault(session_id, asyncio.Lock())

    def set_timeline_listener(self, listener: TimelineListener) -> None:
        """The scheduler listens, so the jobs follow the steps stored for a session."""
        self._timeline_listener = listener

    def set_config_source(self, config_for: ConfigFor) -> None:
        """The server settings (wired in the composition root): which roles are staff in every room."""
        self._config_for = config_for

    async def config(self, guild_id: int) -> GuildConfig | None:
        """The server's settings, if wired (the facilitators' channel, the staff roles)."""
        return await self._config_for(guild_id) if self._config_for is not None else None

    async def staff_roles(self, guild_id: int) -> tuple[int, ...]:
        """The roles that see and write in every room of this server's cafés (none until wired)."""
        return (await self._config_for(guild_id)).staff_role_ids if self._config_for is not None else ()

    async def timeline_changed(self, session_id: int) -> None:
        """The scheduler follows the stored steps; then whoever shows the café (the dashboard) is
        told. A listener that fails is logged: the café's own step has already happened."""
        if self._timeline_listener is not None:
            await self._timeline_listener(session_id)
        for listener in self.on_changed:
            try:
                await listener(session_id)
            except Exception:
                log.exception("after a change to café #%s, a listener failed", session_id)

    async def closed(self, session: Session) -> None:
        """Tell each listener the café has closed. The café is closed whatever they do: one that
        fails is logged and the others still run."""
        await self._tell(self.on_closed, session, "closing")

    async def opened(self, session: Session) -> None:
        """Tell each listener the café has opened; as with closing, a failing one is logged only."""
        await self._tell(self.on_opened, session, "opening")

    @staticmethod
    async def _tell(listeners: list[ClosedListener], session: Session, after: str) -> None:
        for listener in listeners:
            try:
                await listener(session)
            except Exception:
                log.exception("after %s café #%s, a listener failed", after, session.id)

    async def lobby_welcomed(self, session: Session, lobby_channel_id: int, *, resuming: bool) -> None:
        """Tell each listener the lobby's welcome is posted. Part of the opening step: a listener's
        failure fails the step, which resumes (`resuming`) and calls the listeners again, so each
        must find on Discord what it already did rather than repeat it."""
        for listener in self.on_lobby_welcomed:
            await listener(session, lobby_channel_id, resuming)

    async def require(self, session_id: int, guild_id: int | None = None) -> Session:
        """The café, if it exists on this server; the same answer for 'missing' and 'another server's'."""
        session = await self.sessions.get(session_id)
        if session is None or (guild_id is not None and session.guild_id != guild_id):
            raise UserError(f"There is no café #{session_id} on this server. `/cafes` shows the cafés.")
        return session

    async def of_channel(self, channel_id: int, guild_id: int | None) -> Session | None:
        """The café a room or lobby channel belongs to, if it is this server's."""
        session = await self.sessions.session_by_channel(channel_id)
        return session if session is not None and session.guild_id == guild_id else None

    async def refreshed(self, session_id: int) -> Session:
        session = await self.sessions.get(session_id)
        assert session is not None, "a café is never deleted while one of its steps runs"
        return session

    @staticmethod
    def facts(session: Session) -> CafeFacts:
        return CafeFacts.of(session)

    async def retention_days(self, guild_id: int) -> int:
        """The server's retention period: what its templates may state and what the sweep keeps to."""
        config = await self.guilds.get(guild_id)
        return config.retention_days if config is not None else self.default_retention_days

    async def facts_for(self, session: Session) -> CafeFacts:
        """The café's facts with its server's retention period: what every rendered template uses."""
        return CafeFacts.of(session, await self.retention_days(session.guild_id))

    @staticmethod
    async def signposting(facts: CafeFacts) -> str:
        return await render_async(facts.plan.signposting, facts.context())
