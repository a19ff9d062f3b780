"""The prize draw's arithmetic: a committed secret seed, and winners that follow from it.

Fairness here means two things. Every entrant is equally likely to win: winners are drawn
without replacement by uniform choice over the remaining entrants, each choice taken from
HMAC-SHA256 output by rejection sampling (no modulo bias). And nobody could pick the seed
knowing who would enter: the seed comes from the operating system's cryptographic source
(`secrets.SystemRandom`) when the café closes, its SHA-256 is written to the audit log then,
and the seed itself is revealed in the audit log with the result. Anyone holding the audit log
can check that the revealed seed hashes to the commitment made before the entries existed and
that it gives the winning positions for that many entries.

Pure: no I/O, no clock. The seed is an argument, so tests can run the same draw many times.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

SEED_BYTES: Final = 32
_SYSTEM_RANDOM: Final = secrets.SystemRandom()


def new_seed() -> str:
    """A fresh secret seed from the cryptographic source, as hex."""
    return _SYSTEM_RANDOM.getrandbits(SEED_BYTES * 8).to_bytes(SEED_BYTES, "big").hex()


def commitment(seed: str) -> str:
    """What is published before the draw: the SHA-256 of the seed, as hex."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


class _Stream:
    """Uniform integers from HMAC-SHA256(seed, counter): deterministic given the seed."""

    def __init__(self, seed: str) -> None:
        self._key = bytes.fromhex(seed)
        self._counter = 0

    def _block(self) -> int:
        self._counter += 1
        digest = hmac.new(self._key, self._counter.to_bytes(8, "big"), hashlib.sha256).digest()
        return int.from_bytes(digest, "big")

    def below(self, n: int) -> int:
        """A uniform integer in [0, n): reject the top sliver of the 256-bit range that n does not divide."""
        space = 1 << 256
        limit = space - space % n
        while True:
            value = self._block()
            if value < limit:
                return value % n


def pick(seed: str, entries: int, winners: int) -> list[int]:
    """The winning positions (0-based, in the entries' canonical order), in the order drawn.

    A partial Fisher–Yates shuffle: each winner is a uniform choice among those not yet drawn.
    """
    if entries < 0 or winners < 0:
        raise ValueError("entries and winners cannot be negative")
    order = list(range(entries))
    chosen: list[int] = []
    stream = _Stream(seed)
    for i in range(min(winners, entries)):
        j = i + stream.below(entries - i)
        order[i], order[j] = order[j], order[i]
        chosen.append(order[i])
    return chosen
