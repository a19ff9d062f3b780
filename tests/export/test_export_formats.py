"""Each format read back with an independent reader: csv, json, xmlschema, zipfile, Chromium."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from chromium_cdp import find_chromium, load_page
from export_fixture import (
    ARABIC,
    EMOJI,
    FORMULA,
    HEBREW,
    HTMLISH,
    KEY_POINT,
    MESSAGE_ID_BASE,
    MULTILINE,
    NAMED,
    SNOWFLAKES,
    TRICKY,
    USERNAMES,
    WITHDRAWN,
)
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.services.exports import ExportRequest, ExportSummary, run_export
from bot.store.db import Database

#: The REFI-QDA schema beside the project's checkout (a worktree sits one folder deeper).
PROJECT_XSD = next((p / "shared/refi-qda/Project.xsd" for p in Path(__file__).parents[2].parents
                    if (p / "shared/refi-qda/Project.xsd").exists()),
                   Path(__file__).parents[2].parent / "shared/refi-qda/Project.xsd")
NS = {"q": "urn:QDA-XML:project:1.0"}


async def export(db: Database, out: Path, **request: object) -> ExportSummary:
    request.setdefault("session_id", 1)
    return await run_export(db, ExportRequest(**request), out)  # type: ignore[arg-type]


def one(summary: ExportSummary, fmt: str) -> Path:
    (found,) = [f.path for f in summary.files if f.format == fmt and not f.path.name.endswith("-summaries.csv")]
    return found


async def test_csv_opens_cleanly_and_round_trips_tricky_text(db: Database, tmp_path: Path) -> None:
    path = one(await export(db, tmp_path, formats=("csv",)), "csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "session",
        "series",
        "date",
        "room",
        "room_topic",
        "round_id",
        "round_title",
        "prompt",
        "pseudonym",
        "speaker_role",
        "time",
        "text",
        "reply_to",
        "contribution",
        "key_point",
        "key_point_by",
        "key_point_theme",
        "key_point_theme_name",
        "edited",
        "quote_permitted",
    ]
    by_ref = {row["contribution"]: row for row in rows}
    for ref, text in {
        "S1-C1": TRICKY,
        "S1-C2": MULTILINE,
        "S1-C3": ARABIC,
        "S1-C6": HEBREW,
        "S1-C7": EMOJI,
        "S1-C11": NAMED,
        "S1-C12": HTMLISH,
    }.items():
        assert by_ref[ref]["text"] == text
    assert by_ref["S1-C10"]["text"] == "'" + FORMULA  # guarded against formula injection
    assert by_ref["S1-C2"]["reply_to"] == "S1-C1"
    assert by_ref["S1-C2"]["edited"] == "yes"
    assert by_ref["S1-C8"].items() >= {
        "key_point": "yes", "key_point_by": "facilitator", "key_point_theme": "hope", "key_point_theme_name": "Hope",
        "round_id": "share", "room": "Oak"
    }.items()
    assert (by_ref["S1-C1"]["key_point"], by_ref["S1-C1"]["key_point_by"]) == ("no", "")
    assert by_ref["S1-C1"]["time"] == "2024-06-04T18:32:00+01:00"  # Europe/London in summer
    assert by_ref["S1-C1"]["prompt"] == "Oak: **Round 1 of 3** · How are you *arriving* today?"  # as posted
    assert by_ref["S1-C1"]["room_topic"] == "Hope & home <b>"
    assert by_ref["S1-C1"]["quote_permitted"] == "yes"
    assert by_ref["S1-C3"]["quote_permitted"] == "no"  # quote, then no_quote: latest wins
    assert by_ref["S1-C13"]["room"] == "Lobby"
    assert "S1-C5" not in by_ref and "S1-C4" not in by_ref  # withdrawn and declined people
    assert len(rows) == 12


async def test_csv_room_summaries_beside_the_contributions(db: Database, tmp_path: Path) -> None:
    summary = await export(db, tmp_path, formats=("csv",), rooms=(1,))
    (path,) = [f.path for f in summary.files if f.path.name == "blether-S1-summaries.csv"]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["room"], r["covers"], r["round_id"], r["written_by"], r["needs_review"]) for r in rows] == [
        ("Oak", "session", "", "", "no"),
        ("Oak", "round", "arrive", "facilitator", "no"),
    ]  # Birch's summary is outside the selection
    assert rows[1]["text"] == "People arrived tired but hopeful. Contact: jo.bloggs@example.org"


async def test_jsonl_session_record_then_contributions(db: Database, tmp_path: Path) -> None:
    path = one(await export(db, tmp_path, formats=("jsonl",)), "jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    head, body = records[0], records[1:]
    assert head["record"] == "session" and head["session"] == 1
    assert head["consent"].items() >= {"joined": 6, "consented": 3, "declined": 1, "withdrew": 1}.items()
    versions = {v["text_version"]: v for v in head["consent"]["text_versions"]}
    assert versions["v1-0ld"].items() >= {"consenting": 1, "current": False}.items()
    assert versions["v2-n3w"].items() >= {"consenting": 2, "current": True}.items()
    assert head["attendance"] == 4
    assert [r["round"] if "round" in r else r["id"] for r in head["rounds"]] == ["arrive", "share", "next"]
    assert all(r["record"] == "contribution" for r in body)
    texts = {r["contribution"]: r["text"] for r in body}
    assert texts["S1-C10"] == FORMULA and texts["S1-C2"] == MULTILINE and texts["S1-C7"] == EMOJI
    assert body[0]["key_point"] is False and isinstance(body[0]["session"], int)
    key_point = next(r for r in body if r["contribution"] == "S1-C8")
    assert key_point["key_point"] is True and key_point["key_point_by"] == "facilitator"
    assert (key_point["key_point_theme"], key_point["key_point_theme_name"]) == ("hope", "Hope")
    assert [(s["room"], s["covers"], s["round_id"], s["written_by"], s["needs_review"])
            for s in head["summaries"]] == [
        ("Oak", "session", "", "", False),
        ("Oak", "round", "arrive", "facilitator", False),
        ("Birch", "round", "share", "organiser", True),
    ]


async def test_markdown_notes(db: Database, tmp_path: Path) -> None:
    notes = one(await export(db, tmp_path, formats=("md",)), "md").read_text(encoding="utf-8")
    assert "| Attendance | 4 people assigned to rooms |" in notes
    assert "6 joined · 3 consented · 1 declined · 1 withdrew" in notes
    assert "`v1-0ld` | older text" in notes
    assert "cannot recall this file" in notes and "a later export supersedes it" in notes
    oak_round_2 = notes.split("## Round 2: What helped · Oak")[1].split("## Round")[0]
    assert (
        oak_round_2.index("### Key points")
        < oak_round_2.index("★ **Key point**")
        < oak_round_2.index("### Conversation")
        < oak_round_2.index("**P-4F2K** · 18:44 · `S1-C7`")
    )
    assert "theme: Hope" in oak_round_2
    assert "> People arrived tired but hopeful." in notes
    assert "(draft: needs review)" in notes
    assert "**Room summary (written by a facilitator)**" in notes  # the writer as a role, never a person
    assert "**Room summary (written by an organiser)** (draft: needs review)" in notes
    assert "**Summary of Oak (whole session)**" in notes  # kept before writers' roles were
    assert "\\<script>" in notes  # raw HTML in a contribution is shown, not rendered
    assert WITHDRAWN not in notes


def _inline_text(tokens: list[Token]) -> str:
    return "".join(t.content for t in tokens if t.type == "inline")


async def test_notes_keep_markdown_and_parse_as_commonmark(db: Database, tmp_path: Path) -> None:
    notes = one(await export(db, tmp_path, formats=("md",)), "md").read_text(encoding="utf-8")
    assert "# Session notes — What's next for recovery? (S1)" in notes  # no "?:" in the title
    assert "> Oak: **Round 1 of 3** · How are you *arriving* today?" in notes  # the prompt's Markdown kept
    assert "> **Peer support** helped me most, *honestly*" in notes  # and the participant's
    tokens = MarkdownIt("commonmark").parse(notes)
    # No raw HTML anywhere: a CommonMark renderer shows participants' tags as text.
    assert not [t for t in tokens if t.type == "html_block"]
    assert not [c for t in tokens if t.children for c in t.children if c.type == "html_inline"]
    # The notes' outline is the notes' own: a heading typed in a message stays inside its quote.
    headings = [_inline_text(tokens[i + 1 : i + 2]) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "Session notes — What's next for recovery? (S1)"
    assert all(h.startswith(("Round ", "Key points", "Conversation")) for h in headings[1:]), headings
    assert not [t for t in tokens if t.type == "heading_open" and t.level > 0]
    # The formatted contribution: a quote inside a list item holding bold, a list, a nested quote, code.
    start = next(i for i, t in enumerate(tokens) if t.type == "inline" and "Peer support" in t.content)
    quote = max(i for i, t in enumerate(tokens[:start]) if t.type == "blockquote_open")
    end = next(i for i in range(quote, len(tokens)) if tokens[i].type == "blockquote_close"
               and tokens[i].level == tokens[quote].level)
    inside = tokens[quote:end]
    kinds = {t.type for t in inside} | {c.type for t in inside if t.children for c in t.children}
    assert {"strong_open", "em_open", "bullet_list_open", "code_inline", "hardbreak"} <= kinds
    assert sum(t.type == "blockquote_open" for t in inside) == 2  # the participant's own quote, nested
    assert "# a heading in a message" in _inline_text(inside)  # shown as typed


def _check_project(archive: zipfile.ZipFile) -> ET.Element:
    """Structure, offsets and coding of a .qdpx, independent of the schema."""
    root = ET.fromstring(archive.read("project.qde"))
    order = [child.tag.split("}")[1] for child in root]
    schema_order = [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Links",
        "Sets",
        "Graphs",
        "Description",
    ]
    assert order == [tag for tag in schema_order if tag in order]
    codes = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
    selections: dict[str, str] = {}
    for source in root.iterfind(".//q:TextSource", NS):
        member = source.get("plainTextPath").removeprefix("internal://")
        text = io.TextIOWrapper(archive.open(f"Sources/{member}"), encoding="utf-8", newline="").read()
        for sel in source.iterfind("q:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            selections[sel.get("name").split()[1]] = text[start:end]
            coded = [codes[ref.get("targetGUID")] for ref in sel.iterfind("q:Coding/q:CodeRef", NS)]
            assert coded[0].startswith("Round "), coded
    assert selections["S1-C1"] == TRICKY and selections["S1-C2"] == MULTILINE
    assert selections["S1-C3"] == ARABIC and selections["S1-C7"] == EMOJI and selections["S1-C8"] == KEY_POINT
    selection_guids = {s.get("guid") for s in root.iterfind(".//q:PlainTextSelection", NS)}
    case_refs = {r.get("targetGUID") for r in root.iterfind(".//q:Case/q:SelectionRef", NS)}
    assert case_refs == selection_guids
    assert {c.get("name") for c in root.iterfind(".//q:Case", NS)} == {"P-4F2K", "P-7QX9", "P-9ZZA"}
    return root


@pytest.mark.parametrize("per", ["room_round", "session"])
async def test_qdpx_is_valid_and_selections_point_at_the_text(db: Database, tmp_path: Path, per: str) -> None:
    path = one(await export(db, tmp_path, formats=("qdpx",), qdpx_source_per=per), "qdpx")
    with zipfile.ZipFile(path) as archive:
        root = _check_project(archive)
        key_point = next(s for s in root.iterfind(".//q:PlainTextSelection", NS) if "S1-C8" in s.get("name"))
        code_names = {c.get("guid"): c.get("name") for c in root.iterfind(".//q:Code", NS)}
        coded = {code_names[r.get("targetGUID")] for r in key_point.iterfind("q:Coding/q:CodeRef", NS)}
        assert coded == {"Round 2: What helped", "Hope", "Key point", "Table host"}  # said by Oak's host
        sources = root.findall(".//q:TextSource", NS)
        summaries = [source for source in sources if source.get("name").startswith("Summary ")]
        assert len(sources) - len(summaries) == (1 if per == "session" else 7)
        # Every room summary is a source of its own, its text the summary, coded with its round.
        by_name = {source.get("name"): source for source in summaries}
        assert sorted(by_name) == ["Summary S1 Birch, Round 2: What helped", "Summary S1 Oak, Round 1: Arriving",
                                   "Summary S1 Oak, whole session"]
        birch = by_name["Summary S1 Birch, Round 2: What helped"]
        assert [code_names[r.get("targetGUID")] for r in birch.iterfind("q:Coding/q:CodeRef", NS)] == [
            "Round 2: What helped"]
        assert "Written by an organiser." in birch.findtext("q:Description", "", NS)
        assert "needs review" in birch.findtext("q:Description", "", NS)
        member = birch.get("plainTextPath").removeprefix("internal://")
        assert archive.read(f"Sources/{member}").decode("utf-8") == "Services came up a lot; Alice was mentioned."
        assert not list(by_name["Summary S1 Oak, whole session"].iterfind("q:Coding", NS))
        qde = archive.read("project.qde")
    if not PROJECT_XSD.exists():
        pytest.skip(f"REFI-QDA schema not found at {PROJECT_XSD}; structure and offsets were checked")
    import xmlschema

    xmlschema.XMLSchema(PROJECT_XSD).validate(io.BytesIO(qde))


async def test_qdpx_reexport_is_identical(db: Database, tmp_path: Path) -> None:
    first = one(await export(db, tmp_path / "a", formats=("qdpx",)), "qdpx")
    second = one(await export(db, tmp_path / "b", formats=("qdpx",)), "qdpx")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "project.qde":
                assert a.read(name) == b.read(name)
        strip = lambda xml: xml.split(b"<Description>Exported by Blether at")[0]  # noqa: E731
        assert strip(a.read("project.qde")) == strip(b.read("project.qde"))


async def test_qdc_codebook(db: Database, tmp_path: Path) -> None:
    path = one(await export(db, tmp_path, formats=("qdc",)), "qdc")
    root = ET.parse(path).getroot()
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    names = [c.get("name") for c in root.iterfind(".//{urn:QDA-XML:codebook:1.0}Code")]
    assert names == [
        "Rounds",
        "Round 1: Arriving",
        "Round 2: What helped",
        "Round 3: What next",
        "Themes",
        "Hope",
        "Services",
        "Key point",
        "Table host",
    ]
    if not PROJECT_XSD.exists():
        pytest.skip(f"REFI-QDA schema not found at {PROJECT_XSD}; structure was checked")
    import xmlschema

    # Codebook.xsd declares the same CodeBookType in its own namespace with CodeBook as the root.
    xsd = PROJECT_XSD.read_text(encoding="utf-8").replace("urn:QDA-XML:project:1.0", "urn:QDA-XML:codebook:1.0")
    project_root = '<xsd:element name="Project" type="ProjectType">'
    xsd = xsd.replace(project_root, '<xsd:element name="CodeBook" type="CodeBookType"/>' + project_root)
    xmlschema.XMLSchema(xsd).validate(str(path))


#: Asked of the rendered report: what the browser made of the Markdown and of the raw HTML.
_PROBE = """(() => {
  const prompt = document.querySelector('#S1-r1-m1 .prompt');
  const strongInPrompt = prompt.querySelector('strong');
  const item = document.getElementById('S1-C16').querySelector('.text');
  const bold = [...item.querySelectorAll('strong')].find(e => e.textContent === 'Peer support');
  const spoiler = item.querySelector('.spoiler');
  const html = document.getElementById('S1-C12').querySelector('.text');
  return {
    title: document.title,
    h1: document.querySelector('h1').textContent,
    promptText: prompt.textContent.trim(),
    promptBold: strongInPrompt ? [strongInPrompt.textContent, getComputedStyle(strongInPrompt).fontWeight] : null,
    promptItalic: getComputedStyle(prompt.querySelector('em')).fontStyle,
    bold: bold ? getComputedStyle(bold).fontWeight : null,
    italic: getComputedStyle(item.querySelector('em')).fontStyle,
    list: [...item.querySelectorAll('ul > li')].map(li => [li.textContent, getComputedStyle(li).display]),
    quote: item.querySelector('blockquote') ? item.querySelector('blockquote').textContent.trim() : null,
    code: item.querySelector('code') ? item.querySelector('code').textContent : null,
    strike: item.querySelector('s') ? getComputedStyle(item.querySelector('s')).textDecorationLine : null,
    spoiler: spoiler ? [spoiler.textContent, getComputedStyle(spoiler).color] : null,
    headingLike: item.querySelector('h1, h2, h3') === null,
    itemText: item.textContent,
    imgs: document.querySelectorAll('img').length,
    htmlText: html.textContent,
    htmlBold: html.querySelectorAll('b, script').length,
    headings: [...document.querySelectorAll('h1')].length,
  };
})()"""


async def test_html_report_in_headless_chromium(db: Database, tmp_path: Path) -> None:
    path = one(await export(db, tmp_path, formats=("html",)), "html")
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html  # user text escaped, no scripts of ours
    assert "<img" not in html and "&lt;img src=x" in html
    assert "http://" not in html.replace("http://www.w3.org/", "") and "https://" not in html
    assert "[email]" in html and "jo.bloggs@example.org" not in html  # scrubbed by default
    assert 'id="S1-r2-m1"' in html and 'href="#S1-r2-m1"' in html and html.count("<svg") == 3
    assert "@media print" in html
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed: run scripts/install-chromium.sh (or set BLETHER_CHROMIUM)")
    report = load_page(chromium, path.as_uri(), probe=_PROBE)
    assert report.errors == []
    seen = report.probe
    assert seen["title"] == seen["h1"] == "Café report — What's next for recovery? (S1, 2024-06-04)"
    assert seen["promptText"] == "Oak: Round 1 of 3 · How are you arriving today?"  # no raw asterisks
    assert seen["promptBold"] == ["Round 1 of 3", "700"] and seen["promptItalic"] == "italic"
    assert seen["bold"] == "700" and seen["italic"] == "italic"
    assert seen["list"] == [["groups", "list-item"], ["a walk", "list-item"]]
    assert seen["quote"] == "what my nurse said" and seen["code"] == "meds" and seen["strike"] == "line-through"
    assert seen["spoiler"][0] == "not ready to share" and seen["spoiler"][1] == "rgba(0, 0, 0, 0)"  # hidden
    assert seen["headingLike"] and "# a heading" not in seen["itemText"] and "a heading in a message" in seen[
        "itemText"]
    assert "<img src=x onerror=alert(1)>" in seen["itemText"] and seen["imgs"] == 0  # raw HTML shown as text
    assert "<script>alert('x')</script>" in seen["htmlText"] and "<b>bold</b>" in seen["htmlText"]
    assert seen["htmlBold"] == 0 and seen["headings"] == 1
    assert all(url.startswith(("file:", "data:")) for url in report.requests), report.requests
    assert report.screenshot.startswith(b"\x89PNG") and len(report.screenshot) > 20_000
    (tmp_path / "report.png").write_bytes(report.screenshot)


def test_the_console_error_detector_sees_errors(tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed: run scripts/install-chromium.sh (or set BLETHER_CHROMIUM)")
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>console.error('boom'); missing();</script>", encoding="utf-8")
    errors = load_page(chromium, page.as_uri()).errors
    assert any("boom" in e for e in errors) and any("missing" in e for e in errors)


async def test_no_discord_id_or_username_in_any_output(db: Database, tmp_path: Path) -> None:
    summary = await run_export(
        db,
        ExportRequest(series="Recovery cafés 2024", formats=("csv", "jsonl", "md", "html", "qdpx", "qdc"), scrub=False),
        tmp_path,
    )
    forbidden = [s.encode() for s in SNOWFLAKES + USERNAMES]
    forbidden += [str(MESSAGE_ID_BASE + n).encode() for n in range(0, 1000)]
    blobs: list[tuple[str, bytes]] = []
    for f in summary.files:
        blobs.append((f.path.name, f.path.read_bytes()))
        if f.format == "qdpx":
            with zipfile.ZipFile(f.path) as archive:
                blobs += [(f"{f.path.name}:{n}", archive.read(n)) for n in archive.namelist()]
    assert len(blobs) > 6
    for name, blob in blobs:
        for needle in forbidden:
            assert needle not in blob, f"{needle!r} leaked into {name}"
        assert WITHDRAWN.encode() not in blob


async def test_the_table_host_is_a_role_in_every_format_never_a_name(db: Database, tmp_path: Path) -> None:
    """P-7QX9 hosts Oak in café 1: host for what they said there, participant in Birch."""
    summary = await export(db, tmp_path, formats=("csv", "jsonl", "md", "html", "qdpx"))
    with one(summary, "csv").open(encoding="utf-8-sig", newline="") as fh:
        roles = {(r["contribution"], r["room"]): r["speaker_role"] for r in csv.DictReader(fh)}
    assert roles[("S1-C2", "Oak")] == roles[("S1-C8", "Oak")] == "host"
    assert roles[("S1-C6", "Birch")] == "participant", "a host is a participant in another room"
    assert roles[("S1-C1", "Oak")] == "participant"
    lines = one(summary, "jsonl").read_text(encoding="utf-8").splitlines()
    records = {r["contribution"]: r for r in map(json.loads, lines) if r["record"] == "contribution"}
    assert (records["S1-C2"]["speaker_role"], records["S1-C1"]["speaker_role"]) == ("host", "participant")
    notes = one(summary, "md").read_text(encoding="utf-8")
    assert "**P-7QX9** (table host) · " in notes and "**P-4F2K** (table host)" not in notes
    report = one(summary, "html").read_text(encoding="utf-8")
    assert report.count('<span class="badge">Table host</span>') == 3  # S1-C2, C8 and C11, all in Oak
    with zipfile.ZipFile(one(summary, "qdpx")) as archive:
        root = ET.fromstring(archive.read("project.qde"))
    host_code = next(c.get("guid") for c in root.iterfind(".//q:Code", NS) if c.get("name") == "Table host")
    hosted = {s.get("name").split()[-1] for s in root.iterfind(".//q:PlainTextSelection", NS)
              if any(r.get("targetGUID") == host_code for r in s.iterfind("q:Coding/q:CodeRef", NS))}
    assert hosted == {"S1-C2", "S1-C8", "S1-C11"}
    variables = {v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    assert "Speaker role" in variables
