"""A plan's `feedback:` section: defaults that fit Discord's modal, and mistakes named plainly."""

from __future__ import annotations

import pytest

from bot.core.plan import PlanError, parse_plan
from tests.core.test_plan import GOOD


def _problems(feedback: str) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(GOOD + feedback, source="plan.yaml")
    return str(caught.value)


def test_a_plan_without_feedback_gets_the_default_form_and_no_draw() -> None:
    plan = parse_plan(GOOD, source="plan.yaml")
    assert [q.id for q in plan.feedback.questions] == ["rating", "worked", "change", "comment"]
    assert [q.kind for q in plan.feedback.questions].count("rating") == 1
    assert all(len(q.label) <= 45 for q in plan.feedback.questions)
    assert plan.feedback.days_open == 7 and plan.feedback.prize_draw is None and plan.feedback.report_updates


def test_a_plan_sets_its_own_questions_period_and_draw() -> None:
    plan = parse_plan(GOOD + """\
feedback:
  days_open: 3
  questions:
    - {id: score, label: "Out of 5?", kind: rating, required: true}
    - {id: best, label: "Best bit?", kind: short}
  prize_draw: {prize: a book token, winners: 2}
""", source="plan.yaml")
    assert [q.id for q in plan.feedback.questions] == ["score", "best"]
    assert plan.feedback.prize_draw is not None and plan.feedback.prize_draw.winners == 2


def test_more_than_five_questions_a_long_label_or_two_ratings_are_refused() -> None:
    six = "\n".join(f"    - {{id: q{i}, label: Question {i}}}" for i in range(6))
    assert "feedback.questions" in _problems(f"feedback:\n  questions:\n{six}\n")
    assert "45" in _problems(f"feedback:\n  questions:\n    - {{id: q, label: {'x' * 46}}}\n")
    assert "only one question can be a rating" in _problems(
        "feedback:\n  questions:\n    - {id: a, label: A, kind: rating}\n    - {id: b, label: B, kind: rating}\n")
    assert "used twice" in _problems("feedback:\n  questions:\n    - {id: a, label: A}\n    - {id: a, label: B}\n")


def test_an_unknown_key_in_the_feedback_section_names_the_keys_allowed_there() -> None:
    found = _problems("feedback:\n  prize_draw: {prize: a book, winner: 2}\n")
    assert "unknown key 'winner'" in found and "Did you mean 'winners'?" in found
