"""The prize draw is fair: every entrant is equally likely to win, checked over many draws with
fixed seeds (so the test gives the same answer every run), and the result follows from the
committed seed alone."""

from __future__ import annotations

import hashlib
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bot.core.draw import commitment, new_seed, pick

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)


def fixed_seed(i: int) -> str:
    return hashlib.sha256(f"draw-test-{i}".encode()).hexdigest()


@given(seeds, st.integers(0, 40), st.integers(0, 25))
def test_winners_are_distinct_entrants_and_follow_from_the_seed(seed: str, entries: int, winners: int) -> None:
    chosen = pick(seed, entries, winners)
    assert len(chosen) == min(entries, winners)
    assert len(set(chosen)) == len(chosen)
    assert all(0 <= p < entries for p in chosen)
    assert pick(seed, entries, winners) == chosen  # anyone with the revealed seed gets the same result


def _chi_square(observed: Counter[int], cells: int, expected: float) -> float:
    return sum((observed[c] - expected) ** 2 / expected for c in range(cells))


def test_every_entrant_is_equally_likely_to_win() -> None:
    """6000 draws among 7 entrants: the winners' counts pass a chi-square test. df = 6, and 22.5
    is the 0.1% critical value; the seeds are fixed, so this can never flake."""
    draws, entries = 6000, 7
    wins = Counter(pick(fixed_seed(i), entries, 1)[0] for i in range(draws))
    assert _chi_square(wins, entries, draws / entries) < 22.5


def test_with_several_winners_each_entrant_is_equally_likely_to_be_among_them() -> None:
    """3000 draws of 3 winners among 10: each entrant wins about 3/10 of the time (df = 9, 0.1%: 27.9),
    and the first winner drawn is uniform too."""
    draws, entries, winners = 3000, 10, 3
    among: Counter[int] = Counter()
    first: Counter[int] = Counter()
    for i in range(draws):
        chosen = pick(fixed_seed(i), entries, winners)
        among.update(chosen)
        first[chosen[0]] += 1
    assert _chi_square(among, entries, draws * winners / entries) < 27.9
    assert _chi_square(first, entries, draws / entries) < 27.9


def test_a_biased_picker_would_fail_the_same_check() -> None:
    """The bound has teeth: favouring the first entrant by a little is caught."""
    draws, entries = 6000, 7
    wins = Counter(0 if i % 20 == 0 else pick(fixed_seed(i), entries, 1)[0] for i in range(draws))
    assert _chi_square(wins, entries, draws / entries) > 22.5


def test_the_seed_is_fresh_and_its_commitment_is_its_sha256() -> None:
    seed = new_seed()
    assert len(seed) == 64 and seed != new_seed()
    assert commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
