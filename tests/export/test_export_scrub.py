import pytest

from bot.export.scrub import cleaner, redactor, scrub, scrub_emails, scrub_links, scrub_phones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.bloggs+cafe@example.co.uk, ok?", "write to [email], ok?"),
        ("A.N.Other@nhs.net.", "[email]."),
    ],
)
def test_emails(text: str, expected: str) -> None:
    assert scrub_emails(text) == expected


@pytest.mark.parametrize(
    "number",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)20 7946 0958",
        "(020) 7946 0958",
        "020 7946 0958",
        "0131 496 0000",
        "01632 960 001",
        "0800-123-4567",
        "+1 (555) 123-4567",
        "555-123-4567",
        "+353 1 234 5678",
    ],
)
def test_phone_numbers_uk_and_international(number: str) -> None:
    assert scrub_phones(f"ring me on {number}, any time") == "ring me on [phone], any time"


@pytest.mark.parametrize(
    "text",
    ["call 999 or 111", "Samaritans on 116 123", "born 2024-01-15", "on 01/02/2024", "12,000 people", "0.5 mg"],
)
def test_numbers_that_are_not_phone_numbers_stay(text: str) -> None:
    assert scrub_phones(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://mind.org.uk/help?x=1.", "see [link]."),
        ("www.nhs.uk, then", "[link], then"),
        ("try samaritans.org!", "try [link]!"),
        ("(http://example.com/a_b)", "([link])"),
    ],
)
def test_links(text: str, expected: str) -> None:
    assert scrub_links(text) == expected


def test_scrub_handles_all_three_and_keeps_the_rest() -> None:
    text = "Mail jo@example.org, call 07700 900123, see https://x.org/p. Feeling 🌱 أشعر"
    assert scrub(text) == "Mail [email], call [phone], see [link]. Feeling 🌱 أشعر"


def test_redaction_is_whole_word_and_case_insensitive() -> None:
    redact = redactor(["Alice", "Mary Ann", "Dr. Who"])
    assert redact("alice, ALICE's and Alicent; Mary Ann met dr. who") == (
        "[redacted], [redacted]'s and Alicent; [redacted] met [redacted]"
    )


def test_cleaner_without_options_changes_nothing() -> None:
    text = "jo@example.org 07700 900123"
    assert cleaner(scrub_contacts=False)(text) == text
    assert cleaner(scrub_contacts=True, redact_words=["jo"])(text + " Jo") == "[email] [phone] [redacted]"


@pytest.mark.parametrize("scrub_contacts", [False, True])
def test_every_export_neutralises_discord_ids_stored_before_capture_knew_them(scrub_contacts: bool) -> None:
    text = "ask 123456789012345678 or see discord.com/users/123456789012345678 and discord.gg/abcdef"
    assert cleaner(scrub_contacts=scrub_contacts)(text) == "ask [id] or see [discord link] and [invite link]"
