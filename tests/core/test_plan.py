"""Plan parsing: the shipped plan works, and every kind of mistake gets a located, plain message."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError

from bot.core.plan import (
    TEMPLATE_VARIABLES,
    Plan,
    PlanError,
    PlanProblem,
    parse_plan,
    render,
    sample_context,
    template_context,
)

SHIPPED = Path(__file__).resolve().parents[2] / "prompts" / "whats-next-for-recovery" / "plan.yaml"

GOOD = """\
id: tiny
title: Tiny café
welcome: "Welcome to {{ cafe.title }} in {{ room.name }}"
ground_rules: [Be kind]
consent_text: We record words in {{ cafe.title }}.
signposting: Call 116 123.
closing: Thanks for coming on {{ cafe.date }}.
themes:
  - id: kindness
    name: Kindness
rounds:
  - id: first
    title: First
    prompt: "Round {{ round.number }} of {{ round.total }}: {{ round.title }}"
    minutes: 10
  - id: second
    title: Second
    prompt: Talk for {{ round.minutes }} minutes.
    minutes: 5
    rotate: true
"""


def problems(text: str) -> list[PlanProblem]:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source="plan.yaml")
    return caught.value.problems


def only_problem(text: str) -> PlanProblem:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_shipped_plan_parses_and_every_template_renders() -> None:
    plan = parse_plan(SHIPPED.read_text(encoding="utf-8"), source=str(SHIPPED))

    assert plan.id == "whats-next-for-recovery"
    assert plan.title == "What's next for recovery?"
    assert [r.title for r in plan.rounds] == ["What can we build on?", "What should change?", "What could we create?"]
    assert [r.rotate for r in plan.rounds] == [False, True, False]
    assert len(plan.themes) == 6
    neutral = sample_context(plan)
    for text in (plan.welcome, plan.consent_text, plan.signposting, plan.closing):
        assert "{{" not in render(text, neutral)
    for number, round_ in enumerate(plan.rounds, start=1):
        assert round_.title in render(round_.prompt, sample_context(plan, number))


def test_shipped_consent_text_covers_what_people_must_know() -> None:
    plan = parse_plan(SHIPPED.read_text(encoding="utf-8"), source="plan.yaml")
    consent = render(plan.consent_text, sample_context(plan))

    for must_mention in ("pseudonym", "Discord name", "research team", "/withdraw", "/mydata", "quote"):
        assert must_mention in consent
    # The period is the server's own, never a number written into the plan.
    assert "180" not in plan.consent_text
    assert "never longer than 30 days" in consent
    signposting = render(plan.signposting, sample_context(plan))
    for number in ("116 123", "0800 83 85 87", "111", "999"):
        assert number in signposting


def test_good_plan_values() -> None:
    plan = parse_plan(GOOD, source="plan.yaml")

    assert plan.total_minutes == 15
    assert plan.room_size == 6
    assert plan.version == "1"
    assert render(plan.rounds[0].prompt, sample_context(plan, 1)) == "Round 1 of 2: First"


def test_template_context_formats_the_date_and_has_every_documented_variable() -> None:
    context = template_context(
        cafe_title="Café", starts_at_local=datetime(2026, 12, 5, 18, 30), timezone="Europe/London",
        retention_days=30,
    )

    assert context["server"] == {"retention_days": 30}
    assert context["cafe"] == {
        "title": "Café",
        "date": "Saturday 5 December 2026",
        "time": "18:30",
        "timezone": "Europe/London",
    }
    provided = {f"{space}.{key}" for space, values in context.items() for key in values}  # type: ignore[union-attr]
    assert provided == set(TEMPLATE_VARIABLES)


def test_neutral_context_renders_round_and_room_templates_anywhere() -> None:
    context = template_context(cafe_title="Café", starts_at_local=datetime(2026, 1, 1, 9, 5), timezone="UTC")

    assert render("{{ round.number }}/{{ round.total }} {{ room.name }}", context) == "0/0 the café"
    assert render("{{ cafe.time }}", context) == "09:05"


def test_bad_yaml_reports_line_and_column() -> None:
    problem = only_problem("id: x\ntitle: Broken: here\n")

    assert problem.location == "plan.yaml:2:14"
    assert "quotes" in problem.message


def test_yaml_key_written_twice_is_an_error() -> None:
    problem = only_problem(GOOD + "title: Again\n")

    assert problem.location.startswith("plan.yaml:")
    assert "'title' appears twice" in problem.message


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just words\n"])
def test_plan_that_is_not_a_mapping(text: str) -> None:
    assert only_problem(text).location == "plan.yaml"


def test_missing_field() -> None:
    problem = only_problem(GOOD.replace("closing: Thanks for coming on {{ cafe.date }}.\n", ""))

    assert str(problem) == "closing: is missing; add it"


def test_unknown_key_is_named_with_a_suggestion() -> None:
    problem = only_problem(GOOD.replace("    minutes: 5\n", "    minutes: 5\n    titel: Oops\n"))

    assert problem.location == "rounds[1].titel"
    assert "unknown key 'titel'" in problem.message
    assert "Did you mean 'title'?" in problem.message


@pytest.mark.parametrize("minutes", ["0", "241", "twenty", "10.5", "true"])
def test_minutes_out_of_range_or_not_a_whole_number(minutes: str) -> None:
    problem = only_problem(GOOD.replace("minutes: 5", f"minutes: {minutes}"))

    assert problem.location == "rounds[1].minutes"
    assert problem.message.startswith("must be a whole number of minutes between 1 and 240")


def test_room_size_out_of_range() -> None:
    problem = only_problem(GOOD + "room_size: 1\n")

    assert str(problem) == "room_size: must be a whole number of people between 2 and 25 (got 1)"


def test_duplicate_round_id() -> None:
    problem = only_problem(GOOD.replace("id: second", "id: first"))

    assert problem.location == "rounds"
    assert "'first' is used twice (rounds[0] and rounds[1])" in problem.message


def test_duplicate_theme_id() -> None:
    text = GOOD.replace("rounds:\n", "  - id: kindness\n    name: Again\nrounds:\n")

    assert "theme id 'kindness' is used twice" in only_problem(text).message


@pytest.mark.parametrize(
    ("before", "after", "location"),
    [
        ("title: Tiny café", 'title: "   "', "title"),
        ("ground_rules: [Be kind]", "ground_rules: []", "ground_rules"),
        ("ground_rules: [Be kind]", "ground_rules: ['  ']", "ground_rules[0]"),
        ("id: tiny", "id: Tiny Café", "id"),
        ("title: Tiny café", "title: 2020", "title"),
        ("    rotate: true", "    rotate: sometimes", "rounds[1].rotate"),
    ],
)
def test_other_field_mistakes_are_located(before: str, after: str, location: str) -> None:
    assert only_problem(GOOD.replace(before, after)).location == location


def test_version_may_be_written_as_a_number() -> None:
    assert parse_plan(GOOD + "version: 2\n", source="plan.yaml").version == "2"


def test_undefined_template_variable_names_it_and_lists_the_available_ones() -> None:
    problem = only_problem(GOOD.replace("Talk for {{ round.minutes }}", "Talk for {{ cafe.titel }}"))

    assert problem.location == "rounds[1].prompt"
    assert problem.message.startswith("unknown variable 'cafe.titel' — available: cafe.title, cafe.date")
    assert "Did you mean 'cafe.title'?" in problem.message


def test_methods_on_known_variables_and_local_names_are_allowed() -> None:
    text = GOOD.replace(
        "Talk for {{ round.minutes }} minutes.",
        "'{% set n = round.minutes %}{{ cafe.title.upper() }} {{ n }} {% for i in range(2) %}{{ i }}{% endfor %}'",
    )

    plan = parse_plan(text, source="plan.yaml")

    assert render(plan.rounds[1].prompt, sample_context(plan, 2)) == "TINY CAFÉ 5 01"


def test_template_syntax_error() -> None:
    problem = only_problem(GOOD.replace("Call 116 123.", '"Call {% if %} 116 123."'))

    assert problem.location == "signposting"
    assert problem.message.startswith("template syntax error on line 1")


def test_sandbox_blocks_attribute_access() -> None:
    problem = only_problem(GOOD.replace("Call 116 123.", "\"{{ ''.__class__ }}\""))

    assert problem.location == "signposting"
    assert "not allowed in a template" in problem.message
    with pytest.raises(SecurityError):
        render("{{ cafe.__class__.__mro__ }}", {"cafe": {}})


def test_template_that_renders_empty_or_fails_is_reported() -> None:
    text = GOOD.replace("Call 116 123.", '"{% if false %}x{% endif %}"').replace(
        "Thanks for coming on {{ cafe.date }}.", '"{{ 1 / 0 }}"'
    )

    by_location = {p.location: p.message for p in problems(text)}

    assert by_location["signposting"] == "renders as empty text"
    assert by_location["closing"].startswith("this template fails when filled in")


def test_template_too_long_for_one_message() -> None:
    problem = only_problem(GOOD.replace("Call 116 123.", "\"{{ 'x' * 2500 }}\""))

    assert problem.message.startswith("renders as 2500 characters")


def test_several_problems_are_reported_together() -> None:
    text = (
        GOOD.replace("minutes: 10", "minutes: 0")
        .replace("id: tiny", "id: tiny\ncolour: blue")
        .replace("{{ round.minutes }}", "{{ round.minits }}")
        .replace("ground_rules: [Be kind]", "ground_rules: []")
    )

    with pytest.raises(PlanError) as caught:
        parse_plan(text, source="plan.yaml")

    locations = [p.location for p in caught.value.problems]
    assert sorted(locations) == sorted(["rounds[0].minutes", "colour", "rounds[1].prompt", "ground_rules"])
    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    assert all(": " in line for line in lines)
    assert "Traceback" not in str(caught.value) and "pydantic" not in str(caught.value)


def test_snapshot_round_trips_through_json() -> None:
    plan = parse_plan(SHIPPED.read_text(encoding="utf-8"), source="plan.yaml")

    snapshot = json.loads(json.dumps(plan.to_snapshot()))

    assert Plan.from_snapshot(snapshot) == plan


def test_damaged_snapshot_is_a_plan_error() -> None:
    snapshot = parse_plan(GOOD, source="plan.yaml").to_snapshot()
    snapshot["rounds"][0]["minutes"] = -1

    with pytest.raises(PlanError, match=r"rounds\[0\]\.minutes"):
        Plan.from_snapshot(snapshot)


def test_plan_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        PlanError([])


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "range()"),
        ("{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}x", "too much work"),
        ("{{ 'x' * 3 * 10**9 }}", "too much for a template"),
        ("{{ lipsum(10**6) }}", "unknown variable 'lipsum'"),
    ],
)
def test_templates_that_would_exhaust_the_bot_are_refused_where_they_are(template: str, says: str) -> None:
    problem = only_problem(GOOD.replace("Call 116 123.", f'"{template}"'))

    assert problem.location == "signposting"
    assert says in problem.message


async def test_render_async_gives_the_same_text_as_render() -> None:
    from bot.core.plan import render_async

    context = {"cafe": {"title": "Tea"}}
    assert await render_async("Hello {{ cafe.title }}", context) == render("Hello {{ cafe.title }}", context)



# -- tables: topics and choice ------------------------------------------------------------------


def test_tables_carry_topics_a_theme_id_shown_by_its_name() -> None:
    plan = parse_plan(GOOD + "tables:\n  choose: true\n  topics: [kindness, Work and money]\n", source="plan.yaml")

    assert plan.tables.choose and plan.table_topics() == ["Kindness", "Work and money"]
    assert Plan.from_snapshot(plan.to_snapshot()) == plan
    assert parse_plan(GOOD, source="plan.yaml").table_topics() == []


@pytest.mark.parametrize(("block", "location", "words"), [
    ("tables:\n  choose: true\n", "tables", "choose: true needs topics"),
    ("tables:\n  topics: [Hope, hope]\n", "tables", "'hope' is listed twice (topics[0] and topics[1])"),
    ("tables:\n  topics: [Hope, '']\n", "tables.topics[1]", "must not be empty"),
    ("tables:\n  topics: [" + "x" * 101 + "]\n", "tables.topics[0]", "keep it to 100 characters"),
    ("tables:\n  chose: true\n", "tables.chose", "Did you mean 'choose'?"),
    ("tables:\n  choose: maybe\n", "tables.choose", "must be true or false"),
])
def test_table_mistakes_are_located(block: str, location: str, words: str) -> None:
    problem = only_problem(GOOD + block)

    assert problem.location == location and words in problem.message, problem
