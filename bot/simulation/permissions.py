"""Discord's permission computation, as the server does it.

Room privacy is a promise the bot makes to participants, so the simulation must judge
visibility the way Discord does rather than trust the bot's own idea of it: base
permissions from @everyone and the member's roles, the owner and Administrator
short-cuts, then the channel's overwrites for @everyone, the member's roles and the
member, in that order. The bit arithmetic comes from ``discord.Permissions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from discord import Permissions

ALL = Permissions.all().value
ADMINISTRATOR = Permissions(administrator=True).value
VIEW_CHANNEL = Permissions(view_channel=True).value
SEND_MESSAGES = Permissions(send_messages=True).value
READ_MESSAGE_HISTORY = Permissions(read_message_history=True).value
MANAGE_CHANNELS = Permissions(manage_channels=True).value
MANAGE_ROLES = Permissions(manage_roles=True).value
MANAGE_MESSAGES = Permissions(manage_messages=True).value
ATTACH_FILES = Permissions(attach_files=True).value
ADD_REACTIONS = Permissions(add_reactions=True).value
MANAGE_EVENTS = Permissions(manage_events=True).value
MANAGE_GUILD = Permissions(manage_guild=True).value

#: What Discord takes away implicitly when a member cannot send messages in a channel.
_NEEDS_SEND = Permissions(send_tts_messages=True, mention_everyone=True, embed_links=True, attach_files=True).value

#: A fresh guild's @everyone permissions (the usual Discord defaults for a community server).
DEFAULT_EVERYONE = Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
    create_instant_invite=True,
    change_nickname=True,
    connect=True,
    speak=True,
    use_external_emojis=True,
    send_messages_in_threads=True,
    create_public_threads=True,
).value

#: The bot's role by default: enough to run cafés, deliberately without Administrator,
#: so a missing permission shows up in tests as it would on a real server. Manage Events is in
#: it because Blether's invite asks for it (cafés are mirrored as scheduled events).
DEFAULT_BOT = Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    manage_channels=True,
    manage_roles=True,
    attach_files=True,
    embed_links=True,
    add_reactions=True,
    use_application_commands=True,
    manage_events=True,
).value


def base_permissions(
    *, guild_id: int, owner_id: int, member_id: int, role_ids: list[int], roles: Mapping[int, dict[str, Any]]
) -> int:
    """Guild-wide permissions of a member, before any channel overwrite."""
    if member_id == owner_id:
        return ALL
    perms = int(roles[guild_id]["permissions"])
    for role_id in role_ids:
        role = roles.get(role_id)
        if role is not None:
            perms |= int(role["permissions"])
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def apply_overwrites(base: int, *, guild_id: int, member_id: int, role_ids: list[int], channel: dict[str, Any]) -> int:
    """Channel permissions from base permissions and the channel's overwrites."""
    if base & ADMINISTRATOR:
        return ALL
    overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites") or []}
    perms = base
    everyone = overwrites.get(guild_id)
    if everyone is not None:
        perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in role_ids:
        ow = overwrites.get(role_id)
        if ow is not None and ow.get("type", 0) == 0:
            allow |= int(ow["allow"])
            deny |= int(ow["deny"])
    perms = (perms & ~deny) | allow
    own = overwrites.get(member_id)
    if own is not None and own.get("type", 1) == 1:
        perms = (perms & ~int(own["deny"])) | int(own["allow"])
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & SEND_MESSAGES:
        perms &= ~_NEEDS_SEND
    return perms


def has(perms: int, needed: int) -> bool:
    return perms & needed == needed
