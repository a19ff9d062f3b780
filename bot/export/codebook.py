"""The analyst's codebook from the plans: rounds and themes as codes, shared by .qdpx and .qdc.

Rounds are codes so every contribution can be filtered by the prompt it answered; themes are
the codes facilitators tagged during the café, the start of an analyst's own coding.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.export.context import ExportContext, Output
from bot.export.guids import guid
from bot.export.scope import SessionInfo
from bot.export.xmltext import xml_text

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_PALETTE = ("#1b7f79", "#c8553d", "#4062bb", "#8a6fdf", "#d4a017", "#2e8b57", "#b5446e", "#5c6f7d")


@dataclass(slots=True)
class Code:
    guid: str
    name: str
    codable: bool
    description: str = ""
    color: str | None = None
    children: list[Code] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Codebook:
    rounds: Code
    themes: Code
    key_point: Code
    table_host: Code

    def roots(self) -> list[Code]:
        return [self.rounds, self.themes, self.key_point, self.table_host]


def round_code_guid(round_key: str) -> str:
    return guid("code", "round", round_key)


def theme_code_guid(theme_id: str) -> str:
    return guid("code", "theme", theme_id)


KEY_POINT_GUID = guid("code", "key-point")
TABLE_HOST_GUID = guid("code", "table-host")


def build_codebook(sessions: Iterable[SessionInfo], tagged_themes: Iterable[str] = ()) -> Codebook:
    """Codes for every round and theme of the sessions' plans, merged by id (first name wins).

    Themes a facilitator tagged that the plan no longer lists still get a code, named by id.
    """
    rounds = Code(guid("code", "rounds"), "Rounds", False, "The prompt rounds of the café plan")
    themes = Code(guid("code", "themes"), "Themes", False, "Themes from the café plan")
    key_point = Code(KEY_POINT_GUID, "Key point", True, "Marked as a key point by a facilitator", "#d4a017")
    table_host = Code(TABLE_HOST_GUID, "Table host", True,
                      "Said by the room's table host, who stays when others move (a role, never a name)", "#4a7c59")
    seen_rounds: set[str] = set()
    seen_themes: set[str] = set()
    for s in sessions:
        for number in sorted(s.rounds):
            rnd = s.rounds[number]
            if rnd.key not in seen_rounds:
                seen_rounds.add(rnd.key)
                rounds.children.append(Code(round_code_guid(rnd.key), f"Round {number}: {rnd.title}", True, rnd.prompt))
        for theme in s.themes:
            if theme["id"] not in seen_themes:
                seen_themes.add(theme["id"])
                color = _PALETTE[len(seen_themes) % len(_PALETTE)]
                name = str(theme.get("name") or theme["id"])
                themes.children.append(
                    Code(theme_code_guid(theme["id"]), name, True, str(theme.get("description", "")), color)
                )
    for theme_id in sorted(set(tagged_themes) - seen_themes):
        themes.children.append(Code(theme_code_guid(theme_id), theme_id, True, "Tagged, not in the plan"))
    return Codebook(rounds, themes, key_point, table_host)


def code_element(code: Code) -> ET.Element:
    """A ``Code`` element (unqualified: it takes the namespace of the document it is written into)."""
    attrs = {"guid": code.guid, "name": xml_text(code.name), "isCodable": "true" if code.codable else "false"}
    if code.color:
        attrs["color"] = code.color
    element = ET.Element("Code", attrs)
    if code.description:
        ET.SubElement(element, "Description").text = xml_text(code.description)
    element.extend(code_element(child) for child in code.children)
    return element


def codebook_element(book: Codebook) -> ET.Element:
    element = ET.Element("CodeBook")
    codes = ET.SubElement(element, "Codes")
    codes.extend(code_element(code) for code in book.roots())
    return element


async def write_qdc(ctx: ExportContext) -> list[Output]:
    """The codebook alone, as a REFI-QDA ``.qdc`` file."""
    book = build_codebook(ctx.sessions, await ctx.stream.themes(ctx.sessions))
    element = codebook_element(book)
    element.set("xmlns", CODEBOOK_NS)
    ET.indent(element)
    path = ctx.out_dir / f"{ctx.basename}-codebook.qdc"
    document = ET.tostring(element, encoding="unicode", xml_declaration=False)
    await asyncio.to_thread(_write_text, path, '<?xml version="1.0" encoding="utf-8"?>\n' + document + "\n")
    return [Output(path, 0)]


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
