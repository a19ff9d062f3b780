"""Fault injection: make a chosen Discord call fail or hang, to crash the bot inside any step.

A test names a call by method and route — the route template exactly as discord.py
spells it (``"/channels/{channel_id}/messages"``) or one concrete path — and which
matching call to hit (``nth``, counted from when the fault is set, for ``times`` calls)::

    handle = sim.faults.fail("POST", "/channels/{channel_id}/messages", nth=2, status=500)
    gate = sim.faults.hang("PATCH", "/channels/{channel_id}")
    ...                       # the bot's call now waits
    gate.release()            # ... and carries on (or ``gate.release(error=...)`` to fail it)

Every call is still recorded in ``sim.calls`` whether or not a fault hits it. A failure
is raised either before Discord acts (``after=False``: nothing changed) or after it
(``after=True``: Discord did the work but the bot never heard back), the two ways a
crash can fall inside a step. A 5xx is what discord.py raises once its own retries are
exhausted, since the simulation stands in for the whole ``HTTPClient.request``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .models import RecordedCall, SimulationError
from .routing import http_error

_DEFAULT_MESSAGES = {
    400: "Bad Request",
    403: "Missing Permissions",
    404: "Not Found",
    429: "You are being rate limited.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(eq=False)
class Fault:
    """One armed fault; also the handle a test keeps to inspect or release it."""

    method: str
    route: str
    nth: int
    times: int | None
    hang: bool
    status: int = 500
    code: int = 0
    message: str | None = None
    error: BaseException | None = None
    after: bool = False
    #: matching calls seen since the fault was set (hit or not)
    seen: int = 0
    #: the calls this fault hit, in order
    hits: list[RecordedCall] = field(default_factory=list)
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _reached: asyncio.Event = field(default_factory=asyncio.Event)
    _release_error: BaseException | None = None

    def matches(self, call: RecordedCall) -> bool:
        return call.method == self.method and self.route in (call.template, call.path)

    def _fires(self) -> bool:
        if self.seen < self.nth:
            return False
        return self.times is None or self.seen < self.nth + self.times

    def exception(self) -> BaseException:
        if self.error is not None:
            return self.error
        message = self.message or _DEFAULT_MESSAGES.get(self.status, "Error")
        return http_error(self.status, self.code, message)

    def release(self, *, error: BaseException | None = None) -> None:
        """Let every call held by this hang (and any later one it would hold) go on.

        With ``error`` the held calls fail with it instead, as a timed-out request would.
        """
        if not self.hang:
            raise SimulationError("only a hang can be released")
        self._release_error = error
        self._released.set()

    async def reached(self) -> RecordedCall:
        """Wait until a call has hit this fault, and return that call."""
        await self._reached.wait()
        return self.hits[0]


class Faults:
    """The faults armed on one simulated Discord, consulted on every REST and webhook call."""

    def __init__(self) -> None:
        self._armed: list[Fault] = []

    def fail(
        self,
        method: str,
        route: str,
        *,
        nth: int = 1,
        times: int | None = 1,
        status: int = 500,
        code: int = 0,
        message: str | None = None,
        error: BaseException | None = None,
        after: bool = False,
    ) -> Fault:
        """The ``nth`` matching call (and the ``times - 1`` after it; None: all) fails.

        It fails with Discord's ``status``/``code`` (discord.Forbidden for 403, NotFound
        for 404, DiscordServerError for 5xx) or with ``error`` if given (e.g. a
        connection error). ``after=True`` fails it after Discord has done the work.
        """
        return self._arm(Fault(method.upper(), route, nth, times, hang=False, status=status, code=code,
                               message=message, error=error, after=after))  # fmt: skip

    def hang(self, method: str, route: str, *, nth: int = 1, times: int | None = 1) -> Fault:
        """The ``nth`` matching call (and the ``times - 1`` after it) waits until ``release()``."""
        return self._arm(Fault(method.upper(), route, nth, times, hang=True))

    def _arm(self, fault: Fault) -> Fault:
        if fault.nth < 1 or (fault.times is not None and fault.times < 1):
            raise SimulationError("nth and times count from 1")
        if not fault.route.startswith("/"):
            raise SimulationError(f"route {fault.route!r} should be a path template such as /channels/{{channel_id}}")
        self._armed.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault and let any held call go on."""
        for fault in self._armed:
            if fault.hang:
                fault.release()
        self._armed.clear()

    def _firing(self, call: RecordedCall) -> list[Fault]:
        firing = []
        for fault in self._armed:
            if fault.matches(call):
                fault.seen += 1
                if fault._fires():
                    fault.hits.append(call)
                    fault._reached.set()
                    firing.append(fault)
        return firing

    async def before(self, call: RecordedCall) -> list[Fault]:
        """Run before Discord acts on a call: hold it or fail it. Returns the faults due afterwards."""
        firing = self._firing(call)
        for fault in firing:
            if fault.hang:
                await fault._released.wait()
                if fault._release_error is not None:
                    raise fault._release_error
            elif not fault.after:
                raise fault.exception()
        return [f for f in firing if not f.hang and f.after]

    @staticmethod
    def after(firing: list[Fault]) -> None:
        """Run after Discord has acted: the response is lost."""
        if firing:
            raise firing[0].exception()
