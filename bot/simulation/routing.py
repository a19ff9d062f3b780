"""How a request from discord.py finds its handler, and how errors look like Discord's.

Handlers are keyed on ``METHOD path-template`` exactly as discord.py's ``Route`` spells
them, so adding an endpoint is one decorated method, and an endpoint nobody wrote fails
loudly with its name instead of quietly succeeding.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

import discord
from discord.http import Route

from .models import SimulationError

#: "METHOD /template" -> name of the handler method on the simulation
ROUTES: dict[str, str] = {}

F = TypeVar("F", bound=Callable[..., Any])


def route(method: str, template: str) -> Callable[[F], F]:
    """Register a handler method for one Discord endpoint."""

    def register(func: F) -> F:
        key = f"{method} {template}"
        if key in ROUTES:
            raise ValueError(f"two handlers for {key}")
        ROUTES[key] = func.__name__
        return func

    return register


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(pattern + "$")


def path_of(route: Route) -> str:
    """The concrete path of a route (its URL without the API base)."""
    return route.url[len(Route.BASE) :] if route.url.startswith(Route.BASE) else route.url


def path_args(template: str, path: str) -> dict[str, str]:
    """The values of a template's ``{placeholders}`` in a concrete path."""
    match = _template_regex(template).match(path)
    if match is None:
        raise SimulationError(f"path {path} does not fit its template {template}")
    return {k: unquote(v) for k, v in match.groupdict().items()}


@dataclass
class RequestContext:
    """Everything a handler needs to know about one request."""

    bot: discord.Client | None
    method: str
    template: str
    path: str
    args: dict[str, str]
    json: Any = None
    files: list[tuple[int, str, bytes]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    via: str = "rest"

    def id(self, name: str) -> int:
        """A snowflake path argument; a malformed one is a 404 like Discord's."""
        try:
            return int(self.args[name])
        except ValueError:
            raise http_error(404, 10003 if "channel" in name else 0, f"Unknown {name}") from None

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}


def split_multipart(form: Iterable[dict[str, Any]]) -> tuple[Any, list[tuple[int, str, bytes]], list[dict[str, Any]]]:
    """Unpack discord.py's multipart form: the JSON part, the files, and a record of the form.

    Files are read right away because discord.py closes them once the request returns.
    """
    payload: Any = None
    files: list[tuple[int, str, bytes]] = []
    record: list[dict[str, Any]] = []
    for part in form:
        name = part["name"]
        value = part["value"]
        if name == "payload_json":
            payload = jsonlib.loads(value)
            record.append({"name": name, "value": payload})
            continue
        match = re.fullmatch(r"files\[(\d+)\]", name)
        data = value.read() if hasattr(value, "read") else value
        if isinstance(data, str):
            data = data.encode()
        if match:
            files.append((int(match.group(1)), part.get("filename") or f"file{match.group(1)}", data))
        record.append({"name": name, "filename": part.get("filename"), "size": len(data)})
    return payload, files, record


class _FakeResponse:
    """The two attributes discord.py's HTTPException reads from an aiohttp response."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def http_error(
    status: int, code: int, message: str, *, errors: dict[str, Any] | None = None
) -> discord.HTTPException:
    """The exception discord.py would raise for this Discord error response.

    ``errors`` is Discord's nested form-error body (``{"name": {"_errors": [...]}}``);
    discord.py flattens it into the exception text and keeps it for ``CommandSyncFailure``.
    A 5xx is what discord.py raises once its own retries are exhausted.
    """
    response = _FakeResponse(status, _REASONS.get(status, "Error"))
    cls: type[discord.HTTPException] = {403: discord.Forbidden, 404: discord.NotFound}.get(
        status, discord.DiscordServerError if status >= 500 else discord.HTTPException
    )
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return cls(response, body)
