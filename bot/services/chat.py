"""The `Chat` port: everything the services need from a chat platform, and nothing more.

Services speak to this protocol; `bot/discord_chat.py` implements it over discord.py. Keeping
it small is what keeps consent, capture and export testable and portable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Protocol

from bot.core.access import ChannelAccess

MISSING_PERMISSIONS = 50013
MISSING_ACCESS = 50001
#: Discord's answer to changing an event that has already completed or been cancelled.
EVENT_FINISHED = 180000
#: Discord takes at most this many files in one message.
MAX_FILES_PER_MESSAGE = 10


class ChatError(Exception):
    """The chat platform refused or failed a request.

    The adapter translates its library's errors into this, so services can tell the hosts what
    went wrong without knowing about Discord. `code` is the platform's error code: Discord says
    50013 for a missing permission (50001 when the channel can't be seen) whatever the HTTP
    status, and a compatible server may answer 400 rather than 403.
    """

    def __init__(self, text: str, *, status: int, code: int, channel_id: int | None = None,
                 needs: Sequence[str] = ()) -> None:
        super().__init__(text)
        self.status = status
        self.code = code
        #: the channel the refused call acted on (None: the server itself, or not known)
        self.channel_id = channel_id
        #: the permissions that call needs, as Discord names them in its settings
        self.needs = tuple(needs)

    @property
    def missing_permissions(self) -> bool:
        return self.code in (MISSING_PERMISSIONS, MISSING_ACCESS)


class OfferKind(StrEnum):
    """Something a message offers people to do. Services say *what* to offer; the chat adapter
    decides how it looks (on Discord, a persistent button that its cog builds and handles)."""

    JOIN = "join"
    CANT_COME = "cant_come"
    TAKE_PLACE = "take_place"
    CONSENT_CHOICES = "consent_choices"
    SUPPORT = "support"
    FEEDBACK = "feedback"
    DRAW_ENTRY = "draw_entry"
    REPORT_UPDATES = "report_updates"
    STOP_REMINDERS = "stop_reminders"
    STOP_SERVER_REMINDERS = "stop_server_reminders"
    WRITE_SUMMARY = "write_summary"
    #: on a support alert to the hosts (its number is the café's; the alert is the message itself)
    SUPPORT_CLAIM = "support_claim"
    SUPPORT_RESOLVE = "support_resolve"
    GROUND_RULES = "ground_rules"
    NEED_LONGER = "need_longer"
    STEP_OUT = "step_out"
    COME_BACK = "come_back"
    #: on the facilitators' "more time asked" notice
    EXTEND_ROUND = "extend_round"
    # The facilitators' dashboard (bot/services/dashboard.py); each button re-checks the role.
    FLOOR_NEXT = "floor_next"
    FLOOR_EXTEND = "floor_extend"
    FLOOR_PAUSE = "floor_pause"
    FLOOR_RECALL = "floor_recall"
    FLOOR_BROADCAST = "floor_broadcast"
    FLOOR_CLOSE = "floor_close"


@dataclass(frozen=True)
class Offer:
    kind: OfferKind
    session_id: int


def invitation_offers(session_id: int) -> tuple[Offer, ...]:
    """Under an invitation: I'll join, Can't come, My consent choices."""
    return Offer(OfferKind.JOIN, session_id), Offer(OfferKind.CANT_COME, session_id), \
        Offer(OfferKind.CONSENT_CHOICES, session_id)


def place_offers(session_id: int) -> tuple[Offer, ...]:
    """Under the offer of a held place: take it (letting it pass needs no button)."""
    return (Offer(OfferKind.TAKE_PLACE, session_id),)


def reminder_offers(session_id: int) -> tuple[Offer, ...]:
    """Under a reminder: stop them for this café, or for every café on its server."""
    return Offer(OfferKind.STOP_REMINDERS, session_id), Offer(OfferKind.STOP_SERVER_REMINDERS, session_id)


def room_offers(session_id: int) -> tuple[Offer, ...]:
    return (Offer(OfferKind.CONSENT_CHOICES, session_id), Offer(OfferKind.SUPPORT, session_id),
            Offer(OfferKind.NEED_LONGER, session_id), Offer(OfferKind.STEP_OUT, session_id))


def welcome_offers(session_id: int) -> tuple[Offer, ...]:
    """Under the lobby's welcome: agree to the ground rules, consent choices, support."""
    return (Offer(OfferKind.GROUND_RULES, session_id), *room_offers(session_id))


def alert_offers(session_id: int, *, claimed: bool) -> tuple[Offer, ...]:
    """Under a support alert: Claim until someone has, then only Resolved."""
    resolve = Offer(OfferKind.SUPPORT_RESOLVE, session_id)
    return (resolve,) if claimed else (Offer(OfferKind.SUPPORT_CLAIM, session_id), resolve)


class EventStatus(IntEnum):
    """A mirrored event's status, as Discord numbers them. SCHEDULED → ACTIVE → COMPLETED, or
    SCHEDULED → CANCELED; a finished event cannot change again."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELED = 4


@dataclass(frozen=True)
class EventDetails:
    """What a café's mirror on the platform's events list shows (an event held elsewhere than a
    voice or stage channel, so it needs a location and an end)."""

    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str | None


@dataclass(frozen=True)
class FileUpload:
    """A file to post: its name as people will see it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class ChatMessage:
    """A message as capture sees it: no names, only ids that never leave the store."""

    id: int
    channel_id: int
    author_id: int
    author_is_bot: bool
    content: str
    created_at: datetime
    reply_to_id: int | None = None
    attachments: Sequence[Attachment] = field(default_factory=tuple)
    is_system: bool = False
    #: when the author last edited it (None: never), so a message read back after a restart
    #: brings its edit and its "(edited)" mark
    edited_at: datetime | None = None


class Chat(Protocol):
    """Every method raises `ChatError` when the platform refuses."""

    async def create_category(self, guild_id: int, name: str, *, staff_roles: Sequence[int]) -> int:
        """A category hidden from everyone but the staff roles (and the bot)."""
        ...

    async def create_room(self, guild_id: int, category_id: int, name: str, *, access: ChannelAccess,
                          topic: str) -> int:
        """A private text channel made with its whole access in the one call: visible only to those
        `access` lists (and the bot)."""
        ...

    async def set_access(self, channel_id: int, access: ChannelAccess) -> None:
        """Replace the channel's whole access with `access` in one call (never one per person)."""
        ...

    async def edit_post(self, channel_id: int, message_id: int, text: str, *,
                        offers: Sequence[Offer] | None = None) -> bool:
        """Edit one of the bot's messages in place, by ids (one call): its buttons kept (`offers`
        None) or replaced by `offers` (none when empty); False if it is gone (deleted by someone)."""
        ...

    async def find_channel(self, guild_id: int, name: str, *, category_id: int | None) -> int | None:
        """A channel this bot already made under `category_id` (a category itself when None) with
        this name: how a step resumed after a crash finds what Discord made but the store never heard of."""
        ...

    async def find_post(self, channel_id: int, text: str) -> int | None:
        """The bot's own recent message in the channel with exactly this text, if it posted one."""
        ...

    async def delete_channel(self, channel_id: int) -> None:
        """Remove a channel an opening made (rolling back an opening that cannot go on); gone is fine."""
        ...

    async def post(self, channel_id: int, text: str, *, offers: Sequence[Offer] = (),
                   ping_roles: Sequence[int] = (), ping_users: Sequence[int] = ()) -> int:
        """Post a message. Nothing in it pings anyone (user, role, @everyone, whatever the text
        says) except the roles in `ping_roles` and the people in `ping_users`, which the text must
        mention itself."""
        ...

    async def edit(self, channel_id: int, message_id: int, text: str, *, offers: Sequence[Offer] = ()) -> None:
        """Change the text of a message the bot posted in place (one call by ids): its buttons stay
        unless `offers` sets new ones."""
        ...

    async def create_event(self, guild_id: int, details: EventDetails) -> int:
        """A scheduled event on the server's events list; returns its id."""
        ...

    async def edit_event(self, guild_id: int, event_id: int, *, details: EventDetails | None = None,
                         status: EventStatus | None = None) -> None:
        """Change an event's details or status (only the moves `EventStatus` allows)."""
        ...

    async def pin(self, channel_id: int, message_id: int) -> None:
        """Pin a message (pinning one already pinned is fine). Discord needs Manage Messages in the
        channel and keeps at most 50 pins a channel; both refusals are a `ChatError`."""
        ...

    async def post_files(self, channel_id: int, text: str, files: Sequence[FileUpload]) -> int:
        """One message with the files attached: at most `MAX_FILES_PER_MESSAGE`, together no larger
        than the server's upload limit (the platform refuses more)."""
        ...

    async def dm(self, user_id: int, text: str, *, filename: str | None = None, data: bytes | None = None,
                 offers: Sequence[Offer] = ()) -> bool:
        """Send a direct message (with the offers' buttons); False when the person does not accept DMs."""
        ...

    async def channel_count(self, guild_id: int) -> int:
        """How many channels (categories included) the server has: Discord caps them at 500."""
        ...

    def history_after(self, channel_id: int, after_message_id: int | None) -> AsyncIterator[ChatMessage]:
        """Messages newer than `after_message_id`, oldest first (for backfill after a restart)."""
        ...
