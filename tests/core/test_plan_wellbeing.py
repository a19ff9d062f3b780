"""Issue 13's plan keys: content notes, accessible versions and pace, with located mistakes."""

from __future__ import annotations

import pytest

from bot.core.plan import PlanError, parse_plan

BASE = """\
id: tiny
title: Tiny café
welcome: Welcome.
ground_rules: [Be kind]
consent_text: "Kept at most {{ server.retention_days }} days."
signposting: Call 116 123.
closing: Thanks.
themes:
  - id: kindness
    name: Kindness
rounds:
  - id: first
    title: First
    prompt: What helps?
    minutes: 10
"""


def _problems(extra_round: str = "", extra_plan: str = "") -> list[str]:
    text = BASE + extra_round + extra_plan
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source="plan.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_new_keys_parse_and_pace_is_applied_once_when_scheduled() -> None:
    plan = parse_plan(BASE + "    content_note: This round talks about hospital stays.\n"
                      "    accessible:\n      bsl_video: https://example.org/bsl/1\n      easy_read: What helps you?\n"
                      "welcome_accessible:\n  easy_read: Hello. Welcome.\npace: 1.5\n", source="plan.yaml")
    assert plan.rounds[0].content_note == "This round talks about hospital stays."
    assert plan.rounds[0].accessible is not None and plan.rounds[0].accessible.bsl_video == "https://example.org/bsl/1"
    assert plan.welcome_accessible is not None and plan.welcome_accessible.easy_read == "Hello. Welcome."
    paced = plan.paced()
    assert [r.minutes for r in paced.rounds] == [15] and paced.pace == 1.0
    assert paced.paced() is paced


def test_mistakes_in_the_new_keys_are_reported_where_they_are() -> None:
    problems = _problems(
        "    content_note: " + "x" * 301 + "\n"
        "    accessible:\n      bsl_video: www.example.org/video\n",
        "welcome_accessible: {}\npace: fast\n",
    )
    joined = "\n".join(problems)
    assert "rounds[0].content_note: is too long; keep it to 300 characters" in joined
    assert "rounds[0].accessible.bsl_video: must be a web address starting with https://" in joined
    assert "welcome_accessible: give a bsl_video link, an easy_read text, or both" in joined
    assert "pace: must be a number from 1 to 3.0" in joined


def test_a_pace_that_makes_a_round_too_long_and_an_unknown_key_are_located() -> None:
    assert parse_plan(BASE + "pace: 3\n", source="plan.yaml").paced().rounds[0].minutes == 30
    long_round = BASE.replace("minutes: 10", "minutes: 200")
    with pytest.raises(PlanError) as caught:
        parse_plan(long_round + "pace: 1.5\n", source="plan.yaml")
    assert "at this pace rounds[0] would last over 240 minutes" in str(caught.value)
    unknown = _problems("    acessible:\n      easy_read: hi\n")
    assert any(p.startswith("rounds[0].acessible: unknown key 'acessible'") and "Did you mean 'accessible'?" in p
               for p in unknown)
