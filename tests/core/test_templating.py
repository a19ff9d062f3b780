"""The one bounded sandbox: templates an organiser writes cannot exhaust CPU or memory."""

from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import StrictUndefined
from jinja2.sandbox import SecurityError

from bot.core import templating
from bot.core.templating import TemplateLimitError, render, render_async, sandbox

ENV = sandbox(undefined=StrictUndefined)


def run(source: str, **context: object) -> str:
    return render(ENV.from_string(source), context)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "range()"),
        ("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", "too much work"),
        ("{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}", "too much work"),
        ("{{ 'x' * 3 * 10**9 }}", "3,000,000,000"),
        ("{{ [0] * 10**9 }}", "1,000,000,000"),
        ("{{ 10 ** (10 ** 10) }}", "number too large"),
        ("{{ '%0999999999d' % 1 }}", "too wide"),
        ("{{ '%*d' % (10**9, 1) }}", "'*' width"),
        ("{{ '{:>999999999}'.format(1) }}", "too wide"),
        ("{{ '{:{}}'.format(1, 10**9) }}", "width taken from an argument"),
        ("{{ 'x'.ljust(10**9) }}", "1,000,000,000"),
        ("{{ 'x' | center(10**9) }}", "too wide"),
        ("{{ 'x' | indent(10**9) }}", "too wide"),
        ("{{ ('x' * 10000) | replace('x', 'x' * 10000) }}", "100,000,000"),
        ("{{ ('x' * 10000).replace('', 'y' * 10000) }}", "characters or items"),
        ("{{ range(10) | batch(10**9, 'x') | list }}", "1,000,000,000"),
        ("{{ ('x' * 1000) | join('y' * 1000) }}", "1,000,000"),
        ("{{ 'ab' | wordwrap(1, wrapstring='x' * 1000) }}", "too wide"),
        (
            "{% set ns = namespace(s='x' * 10000) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "40,000",
        ),
        ("{% for i in range(1000) %}{{ 'x' * 100 }}{% endfor %}", "longer than"),
        ("{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}", ""),
    ],
)
def test_runaway_templates_are_refused_with_a_reason(source: str, says: str) -> None:
    with pytest.raises(TemplateLimitError) as caught:
        run(source, s="x" * 100)
    assert says in str(caught.value)


def test_lipsum_is_gone() -> None:
    assert "lipsum" not in ENV.globals


def test_templates_cannot_change_lists_or_reach_python_internals() -> None:
    with pytest.raises(SecurityError):
        run("{% set x = [] %}{{ x.append(1) }}")
    with pytest.raises(SecurityError):
        run("{{ x.__class__.__mro__ }}", x="")


def test_ordinary_templates_still_work() -> None:
    source = (
        "{{ name | upper }} {% for i in range(3) %}{{ loop.index }}{% endfor %} {{ '%5d' % 3 }}|"
        "{{ '{:>4}'.format(1) }}|{{ 'a' | center(5) }}|{{ ['a', 'b'] | join(', ') }}|{{ 'x' * 3 }}"
    )
    assert run(source, name="bob") == "BOB 123     3|   1|  a  |a, b|xxx"


def test_each_render_has_its_own_budget() -> None:
    template = ENV.from_string("{% for i in range(500) %}{% for j in range(9) %}{% endfor %}{% endfor %}ok")
    for _ in range(3):
        assert render(template, {}) == "ok"


def test_the_deadline_stops_a_render_even_within_the_step_budget() -> None:
    env = sandbox(limits=templating.Limits(max_steps=10**9, max_seconds=0.0))
    with pytest.raises(TemplateLimitError, match="too long"):
        render(env.from_string("{% for i in range(1000) %}{% endfor %}"), {})


def test_trusted_templates_have_no_budget_but_keep_the_sandbox() -> None:
    env = sandbox(limits=None)
    assert render(env.from_string("{% for i in range(2000) %}{% endfor %}{{ 'x' * 30000 }}"), {}) == "x" * 30000
    with pytest.raises(SecurityError):
        render(env.from_string("{{ x.__class__.__mro__ }}"), {"x": ""})


async def test_render_async_runs_in_a_worker_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def where() -> str:
        seen.append(threading.get_ident())
        return "here"

    text = await render_async(ENV.from_string("{{ where() }}"), {"where": where})
    assert text == "here" and seen and seen[0] != loop_thread
    assert asyncio.get_running_loop().is_running()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_no_product_of_numbers_builds_a_string_past_the_limit(a: int, b: int) -> None:
    try:
        text = run("{{ 'ab' * a * b }}", a=a, b=b)
    except TemplateLimitError:
        return
    assert len(text) <= templating.CHAT_LIMITS.max_size
