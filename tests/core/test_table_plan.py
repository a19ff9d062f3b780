"""The organiser's table plan: a good file read whole, a bad one refused with every line's problem."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.table_plan import MAX_TABLES, TablePlan, TablePlanError, parse_table_plan

AILSA, BRUCE, CAT = 111111111111111111, 222222222222222222, 333333333333333333
NAMES = {"ailsa": [AILSA], "bruce b": [BRUCE], "twin": [CAT, 444444444444444444]}
TOPICS = ["Peer support", "Work and money"]


def problems(text: str, topics: list[str] = TOPICS) -> list[str]:
    with pytest.raises(TablePlanError) as caught:
        parse_table_plan(text, names=NAMES, topics=topics)
    return caught.value.problems


def test_a_good_plan_with_heading_notes_names_ids_topics_hosts_and_pairs() -> None:
    text = ("person,table,host\n# the hosts first\nAilsa,1,host\n"
            f"<@{BRUCE}>,work and money\n{CAT},2\napart,ailsa,Bruce B\ntogether,{CAT},Bruce B\n\n")
    assert parse_table_plan(text, names=NAMES, topics=TOPICS) == TablePlan(
        seats=[(AILSA, 1, True), (BRUCE, 2, False), (CAT, 2, False)],
        pairs=[("apart", AILSA, BRUCE), ("together", CAT, BRUCE)],
    )


def test_every_line_is_reported_at_once() -> None:
    found = problems("nobody,1\ntwin,1\nailsa,3\nbruce b,Cooking\nailsa,1,yes\n"
                     f"{AILSA},1\n{AILSA},2\n{BRUCE},1,host\n{CAT},1,host\napart,{AILSA}\ntogether,ailsa,ailsa\n")
    assert found == [
        "line 1: nobody on this server is called 'nobody'; check the spelling or use their Discord user id",
        "line 2: 2 people on this server are called 'twin'; use their Discord user id instead "
        "(right-click → Copy User ID)",
        "line 3: there is no table 3; tables are numbered 1 to 2",
        "line 4: 'Cooking' is neither a table number nor a topic; the topics are 'Peer support', 'Work and money'",
        "line 5: the third column is `host` or nothing (got 'yes')",
        "line 7: this person is already seated on line 6; keep one line",
        "line 9: table 1 already has a host (line 8); one host a table",
        "line 10: write `apart,first person,second person` (got 2 columns)",
        "line 11: a together pair needs two different people",
    ]


def test_pairs_that_contradict_the_seats_are_refused() -> None:
    found = problems(f"{AILSA},1\n{BRUCE},1\n{CAT},2\napart,{AILSA},{BRUCE}\ntogether,{AILSA},{CAT}\n"
                     f"together,{BRUCE},{AILSA}\n")
    assert found == [
        "line 6: this pair is already on line 4 (apart); keep one of the two",
        "line 4: these two must sit apart, but both are seated at table 1",
        "line 5: these two must sit together, but are seated at tables 1 and 2",
    ]


def test_without_topics_tables_are_numbers() -> None:
    assert parse_table_plan(f"{AILSA},{MAX_TABLES}\n", names=NAMES, topics=[]).seats == [(AILSA, MAX_TABLES, False)]
    assert "none (this café's plan has no table topics)" in problems("ailsa,Peer support\n", topics=[])[0]


@given(st.text(max_size=300))
def test_any_text_is_read_or_refused_with_line_numbers_never_a_crash(text: str) -> None:
    try:
        parse_table_plan(text, names=NAMES, topics=TOPICS)
    except TablePlanError as exc:
        assert exc.problems and all(p.startswith(("line ", "the file")) for p in exc.problems)
