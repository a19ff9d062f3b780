"""Text made safe for XML 1.0, which cannot carry most control characters at all."""

from __future__ import annotations

import re

_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Drop characters XML 1.0 forbids (ElementTree would write them and break the document)."""
    return _ILLEGAL.sub("", text)
