"""The jinja2 environments for the notes and the report, and the filters both templates use.

HTML templates autoescape every value (participants' words are untrusted text) and render
Discord's Markdown with ``markdown``; Markdown templates escape labels with ``md`` and quote
prompts and contributions with ``md_quote``, which keeps their Markdown but not what would break
the notes' structure (see ``bot/export/markdown.py``).
"""

from __future__ import annotations

import re
from datetime import datetime

from jinja2 import PackageLoader, select_autoescape

from bot.core import templating
from bot.export.markdown import keep_markdown, to_html

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)", re.MULTILINE)


def md_escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup, so a contribution renders as typed."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def md_quote(text: str) -> str:
    """A block quote of the text's own Markdown, one ``>`` per line, keeping the author's line breaks."""
    return "\n".join("> " + line if line else ">" for line in keep_markdown(text).split("\n"))


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def long_date(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M}"


def _environment() -> templating.BoundedSandbox:
    """Shipped, trusted templates: sandboxed like every other, but without the per-render
    budget, because one report renders every contribution of a series."""
    env = templating.sandbox(
        loader=PackageLoader("bot.export", "templates"),
        limits=None,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, md_quote=md_quote, markdown=to_html, clock=clock, long_date=long_date)
    return env


ENV = _environment()
