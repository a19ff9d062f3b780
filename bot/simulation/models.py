"""Plain records the simulated guild keeps, and what tests read back from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SUPPRESS_EMBEDS_FLAG = 4
EPHEMERAL_FLAG = 64
LOADING_FLAG = 128


class SimulationError(RuntimeError):
    """The test asked for something a real Discord user could not do (or the sim can't model).

    Deliberately not a ``discord.HTTPException``: bot code that catches Discord errors
    must not swallow a mistake in the test or a gap in the simulation.
    """


class UnknownRouteError(SimulationError):
    """discord.py called an endpoint the simulation does not answer yet."""


class SimPermissionError(SimulationError):
    """A simulated person tried something their permissions in the guild forbid."""


@dataclass
class SimMember:
    """A person (or bot) in the simulated guild."""

    id: int
    name: str
    display_name: str
    bot: bool = False
    role_ids: list[int] = field(default_factory=list)
    joined_at: datetime | None = None
    #: False models a user who blocks DMs from server members: the bot's DM gets 403.
    dms_open: bool = True


@dataclass
class SimMessage:
    """One message as Discord stores it (channel message, DM, or ephemeral reply)."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    #: dicts with id, filename, content_type, size, url and the raw ``data`` bytes
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    reference_id: int | None = None
    #: Discord's message type: 0 default, 19 reply, 20 slash-command response
    type: int = 0
    edited: bool = False
    deleted: bool = False
    timestamp: datetime | None = None
    edited_timestamp: datetime | None = None
    #: the interaction this message answers, if it is an interaction response or follow-up
    interaction_id: int | None = None
    #: for ephemeral messages: the only user who can see it
    visible_to: int | None = None
    pinned: bool = False
    #: emoji -> ids of the users who reacted
    reactions: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def text(self) -> str:
        """Content plus the readable text of every embed, one piece per line."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            parts.extend(embed_text(embed))
        return "\n".join(parts)

    def iter_components(self) -> Iterator[dict[str, Any]]:
        """Every component, nested ones included (rows, sections, containers, labels)."""
        yield from walk_components(self.components)


def embed_text(embed: dict[str, Any]) -> list[str]:
    """The human-visible strings of one embed payload, in reading order."""
    parts: list[str] = []
    author = (embed.get("author") or {}).get("name")
    for piece in (author, embed.get("title"), embed.get("description")):
        if piece:
            parts.append(str(piece))
    for f in embed.get("fields") or []:
        parts.append(f"{f.get('name', '')}: {f.get('value', '')}")
    footer = (embed.get("footer") or {}).get("text")
    if footer:
        parts.append(str(footer))
    return parts


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Depth-first walk over a component tree as Discord sends it."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


@dataclass
class RecordedCall:
    """One request discord.py made, REST or interaction webhook, in the order made."""

    method: str
    path: str
    template: str
    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    form: list[dict[str, Any]] | None = None
    params: dict[str, Any] | None = None
    reason: str | None = None
    via: str = "rest"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class InteractionResult:
    """What the user saw in reply to one interaction."""

    interaction_id: int
    user_id: int
    channel_id: int
    messages: list[SimMessage] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    #: the choices offered in answer to an autocomplete request
    choices: list[dict[str, Any]] | None = None
    deferred: bool = False
    #: the interaction callback type the bot answered with (4–9), None if it never did
    response_type: int | None = None

    @property
    def responded(self) -> bool:
        """False means the user saw "The application did not respond"."""
        return self.response_type is not None

    @property
    def visible_messages(self) -> list[SimMessage]:
        return [m for m in self.messages if not m.deleted]

    @property
    def content(self) -> str:
        """The text of every (non-deleted) message, joined with newlines, for easy asserts."""
        return "\n".join(m.text for m in self.visible_messages if m.text)

    @property
    def ephemeral(self) -> bool:
        return bool(self.messages) and self.messages[0].ephemeral

    @property
    def message(self) -> SimMessage:
        """The first message; raises if the bot sent none (clearer than an IndexError)."""
        if not self.messages:
            raise SimulationError(f"interaction {self.interaction_id} produced no message")
        return self.messages[0]

    def buttons(self) -> list[dict[str, Any]]:
        """Every button across the messages, with label, custom_id, style, disabled (and url)."""
        return [
            {
                "label": c.get("label"),
                "custom_id": c.get("custom_id"),
                "style": c.get("style"),
                "disabled": bool(c.get("disabled", False)),
                "url": c.get("url"),
            }
            for m in self.visible_messages
            for c in m.iter_components()
            if c.get("type") == 2
        ]

    def selects(self) -> list[dict[str, Any]]:
        """Every select menu (raw component dicts) across the messages."""
        return [c for m in self.visible_messages for c in m.iter_components() if c.get("type") in (3, 5, 6, 7, 8)]
