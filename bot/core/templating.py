"""The one place Blether builds jinja2 environments: sandboxed, and bounded in work and size.

Organisers write plan templates and reword the bot's messages; neither is a programmer's job,
and neither may be able to stall the bot. jinja2's sandbox stops a template reaching Python
internals but not from asking for a billion loop iterations (``range(100000)`` twice nested),
a three-gigabyte string (``'x' * 3 * 10**9``) or a million paragraphs of ``lipsum``. The
sandbox built here refuses each of those with :class:`TemplateLimitError`, whose message says
what was too big:

* every ``for`` iteration and every call counts against a per-render step budget, which also
  carries a deadline, so no template runs for long whatever it loops over;
* ``range()`` is capped, and ``lipsum`` is gone;
* ``*``, ``**``, ``+`` and ``%`` are checked *before* Python does them, and every string, list
  or number a template makes (operators, ``~``, filters, string methods) has a size limit;
* widths in format strings and filters (``'%999999999d'``, ``center``, ``indent``) are capped;
* the rendered text itself stops at a maximum length.

The shipped export templates are trusted and render whole reports, so they get the sandbox
without the budget (``limits=None``).
"""

from __future__ import annotations

import asyncio
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from functools import wraps
from typing import Any, Final

from jinja2 import BaseLoader, Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateLimitError(SecurityError):
    """A template asked for more work or a bigger result than Blether allows."""


@dataclass(frozen=True)
class Limits:
    """How much one render may do. The defaults fit chat messages (2,000 characters)."""

    #: ``for`` iterations plus calls (macros, filters via methods, globals) in one render.
    max_steps: int = 10_000
    #: Numbers one ``range()`` may produce.
    max_range: int = 1_000
    #: Characters (or items) in any string or list a template makes, and in the output.
    max_size: int = 20_000
    #: A width or padding in a format string, ``center``, ``indent`` or ``wordwrap``.
    max_width: int = 200
    #: Bits in an integer a template computes (``10**10**10`` would take minutes).
    max_int_bits: int = 4_096
    #: Wall-clock seconds for one render, checked as steps are counted.
    max_seconds: float = 2.0


CHAT_LIMITS: Final = Limits()

#: How often (in steps) the deadline is looked at: the clock is cheap but not free.
_CLOCK_EVERY: Final = 64


