"""Pseudonyms: a keyed hash of the Discord id, per server and series.

Keyed (HMAC) so nobody without the key can test a Discord id against a pseudonym; per series
so two projects' analysts cannot link the same person across their data sets; per server
because a series is a free-text label (by default the plan id) that unrelated servers share.
"""

from __future__ import annotations

import hashlib
import hmac

# Crockford-style alphabet: no I, L, O, U, so codes survive being read aloud or retyped.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_LENGTH = 4


def pseudonym_candidates(key: bytes, guild_id: int, series: str, discord_user_id: int | str) -> list[str]:
    """Codes for this person in this server's series, shortest first; the first one not taken is theirs."""
    digest = hmac.new(key, f"{int(guild_id)}\x00{series}\x00{discord_user_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    symbols: list[str] = []
    for _ in range(12):
        number, index = divmod(number, len(_ALPHABET))
        symbols.append(_ALPHABET[index])
    code = "".join(symbols)
    return [f"P-{code[:n]}" for n in range(SHORT_LENGTH, len(code) + 1)]
