"""One way to reach a server's hosts: the facilitators' and organisers' channels.

Posting to the hosts must never turn a café step or a support call into a failure for the
person in front of us, so delivery problems are collected and reported, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Flag, auto

from bot.services.chat import Chat, ChatError, Offer
from bot.store.guilds import GuildRepo

log = logging.getLogger(__name__)


class Audience(Flag):
    FACILITATORS = auto()
    ORGANISERS = auto()
    ALL = FACILITATORS | ORGANISERS


@dataclass
class Delivery:
    """Where a notice went and where it could not go (channel not set, or the platform refused)."""

    sent: list[int] = field(default_factory=list)
    #: (channel, message) of each post, for a notice that is edited later (a claimed alert)
    posts: list[tuple[int, int]] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unset: list[Audience] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.sent)


class HostsNotifier:
    def __init__(self, guilds: GuildRepo, chat: Chat) -> None:
        self.guilds = guilds
        self.chat = chat

    async def tell(self, guild_id: int, text: str, audience: Audience = Audience.ALL, *,
                   ping_facilitators: bool = False, ping_organisers: bool = False,
                   offers: Sequence[Offer] = ()) -> Delivery:
        """Post to the hosts' channels, with the offers' buttons. With `ping_facilitators` (or
        `ping_organisers`) that role (by id) is mentioned and notified; nothing else ever pings."""
        config = await self.guilds.get(guild_id)
        ping: tuple[int, ...] = ()
        if ping_facilitators and config is not None and config.facilitator_role_id is not None:
            ping = (config.facilitator_role_id,)
        if ping_organisers and config is not None and config.organiser_role_id is not None:
            ping = (*ping, config.organiser_role_id)
        if ping:
            text = " ".join(f"<@&{role}>" for role in ping) + f" {text}"
        delivery = Delivery()
        targets: list[tuple[Audience, int | None]] = []
        if Audience.FACILITATORS in audience:
            targets.append((Audience.FACILITATORS, config.facilitators_channel_id if config else None))
        if Audience.ORGANISERS in audience:
            targets.append((Audience.ORGANISERS, config.organisers_channel_id if config else None))
        for who, channel_id in targets:
            if channel_id is None:
                delivery.unset.append(who)
            elif channel_id in delivery.sent or channel_id in delivery.failed:
                continue
            else:
                try:
                    message_id = await self.chat.post(channel_id, text, ping_roles=ping, offers=offers)
                    delivery.sent.append(channel_id)
                    delivery.posts.append((channel_id, message_id))
                except ChatError:
                    log.exception("a notice to the hosts of server %s could not be posted", guild_id)
                    delivery.failed.append(channel_id)
        return delivery
