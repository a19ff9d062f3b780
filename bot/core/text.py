"""Making captured text safe to keep: no Discord ids survive into the store.

Mentions become pseudonyms (or a neutral marker), and links that point into the server are
neutralised, so an export can never be used to find the person or the channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

_USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
_ROLE_MENTION = re.compile(r"<@&\d{15,21}>")
_CHANNEL_MENTION = re.compile(r"<#\d{15,21}>")
_COMMAND_MENTION = re.compile(r"</([\w -]+):\d{15,21}>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w+):\d{15,21}>")
# Links into Discord in every form people paste them: with or without a scheme, with ``www.``,
# the ``ptb.``/``canary.`` test clients and the old ``discordapp.com`` host. No left word
# boundary on purpose: "see:discord.gg/x" or "xdiscord.com/users/1" must not slip through.
_DISCORD_HOST = r"(?:https?://)?(?:(?:www|ptb|canary)\.)?discord(?:app)?\.com"
_DISCORD_LINK = re.compile(_DISCORD_HOST + r"/(?:channels|users)/\S*", re.IGNORECASE)
_INVITE_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?discord\.gg/\S+|" + _DISCORD_HOST + r"/invite/\S+", re.IGNORECASE
)
#: A Discord id written out on its own (a snowflake is 17 to 20 digits today). Any run of 17 or
#: more digits goes: nothing a person says in a café needs one, and phone numbers are shorter.
_BARE_ID = re.compile(r"\d{17,}")
#: A pasted link to an uploaded file carries the file's name, which people choose ("alice_mctavish
#: _nhs_letter.pdf"): the whole link goes, whatever its query string.
_FILE_LINK = re.compile(
    r"(?:https?://)?(?:(?:cdn|media)\.discordapp\.(?:com|net)|(?:cdn\.)?discord\.com)/(?:ephemeral-)?attachments/\S*",
    re.IGNORECASE,
)

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
    return neutralise_discord(text)


def neutralise_discord(text: str) -> str:
    """Replace Discord links, invites and bare ids; idempotent, so exports can apply it again.

    Mentions need a pseudonym lookup and are handled at capture; this part needs nothing, so
    an export can run it over text stored before a form was recognised here.
    """
    text = _FILE_LINK.sub("[attachment link]", text)
    text = _DISCORD_LINK.sub("[discord link]", text)
    text = _INVITE_LINK.sub("[invite link]", text)
    return _BARE_ID.sub("[id]", text)


def mentioned_user_ids(text: str) -> set[int]:
    return {int(m) for m in _USER_MENTION.findall(text)}


#: Content types kept as they are: a fixed list, so a crafted type cannot carry a name.
KNOWN_CONTENT_TYPES: Final = frozenset(
    {
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif",
        "audio/mpeg", "audio/ogg", "audio/wav", "audio/mp4", "audio/webm",
        "video/mp4", "video/webm", "video/quicktime",
        "application/pdf", "text/plain", "application/zip",
    }
)
_KINDS: Final = ("image", "audio", "video", "text")
#: What a file name's extension says about its kind when Discord sent no content type.
_EXTENSION_KINDS: Final[Mapping[str, str]] = {
    **dict.fromkeys(("png", "jpg", "jpeg", "gif", "webp", "heic", "avif", "bmp"), "image"),
    **dict.fromkeys(("mp3", "ogg", "wav", "m4a", "flac", "opus"), "audio"),
    **dict.fromkeys(("mp4", "mov", "webm", "mkv", "avi"), "video"),
    **dict.fromkeys(("txt", "md"), "text"),
    "pdf": "pdf",
}


def attachment_marker(content_type: str | None, filename: str) -> str:
    """Attachments are never stored: only that there was one, and of what kind.

    The kind comes from a fixed vocabulary. The file name itself never appears: people name
    files after themselves ("alice_mctavish_nhs_letter.pdf"), and an extension is only read
    through the table above, because "x.alice_mctavish" has an "extension" too.
    """
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime:
        if mime in KNOWN_CONTENT_TYPES:
            return f"[attachment: {mime}]"
        major = mime.split("/", 1)[0]
        return f"[attachment: {major if major in _KINDS else 'file'}]"
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"[attachment: {_EXTENSION_KINDS.get(extension, 'file')}]"
