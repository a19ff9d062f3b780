"""Pseudonyms: keyed, per series, stable, readable."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.pseudonyms import SHORT_LENGTH, pseudonym_candidates

KEY = bytes(range(32))
CODE = re.compile(r"P-[0-9A-HJKMNP-TV-Z]+")

snowflakes = st.integers(min_value=10**16, max_value=2**63 - 1)


@settings(max_examples=100)
@given(snowflakes)
def test_candidates_are_readable_codes_that_lengthen(user_id: int) -> None:
    codes = pseudonym_candidates(KEY, 1, "series", user_id)
    assert len(codes[0]) == len("P-") + SHORT_LENGTH
    assert all(CODE.fullmatch(code) for code in codes)
    assert [len(c) for c in codes] == list(range(len(codes[0]), len(codes[0]) + len(codes)))
    assert all(longer.startswith(shorter) for shorter, longer in itertools.pairwise(codes))
    assert str(user_id) not in "".join(codes)


@settings(max_examples=100)
@given(snowflakes)
def test_same_key_series_and_person_give_the_same_codes(user_id: int) -> None:
    assert pseudonym_candidates(KEY, 1, "s", user_id) == pseudonym_candidates(KEY, 1, "s", str(user_id))


@settings(max_examples=100)
@given(snowflakes)
def test_codes_differ_across_series_and_keys(user_id: int) -> None:
    base = pseudonym_candidates(KEY, 1, "series-a", user_id)[-1]
    assert pseudonym_candidates(KEY, 1, "series-b", user_id)[-1] != base
    assert pseudonym_candidates(bytes(32), 1, "series-a", user_id)[-1] != base
