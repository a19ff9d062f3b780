"""Consent: what people chose, shown back to them, and withdrawal that really forgets.

The text a person agreed to is fingerprinted (its version) at the moment they chose, so an
analyst can see when people consented to an older wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import DEFAULT_RETENTION_DAYS
from bot.core import lifecycle
from bot.core.consent import (
    QUOTE_CHOICES,
    RECORDING_CHOICES,
    Choice,
    ConsentState,
    Source,
    consent_version,
    state_at,
)
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.lifecycle import Action
from bot.core.models import Session
from bot.core.plan import render_async
from bot.store.changes import notify
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.guilds import GuildRepo
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo


@dataclass(frozen=True)
class ConsentText:
    text: str
    version: str


@dataclass(frozen=True)
class WithdrawalScope:
    """Which cafés a withdrawal covers, said outright: one café, or every café (on the server the
    command came from). Built only through `cafe` and `every_cafe`, so no number stands for "all"."""

    every: bool
    session_id: int | None = None

    def __post_init__(self) -> None:
        if self.every == (self.session_id is not None):
            raise ValueError("a withdrawal is from one café or from every café")

    @classmethod
    def cafe(cls, session_id: int) -> WithdrawalScope:
        return cls(every=False, session_id=session_id)

    @classmethod
    def every_cafe(cls) -> WithdrawalScope:
        return cls(every=True)


@dataclass(frozen=True)
class Withdrawal:
    sessions: list[int]
    erased: int
    summaries_flagged: int


async def consent_text(session: Session, retention_days: int) -> ConsentText:
    """The consent text as the person reads it, with the server's true retention period in it."""
    facts = CafeFacts.of(session, retention_days)
    text = await render_async(facts.plan.consent_text, facts.context())
    return ConsentText(text, consent_version(text))


class ConsentService:
    def __init__(self, db: Database, *, default_retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        self.db = db
        self.guilds = GuildRepo(db)
        self.default_retention_days = default_retention_days
        self.people = PeopleRepo(db)
        self.sessions = SessionRepo(db)
        self.contributions = ContributionRepo(db)

    async def _session(self, session_id: int, guild_id: int | None) -> Session:
        session = await self.sessions.get(session_id)
        if session is None or (guild_id is not None and session.guild_id != guild_id):
            raise UserError(f"There is no café #{session_id} on this server.")
        return session

    async def _text(self, session: Session) -> ConsentText:
        config = await self.guilds.get(session.guild_id)
        return await consent_text(session, config.retention_days if config else self.default_retention_days)

    async def text_for(self, session_id: int, guild_id: int | None = None) -> tuple[Session, ConsentText]:
        session = await self._session(session_id, guild_id)
        return session, await self._text(session)

    async def choose(
        self, session_id: int, discord_user_id: int, choice: Choice, *, source: Source, at: datetime,
        guild_id: int | None = None,
    ) -> ConsentState:
        """Append one choice to the ledger (never overwrite) and return the person's new standing.

        A choice that repeats the person's standing one (the latest of its pair: record/decline,
        quote/no-quote) adds no row: the ledger records changes of mind, not button presses."""
        if choice is Choice.WITHDRAW:
            raise ValueError("withdrawal erases data: use withdraw()")
        session = await self._session(session_id, guild_id)
        lifecycle.advance(session.state, Action.CHOOSE_CONSENT, cafe=session_id)
        shown = await self._text(session)
        pair = RECORDING_CHOICES if choice in RECORDING_CHOICES else QUOTE_CHOICES
        stops = choice is Choice.DECLINE
        person: int | None = None
        try:
            async with self.db.transaction(erasing=stops) as tx:
                person = await self.people.ensure_participant(tx, discord_user_id)
                standing = [e for e in await self.people.ledger_in(tx, session_id, person) if e.choice in pair]
                if not standing or standing[-1].choice is not choice or standing[-1].text_version != shown.version:
                    await self.people.append_consent(tx, session_id, person, choice, shown.version, source, at)
                if stops:
                    # Words already handled but stamped from this choice's millisecond on were not
                    # written while recording held throughout: they go (ties are not recorded).
                    await self.contributions.take_back_since(tx, session_id, person, at)
        finally:
            if person is not None:
                # What the capture path read while the choice was being saved may have seen it
                # half-way (or a choice that then rolled back): it reads the ledger afresh.
                notify(self.db).consent_changed(session_id, person)
        return await self.state(session_id, discord_user_id)

    async def state(self, session_id: int, discord_user_id: int, at: datetime | None = None) -> ConsentState:
        person = await self.people.participant_id(discord_user_id)
        entries = await self.people.ledger(session_id, person) if person is not None else []
        return state_at(entries, at)

    async def withdraw(
        self, discord_user_id: int, scope: WithdrawalScope, *, at: datetime, source: Source = Source.COMMAND,
        guild_id: int | None = None,
    ) -> Withdrawal:
        """Record the withdrawal and erase the person's words, for one session or all, atomically.

        Room summaries that may quote them (their pseudonym or a passage of theirs appears in it)
        are flagged for a facilitator to edit: the summary is someone else's writing, so it is
        not silently rewritten.
        """
        person = await self.people.participant_id(discord_user_id)
        if person is None:
            return Withdrawal([], 0, 0)
        if scope.session_id is not None:
            session = await self._session(scope.session_id, guild_id)
            cafes = [session.id]
        else:
            cafes = await self.people.sessions_with_consent(person)
            if guild_id is not None:
                owned = {s.id for s in await self.sessions.list_for_guild(guild_id)}
                cafes = [s for s in cafes if s in owned]
        erased = flagged = 0
        try:
            async with self.db.transaction(erasing=True) as tx:
                for sid in cafes:
                    held = await self.sessions.get(sid)
                    if held is None:
                        continue
                    session = held
                    words, summaries = await self.contributions.withdraw_words(tx, sid, person, session.guild_id,
                                                                               session.series)
                    erased += words
                    flagged += summaries
                    await self.people.append_consent(
                        tx, sid, person, Choice.WITHDRAW, (await self._text(session)).version, source, at
                    )
        finally:
            for sid in cafes:
                notify(self.db).consent_changed(sid, person)
        return Withdrawal(cafes, erased, flagged)
