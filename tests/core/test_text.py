"""Cleaning captured text: no Discord ids or server links survive."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import KNOWN_CONTENT_TYPES, NEUTRAL_PERSON, attachment_marker, clean_contribution, mentioned_user_ids

ALICE = 123456789012345678
BOB = 876543210987654321


def pseudonyms(user_id: int) -> str | None:
    return {ALICE: "P-ABCD"}.get(user_id)


def test_user_mentions_become_pseudonyms_or_a_neutral_marker() -> None:
    text = f"I agree with <@{ALICE}> and <@!{BOB}>"
    assert clean_contribution(text, pseudonyms) == f"I agree with P-ABCD and {NEUTRAL_PERSON}"


def test_role_channel_and_command_mentions_are_neutralised() -> None:
    text = "<@&111111111111111111> see <#222222222222222222> or </cafe list:333333333333333333>"
    assert clean_contribution(text, pseudonyms) == "[role] see [channel] or /cafe list"


def test_message_links_and_invites_are_neutralised() -> None:
    text = (
        "look https://discord.com/channels/111111111111111111/222222222222222222/333333333333333333 "
        "and https://ptb.discordapp.com/channels/@me/444444444444444444 "
        "or join https://discord.gg/abc123 / https://discord.com/invite/xyz"
    )
    cleaned = clean_contribution(text, pseudonyms)
    assert cleaned == "look [discord link] and [discord link] or join [invite link] / [invite link]"


def test_custom_emoji_keep_only_their_name() -> None:
    assert clean_contribution("so true <:heart:555555555555555555> <a:wave:666666666666666666>", pseudonyms) == (
        "so true :heart: :wave:"
    )


def test_ordinary_text_is_kept_as_written() -> None:
    text = "Peer support helped me <3 — a lot. https://example.org/recovery"
    assert clean_contribution(text, pseudonyms) == text


@settings(max_examples=100)
@given(st.lists(st.one_of(st.text(max_size=20), st.integers(min_value=10**17, max_value=10**19 - 1)), max_size=8))
def test_no_user_mention_survives_cleaning(parts: list[str | int]) -> None:
    text = " ".join(f"<@{p}>" if isinstance(p, int) else p for p in parts)
    cleaned = clean_contribution(text, pseudonyms)
    assert not mentioned_user_ids(cleaned)
    for part in parts:
        if isinstance(part, int):
            assert f"<@{part}>" not in cleaned


def test_mentioned_user_ids_finds_both_mention_forms() -> None:
    assert mentioned_user_ids(f"<@{ALICE}> <@!{BOB}> <@&{BOB}>") == {ALICE, BOB}


def test_attachments_are_only_marked_by_kind() -> None:
    assert attachment_marker("image/png; charset=binary", "me.png") == "[attachment: image/png]"
    assert attachment_marker(None, "notes.PDF") == "[attachment: pdf]"
    assert attachment_marker("", "noextension") == "[attachment: file]"
    assert attachment_marker(None, "holiday.JPG") == "[attachment: image]"


def test_an_attachment_never_shows_its_file_name() -> None:
    assert attachment_marker(None, "alice_mctavish_nhs") == "[attachment: file]"
    assert attachment_marker(None, "letter.alice_mctavish_nhs") == "[attachment: file]"
    assert attachment_marker("image/alice-mctavish", "x.png") == "[attachment: image]"
    assert attachment_marker("application/x-alice", "x") == "[attachment: file]"


KINDS = {"image", "audio", "video", "text", "pdf", "file"}


@settings(max_examples=200)
@given(
    st.text(min_size=1, max_size=40),
    st.one_of(st.none(), st.just(""), st.text(max_size=40), st.sampled_from(["image/png", "audio/ogg", "VIDEO/WEBM"])),
)
def test_attachment_markers_come_from_a_fixed_vocabulary(filename: str, content_type: str | None) -> None:
    marker = attachment_marker(content_type, filename)
    assert marker.startswith("[attachment: ") and marker.endswith("]")
    kind = marker.removeprefix("[attachment: ").removesuffix("]")
    assert kind in KINDS or kind in KNOWN_CONTENT_TYPES


SNOWFLAKES = st.integers(min_value=10**16, max_value=10**20 - 1).map(str)
INVITE_CODES = st.text(alphabet=string.ascii_letters + string.digits, min_size=6, max_size=10)
HOSTS = st.sampled_from([
    "discord.com", "www.discord.com", "ptb.discord.com", "canary.discord.com", "discordapp.com",
    "www.discordapp.com", "ptb.discordapp.com", "canary.discordapp.com", "DISCORD.com",
])
SCHEMES = st.sampled_from(["", "https://", "http://", "HTTPS://"])


@st.composite
def discord_forms(draw: st.DrawFn) -> tuple[str, list[str]]:
    """One way of writing a Discord id or link, and the secrets in it that must not survive."""
    ids = [draw(SNOWFLAKES) for _ in range(3)]
    code = draw(INVITE_CODES)
    scheme, host = draw(SCHEMES), draw(HOSTS)
    kind = draw(st.sampled_from(["bare", "message", "dm", "user", "invite-gg", "invite-host", "file"]))
    if kind == "bare":
        return ids[0], [ids[0]]
    if kind == "message":
        return f"{scheme}{host}/channels/{ids[0]}/{ids[1]}/{ids[2]}", ids
    if kind == "dm":
        return f"{scheme}{host}/channels/@me/{ids[0]}", [ids[0]]
    if kind == "user":
        return f"{scheme}{host}/users/{ids[0]}", [ids[0]]
    if kind == "file":
        name = draw(st.sampled_from(["alice_mctavish_nhs_letter.pdf", "Bruce-discharge-note.png"]))
        cdn = draw(st.sampled_from(["cdn.discordapp.com", "media.discordapp.net", "CDN.DISCORDAPP.COM"]))
        return f"{scheme}{cdn}/attachments/{ids[0]}/{ids[1]}/{name}?ex=67&is=1", [ids[0], ids[1], name]
    if kind == "invite-gg":
        return f"{scheme}{draw(st.sampled_from(['', 'www.']))}discord.gg/{code}", [code]
    return f"{scheme}{host}/invite/{code}", [code]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.text(max_size=15), discord_forms()), min_size=1, max_size=4), st.text(max_size=15))
def test_no_discord_id_or_link_survives_cleaning(parts: list[tuple[str, tuple[str, list[str]]]], tail: str) -> None:
    text = "".join(before + form for before, (form, _) in parts) + tail
    cleaned = clean_contribution(text, pseudonyms)
    random_text = "\x00".join([*(before for before, _ in parts), tail])
    for _, (form, secrets) in parts:
        for secret in secrets:
            # The random text may happen to hold the same characters; that is not a leak.
            assert secret not in cleaned or secret in random_text, (form, cleaned)
    assert "/channels/" not in cleaned.lower() and "/users/" not in cleaned.lower()
    assert "discord.gg/" not in cleaned.lower() and "/invite/" not in cleaned.lower()
    assert "/attachments/" not in cleaned.lower()


def test_each_form_becomes_a_neutral_marker() -> None:
    text = (
        "id 123456789012345678, discord.com/channels/1/2 www.discord.com/channels/@me/3 "
        "discord.com/users/123456789012345678 discord.gg/abc ptb.discord.com/invite/xyz"
    )
    assert clean_contribution(text, pseudonyms) == (
        "id [id], [discord link] [discord link] [discord link] [invite link] [invite link]"
    )


def test_short_numbers_and_phone_numbers_are_not_taken_for_ids() -> None:
    text = "call 116 123 or 07700 900123, about 1234567890123456 steps"
    assert clean_contribution(text, pseudonyms) == text
