"""Cleaning captured text: no Discord ids or server links survive."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import NEUTRAL_PERSON, attachment_marker, clean_contribution, mentioned_user_ids

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
