"""Timed work by kind: each feature registers a handler for the kinds of step it owns.

The scheduler only knows that a step of some kind is due; which code runs it is looked up
here (RoboDanny's `<event>_timer_complete` dispatch, without the event bus). A new kind of
timed work is added by registering a handler, with no change to the scheduler or the runner.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core.errors import UserError
from bot.core.models import Step
from bot.services.chat import ChatError
from bot.services.hosts import HostsNotifier
from bot.services.messages import message_async
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo

log = logging.getLogger(__name__)

#: Runs a step; returns None when it did its work, or why it had nothing to do (the step is then
#: stored as skipped with that note, and nobody is alarmed).
StepHandler = Callable[[Step], Awaitable[str | None]]


class StepKinds:
    """The registry: one handler per kind, registered at start-up (the café's in setup_hook, a
    cog's in its `cog_load`) before the first full reconcile queues the stored steps."""

    def __init__(self) -> None:
        self._handlers: dict[str, StepHandler] = {}

    def register(self, kind: str, handler: StepHandler) -> None:
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind!r} steps is already registered")
        self._handlers[kind] = handler

    def unregister(self, kind: str) -> None:
        """A feature's cog unloading takes its kinds with it, so reloading it can register again;
        its stored steps wait, and fail with a note if they fall due while no one handles them."""
        self._handlers.pop(kind, None)

    def handles(self, kind: str) -> bool:
        return kind in self._handlers

    def handler(self, kind: str) -> StepHandler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise UserError(f"Blether doesn't know how to run a {kind!r} step (was a feature removed?).") from None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)


class StepRunner:
    """Runs a claimed step through its handler; a failure reaches the hosts instead of a silent stall,
    and so does a restart that came in the middle of a step (once, with how it ended)."""

    def __init__(self, kinds: StepKinds, sessions: SessionRepo, hosts: HostsNotifier) -> None:
        self.kinds = kinds
        self.sessions = sessions
        self.hosts = hosts
        self.steps = StepRepo(sessions.db)

    def handles(self, kind: str) -> bool:
        """Whether a feature registered this kind; the scheduler fails a step of an unknown kind
        with a note for the operator instead of running it (the hosts could not fix it)."""
        return self.kinds.handles(kind)

    async def run(self, step: Step) -> str | None:
        """The handler's answer: None when it did its work, or why it had nothing to do."""
        interrupted = await self.steps.interrupted(step.id)
        try:
            skipped = await self.kinds.handler(step.kind)(step)
        except Exception as exc:
            await self._tell_hosts(step, "step_failed", reason=failure_reason(exc), interrupted=interrupted)
            raise
        if interrupted:
            await self._tell_hosts(step, "step_resumed", finished=skipped is None)
        return skipped

    async def _tell_hosts(self, step: Step, template: str, **words: object) -> None:
        """Tell the café's hosts; a step of no café has no hosts, and its failure is in the log and
        the step's note."""
        if step.session_id is None:
            return
        session = await self.sessions.get(step.session_id)
        if session is None:
            return
        await self.hosts.tell(session.guild_id, await message_async(template, session=session, step=step, **words))


def failure_reason(exc: Exception) -> str:
    """What the hosts read: the words of a refusal we raised, or what Discord said, never a traceback.

    A missing permission is told by Discord's code (whatever the HTTP status), with the channel
    the call acted on and the permissions that call needs, so the hosts know what to grant where.
    """
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ChatError) and exc.missing_permissions:
        where = f"in <#{exc.channel_id}>" if exc.channel_id is not None else "on this server"
        needs = " and ".join(exc.needs or ("Manage Channels", "Manage Roles", "View Channel", "Send Messages"))
        return (f"Discord refused: Blether is missing a permission {where}. It needs {needs} there; "
                f"grant them to Blether's role (Discord said: {exc}).")
    if isinstance(exc, ChatError):
        return f"Discord refused the request ({exc.status}: {exc})."
    return "an unexpected error (see the bot's log)"