class _Budget:
    """The steps and time one render has left."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise TemplateLimitError(
                f"this template does too much work (more than {self.limits.max_steps:,} loop steps and calls); "
                "use smaller loops"
            )
        if self.steps % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise TemplateLimitError(
                f"this template takes too long to fill in (over {self.limits.max_seconds:g} s); use smaller loops"
            )


class _BudgetContext(Context):
    """A render's context, carrying that render's budget (a new context, a new budget)."""

    budget: _Budget | None = None


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles loops and ``~`` so the sandbox sees every iteration and every joined string.

    A loop's iterable is wrapped in the generated code rather than in the template's syntax
    tree (jinja2 allows no custom nodes), so a template cannot shadow or skip the counting.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loop_iterables: list[nodes.Node] = []

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if any(node is iterable for iterable in self._loop_iterables):
            self.write("environment.counted(context, ")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables.append(node.iter)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


# `%d`-style and `{:…}`-style widths and precisions.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBERS = re.compile(r"\d+")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """An immutable jinja2 sandbox that also refuses work and results beyond :class:`Limits`."""

    code_generator_class = _BoundedCodeGenerator
    context_class = _BudgetContext
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *, limits: Limits | None, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        if limits is not None:
            self.filters.update({name: self._sized_filter(name, f) for name, f in self.filters.items()})

    # --- budget ---------------------------------------------------------------------

    def _budget(self, context: Context) -> _Budget | None:
        if self.limits is None:
            return None
        budget = getattr(context, "budget", None)
        if budget is None:
            budget = _Budget(self.limits)
            setattr(context, "budget", budget)  # noqa: B010  # one budget per render, carried on jinja2's context
        return budget

    def counted(self, context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate ``iterable``, counting each step against the render's budget."""
        budget = self._budget(context)
        if budget is None:
            yield from iterable
            return
        for item in iterable:
            budget.step()
            yield item

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Count the call, check its arguments before and its result after."""
        budget = __self._budget(__context)
        if budget is not None:
            budget.step()
            __self._check_method(__obj, args)
        return __self.sized(super().call(__context, __obj, *args, **kwargs))

    # --- sizes ----------------------------------------------------------------------

    def sized(self, value: Any) -> Any:
        """``value`` if it is within the size limits; otherwise refuse it."""
        if self.limits is None:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            self._bits(value.bit_length())
        elif isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > self.limits.max_size:
            raise self._too_big(len(value))
        return value

    def _too_big(self, size: int) -> TemplateLimitError:
        assert self.limits is not None
        return TemplateLimitError(
            f"this template makes text or a list of {size:,} characters or items; the limit is "
            f"{self.limits.max_size:,}"
        )

    def _length(self, size: int) -> None:
        if self.limits is not None and size > self.limits.max_size:
            raise self._too_big(size)

    def _bits(self, bits: int) -> None:
        if self.limits is not None and bits > self.limits.max_int_bits:
            raise TemplateLimitError("this template computes a number too large to show; use smaller numbers")

    def _width(self, width: object) -> None:
        limit = self.limits.max_width if self.limits is not None else None
        if limit is None:
            return
        if isinstance(width, str):
            width = len(width)
        if isinstance(width, int) and width > limit:
            raise TemplateLimitError(f"a width or padding of {width:,} is too wide; keep it at most {limit}")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Check ``*``, ``**``, ``+`` and ``%`` before doing them: the result may not fit in memory."""
        if self.limits is not None:
            self._check_binop(operator, left, right)
        return self.sized(super().call_binop(context, operator, left, right))

    def _check_binop(self, operator: str, left: Any, right: Any) -> None:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, Sized) and not isinstance(seq, Mapping) and isinstance(times, int):
                    self._length(len(seq) * max(times, 0))
            if _is_int(left) and _is_int(right):
                self._bits(left.bit_length() + right.bit_length())
        elif operator == "**" and _is_int(left) and _is_int(right) and abs(left) > 1 and right > 0:
            self._bits(left.bit_length() * right)
        elif operator == "+" and isinstance(left, Sized) and isinstance(right, Sized):
            self._length(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            self._check_percent(left)

    def _check_percent(self, template: str) -> None:
        for width, precision in _PERCENT_SPEC.findall(template):
            for number in (width, precision):
                if number == "*":
                    raise TemplateLimitError("a '*' width in a % format is not allowed; write the width out")
                if number:
                    self._width(int(number))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'…'.format(…)``: no width taken from an argument, no width over the limit."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None or self.limits is None:
            return wrapped
        self._check_format(value.__self__)
        return wrapped

    def _check_format(self, template: str) -> None:
        for _, _, spec, _ in string.Formatter().parse(template):
            if spec and "{" in spec:
                raise TemplateLimitError("a width taken from an argument ('{:{}}') is not allowed; write it out")
            for number in _SPEC_NUMBERS.findall(spec or ""):
                self._width(int(number))

    def _check_method(self, obj: Any, args: tuple[Any, ...]) -> None:
        """String methods that multiply: ``'x'.ljust(10**9)``, ``s.replace('', s)``, ``s.join(…)``."""
        owner = getattr(obj, "__self__", None)
        if not isinstance(owner, str):
            return
        name = getattr(obj, "__name__", "")
        if name in ("center", "ljust", "rjust", "zfill") and args:
            self._length(args[0] if isinstance(args[0], int) else 0)
        elif name == "expandtabs" and args:
            self._width(args[0])
        elif name == "replace" and len(args) >= 2:
            self._check_replace(owner, args[0], args[1])
        elif name == "join" and args and isinstance(args[0], Sized):
            self._length(len(owner) * len(args[0]))

    def _check_replace(self, text: Any, old: Any, new: Any) -> None:
        if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
            hits = text.count(old) if old else len(text) + 1
            self._length(len(text) + hits * max(len(new) - len(old), 0))

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        limit = self.limits.max_range if self.limits is not None else None
        if limit is not None and len(numbers) > limit:
            raise TemplateLimitError(f"range() of {len(numbers):,} numbers is too long; the limit is {limit:,}")
        return numbers

    def _sized_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """A filter whose arguments are checked first (widths, counts) and whose result is sized."""
        checks: Mapping[str, Callable[[tuple[Any, ...], dict[str, Any]], None]] = {
            "center": lambda a, k: self._width(_arg(a, k, 1, "width", 80)),
            "indent": lambda a, k: self._width(_arg(a, k, 1, "width", 4)),
            "wordwrap": lambda a, k: self._width(_arg(a, k, 3, "wrapstring", "")),
            "tojson": lambda a, k: self._width(_arg(a, k, 1, "indent", 0)),
            "batch": lambda a, k: self._length(_int(_arg(a, k, 1, "linecount", 0))),
            "slice": lambda a, k: self._length(_int(_arg(a, k, 1, "slices", 0))),
            "replace": lambda a, k: self._check_replace(str(_arg(a, k, 0, "s", "")), _arg(a, k, 1, "old", ""),
                                                        _arg(a, k, 2, "new", "")),
            "format": lambda a, k: self._check_percent(str(_arg(a, k, 0, "value", ""))),
            "join": lambda a, k: self._check_join(_arg(a, k, 0, "value", ()), _arg(a, k, 1, "d", "")),
        }
        check = checks.get(name)
        takes_context = getattr(func, "jinja_pass_arg", None) is not None

        @wraps(func)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            if check is not None:
                check(args[1:] if takes_context else args, kwargs)
            return self.sized(func(*args, **kwargs))

        return bounded

    def _check_join(self, items: Any, separator: Any) -> None:
        if isinstance(items, Sized) and isinstance(separator, str):
            self._length(len(items) * len(separator))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    """A filter's argument by position (0 is the value filtered) or by keyword."""
    return args[index] if len(args) > index else kwargs.get(name, default)


def sandbox(*, loader: BaseLoader | None = None, limits: Limits | None = CHAT_LIMITS, **options: Any) -> BoundedSandbox:
    """Every jinja2 environment Blether uses comes from here.

    ``limits=None`` is only for the templates shipped inside Blether (export reports), which
    are trusted and may render a long report; anything an organiser can edit keeps the limits.
    """
    return BoundedSandbox(loader=loader, limits=limits, **options)


def render(template: Template, context: Mapping[str, Any]) -> str:
    """Render ``template``, stopping as soon as the text passes the size limit."""
    environment = template.environment
    limits = environment.limits if isinstance(environment, BoundedSandbox) else None
    if limits is None:
        return template.render(context)
    pieces: list[str] = []
    size = 0
    try:
        for piece in template.generate(context):
            size += len(piece)
            if size > limits.max_size:
                raise TemplateLimitError(
                    f"this template's text is longer than {limits.max_size:,} characters; make it shorter"
                )
            pieces.append(piece)
    except RecursionError:
        raise TemplateLimitError("this template calls a macro inside itself too deeply") from None
    return "".join(pieces)


async def render_async(template: Template, context: Mapping[str, Any]) -> str:
    """:func:`render` in a worker thread, so even a render at its limits never stalls the event loop."""
    return await asyncio.to_thread(render, template, context)
