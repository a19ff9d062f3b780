"""Pure text scrubbing: contact details out, chosen words out.

Participants sometimes share an e-mail address or phone number to stay in touch, or name a
person; a report forwarded beyond the research team must not carry them. These functions are
pure (text in, text out) so they are easy to test and safe to run in a worker thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.core.text import neutralise_discord

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
LINK_MARK = "[link]"
REDACTED_MARK = "[redacted]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")

_TLDS = "com|org|net|uk|co|io|info|gov|nhs|ac|edu|scot|wales|ie|eu|me|app|ly|gl|gg|tv|us|ca|au|de|fr"
_LINK = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'\]\[(){}]+"  # scheme or www.
    rf"|\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:{_TLDS})\b"
    r"(?:/[^\s<>\"'\]\[(){}]*)?",  # bare domain, optional path
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?"

# Numbers that start like a phone number: +CC…, 0…, or (0…); then digits with the usual
# separators (single spaces only, so two numbers in a sentence stay apart). Whether it is long
# enough to be a phone number is decided on its digit count.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d|\(0|0)(?:[\d().-]|\ (?=[\d(]))*\d"
    r"|(?<![\w+])\d{3}[\s.-]\d{3}[\s.-]\d{4}(?!\w)"
)
_PHONE_DIGITS = range(10, 16)


def scrub_emails(text: str) -> str:
    """Replace e-mail addresses by ``[email]``."""
    return _EMAIL.sub(EMAIL_MARK, text)


def scrub_links(text: str) -> str:
    """Replace URLs (with a scheme, ``www.``, or a bare domain with a common TLD) by ``[link]``.

    Punctuation that ends a sentence is kept outside the link, so "see x.org." stays a sentence.
    """

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        stripped = found.rstrip(_TRAILING_PUNCT)
        return LINK_MARK + found[len(stripped) :]

    return _LINK.sub(replace, text)


def scrub_phones(text: str) -> str:
    """Replace phone numbers (UK and international formats, 10 to 15 digits) by ``[phone]``.

    Short numbers such as 999, 111 or the helpline 116 123 are kept: they are signposting,
    not anyone's personal number.
    """

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = sum(ch.isdigit() for ch in found)
        return PHONE_MARK if digits in _PHONE_DIGITS else found

    return _PHONE.sub(replace, text)


def scrub(text: str) -> str:
    """Scrub e-mail addresses, then links, then phone numbers.

    E-mails go first so their domain is not taken for a link; links before phones so the digits
    of a URL are not taken for a phone number.
    """
    return scrub_phones(scrub_links(scrub_emails(text)))


def redactor(words: Iterable[str]) -> Callable[[str], str]:
    """A function replacing each given word or name, whole-word and case-insensitive, by ``[redacted]``.

    Whole-word means not inside a longer word ("Ann" leaves "Annual" alone); it works for words
    that start or end with punctuation too, because the edges are "no word character" rather
    than ``\\b``. Longer words are tried first so "Mary Ann" wins over "Mary".
    """
    cleaned = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not cleaned:
        return _identity
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in cleaned) + r")(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub(REDACTED_MARK, text)


def cleaner(*, scrub_contacts: bool, redact_words: Iterable[str] = ()) -> Callable[[str], str]:
    """Compose scrubbing and redaction into the one function a writer applies to user text.

    Discord links and ids are neutralised in every export, scrubbed or not: text captured
    before a form of link was recognised at capture must not leave the system with it.
    """
    redact = redactor(redact_words)
    if scrub_contacts:
        return lambda text: redact(scrub(neutralise_discord(text)))
    return lambda text: redact(neutralise_discord(text))


def _identity(text: str) -> str:
    return text
