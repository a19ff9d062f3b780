"""Making captured text safe to keep: no Discord ids survive into the store.

Mentions become pseudonyms (or a neutral marker), and links that point into the server are
neutralised, so an export can never be used to find the person or the channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&\d{15,21}>")
_CHANNEL_MENTION = re.compile(r"<#\d{15,21}>")
_COMMAND_MENTION = re.compile(r"</([\w -]+):\d{15,21}>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w+):\d{15,21}>")
_DISCORD_LINK = re.compile(
    r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/[\d@me]+(?:/\d+){0,2}\S*", re.IGNORECASE
)
_INVITE_LINK = re.compile(r"https?://(?:www\.)?(?:discord\.gg|discord(?:app)?\.com/invite)/\S+", re.IGNORECASE)

NEUTRAL_PERSON = "[participant]"


def clean_contribution(text: str, pseudonym_for: Callable[[int], str | None]) -> str:
    """Rewrite mentions and Discord links; `pseudonym_for` maps a user id to a pseudonym or None."""

    def person(match: re.Match[str]) -> str:
        return pseudonym_for(int(match.group(1))) or NEUTRAL_PERSON

    text = _USER_MENTION.sub(person, text)
    text = _ROLE_MENTION.sub("[role]", text)
    text = _CHANNEL_MENTION.sub("[channel]", text)
    text = _COMMAND_MENTION.sub(lambda m: f"/{m.group(1)}", text)
    text = _CUSTOM_EMOJI.sub(lambda m: f":{m.group(1)}:", text)
    text = _DISCORD_LINK.sub("[discord link]", text)
    return _INVITE_LINK.sub("[invite link]", text)


def mentioned_user_ids(text: str) -> set[int]:
    return {int(m) for m in _USER_MENTION.findall(text)}


def attachment_marker(content_type: str | None, filename: str) -> str:
    """Attachments are never stored: only that there was one, and of what kind."""
    kind = (content_type or "").split(";")[0].strip()
    if not kind:
        kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else "file"
    return f"[attachment: {kind}]"
