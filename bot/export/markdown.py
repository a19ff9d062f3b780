"""Discord's Markdown, shown as Discord showed it: rendered in the report, kept in the notes.

Prompts are posted to Discord as Markdown and participants format their words with it (bold,
lists, quotes, spoilers, code), so an analyst should read them as the room did. Every text here
is untrusted (a plan's prompt is rendered with room names; a contribution is anyone's words):

* ``to_html`` renders with markdown-it-py configured for Discord's flavour and nothing more:
  raw HTML is text, entities are shown as typed, no images (the report makes no requests) and
  links are shown as their words followed by the address, never as a live link.
* ``keep_markdown`` leaves the Markdown in place for the notes but takes the power out of what
  could break the notes' own structure from inside a quote: headings, rules, setext underlines,
  link reference definitions and raw HTML are escaped so they read as typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

# Characters where inline parsing must stop and look for markup: markdown-it's own set plus
# ``|`` so spoilers (``||hidden||``) are seen in the middle of a sentence.
_TERMINATORS = frozenset("\n!#$%&*+-:<=>@[\\]^_`{}~|")
_BLOCK_QUOTE_REST = re.compile(r"^>>>(?: |$)", re.MULTILINE)


def _text(state: StateInline, silent: bool) -> bool:
    """Plain text up to the next character that may start markup (replaces markdown-it's rule)."""
    pos = state.pos
    while pos < state.posMax and state.src[pos] not in _TERMINATORS:
        pos += 1
    if pos == state.pos:
        return False
    if not silent:
        state.pending += state.src[state.pos : pos]
    state.pos = pos
    return True


def _spoiler(state: StateInline, silent: bool) -> bool:
    """Discord's ``||spoiler||``: a span whose inside is parsed like any other inline text."""
    start = state.pos
    if state.src[start : start + 2] != "||":
        return False
    end = state.src.find("||", start + 2, state.posMax)
    if end <= start + 2:
        return False
    if not silent:
        old_max = state.posMax
        state.pos, state.posMax = start + 2, end
        state.push("spoiler_open", "span", 1).markup = "||"
        state.md.inline.tokenize(state)
        state.push("spoiler_close", "span", -1).markup = "||"
        state.posMax = old_max
    state.pos = end + 2
    return True


def _render_rules() -> dict[str, Any]:
    def spoiler_open(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return '<span class="spoiler" tabindex="0" title="Spoiler: hover or focus to read">'

    def spoiler_close(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return "</span>"

    def strong_open(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return "<u>" if tokens[idx].markup == "__" else "<strong>"  # Discord's __x__ underlines

    def strong_close(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return "</u>" if tokens[idx].markup == "__" else "</strong>"

    def heading_open(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        # Large text in Discord; a paragraph here so the report's own outline stays the report's.
        return f'<p class="md-heading md-{tokens[idx].tag}">'

    def heading_close(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return "</p>\n"

    def link_open(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        return '<span class="md-link">'

    def link_close(r: RendererHTML, tokens: Sequence[Token], idx: int, o: OptionsDict, env: EnvType) -> str:
        opener = next(t for t in reversed(tokens[:idx]) if t.type == "link_open")
        if opener.markup == "autolink":
            return "</span>"
        return f'</span> <span class="md-url">({escape(str(opener.attrs.get("href", "")))})</span>'

    return {name: rule for name, rule in locals().items() if not name.startswith("_")}


def _discord_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    md.enable("strikethrough")
    # What Discord does not render stays as typed: indented code, rules, underlined headings,
    # reference links, images (a request to anywhere) and HTML entities.
    md.disable(["code", "hr", "lheading", "reference", "html_block", "image", "html_inline", "entity"])
    md.inline.ruler.at("text", _text)
    md.inline.ruler.before("strikethrough", "spoiler", _spoiler)
    for name, rule in _render_rules().items():
        md.add_render_rule(name, rule)
    return md


_MD = _discord_markdown()


def expand_block_quotes(text: str) -> str:
    """Discord's ``>>> `` quotes everything after it; CommonMark quotes one line per ``>``."""
    found = _BLOCK_QUOTE_REST.search(text)
    if found is None:
        return text
    before, rest = text[: found.start()], text[found.end() :]
    return before + "\n".join("> " + line for line in rest.split("\n"))


def _lines(text: str) -> list[tuple[str, bool]]:
    """The text's lines as CommonMark should read them to show what Discord showed, each with
    whether it is inside fenced code.

    Discord quotes one line per ``> `` and ends a list at the first line that is not an item;
    CommonMark would run the next line on lazily, so a blank line is put between them.
    """
    lines = expand_block_quotes(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    out: list[tuple[str, bool]] = []
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is not None:
            out.append((line, True))
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if out and not out[-1][1] and line.strip() and not line.startswith((" ", "\t")):
            previous = out[-1][0]
            if (_QUOTE.match(previous) and not _QUOTE.match(line)) or (
                _ITEM.match(previous) and not _ITEM.match(line)
            ):
                out.append(("", False))
        if opened:
            fence = opened.group(1)
        out.append((line, False))
    return out


def to_html(text: str) -> Markup:
    """HTML for a prompt, contribution or summary as Discord would show it; safe to embed."""
    if not text:
        return Markup("")
    return Markup(_MD.render("\n".join(line for line, _ in _lines(text))))


# --- keeping Markdown in the notes -------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)(?<!`)\1(?!`)")
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_RULE_OR_UNDERLINE = re.compile(r"^( {0,3})(?:([-*_])(?:[ \t]*\2){2,}|=+|-+)[ \t]*$")
_REFERENCE = re.compile(r"^( {0,3})(\[[^\]]*\]:)")
#: Lines Markdown reads as a block of their own (list items, quotes, fences): never joined.
_OWN_LINE = re.compile(r"^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|>|```|~~~)")
_QUOTE = re.compile(r"^ {0,3}>")
_ITEM = re.compile(r"^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_HTML_START = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def _escape_inline(line: str) -> str:
    """Escape what would start raw HTML or an entity, outside code spans (where it is literal)."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        out.append(_HTML_START.sub(lambda m: "\\" + m.group(0), line[last : span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_HTML_START.sub(lambda m: "\\" + m.group(0), line[last:]))
    return "".join(out)


def _escape_line(line: str) -> str:
    line = _HEADING.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
    line = _RULE_OR_UNDERLINE.sub(lambda m: m.group(1) + "\\" + m.group(0)[len(m.group(1)) :], line)
    line = _REFERENCE.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
    return _escape_inline(line)


def keep_markdown(text: str) -> str:
    """The text's Markdown, safe to put inside a quote of the notes.

    Formatting (bold, italics, lists, quotes, code, strikethrough) is kept as written; what
    would otherwise become a heading of the notes, a rule, a hidden link definition or raw HTML
    is escaped. Lines inside fenced code are left alone: nothing in them is Markdown.
    Discord shows a single line break as a break where CommonMark would join the lines, so a
    line followed by more of the same paragraph ends in a backslash (CommonMark's hard break).
    """
    out: list[str] = []
    previous_code = True
    for line, code in _lines(text):
        if code or _FENCE.match(line):
            out.append(line)
        else:
            if out and not previous_code and _joins(out[-1], line):
                out[-1] += "\\"
            out.append(_escape_line(line))
        previous_code = code or bool(_FENCE.match(line))
    return "\n".join(out)


def _joins(previous: str, line: str) -> bool:
    """Whether CommonMark would run ``line`` on from ``previous`` (both plain paragraph text)."""
    return bool(
        previous.strip() and line.strip() and not previous.endswith("\\")
        and not _OWN_LINE.match(previous) and not _OWN_LINE.match(line)
    )
