"""One way to reach a server's hosts: the facilitators' and organisers' channels.

Posting to the hosts must never turn a café step or a support call into a failure for the
person in front of us, so delivery problems are collected and reported, not raised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Flag, auto

from bot.services.chat import Chat, ChatError
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
                   ping_facilitators: bool = False) -> Delivery:
        """Post to the hosts' channels. With `ping_facilitators` the facilitator role (by id) is
        mentioned and notified; nothing else in the text ever pings."""
        config = await self.guilds.get(guild_id)
        ping: tuple[int, ...] = ()
        if ping_facilitators and config is not None and config.facilitator_role_id is not None:
            ping = (config.facilitator_role_id,)
            text = f"<@&{config.facilitator_role_id}> {text}"
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
                    await self.chat.post(channel_id, text, ping_roles=ping)
                    delivery.sent.append(channel_id)
                except ChatError:
                    log.exception("a notice to the hosts of server %s could not be posted", guild_id)
                    delivery.failed.append(channel_id)
        return delivery
