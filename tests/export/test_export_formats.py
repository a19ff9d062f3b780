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

from bot.services.exports import ExportRequest, ExportSummary, run_export
from bot.store.db import Database

PROJECT_XSD = Path(__file__).parents[2].parent / "shared/refi-qda/Project.xsd"
NS = {"q": "urn:QDA-XML:project:1.0"}


async def export(db: Database, out: Path, **request: object) -> ExportSummary:
    request.setdefault("session_id", 1)
    return await run_export(db, ExportRequest(**request), out)  # type: ignore[arg-type]


def one(summary: ExportSummary, fmt: str) -> Path:
    (found,) = [f.path for f in summary.files if f.format == fmt]
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
        "time",
        "text",
        "reply_to",
        "contribution",
        "key_point",
        "edited",
        "quote_permitted",
        "theme",
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
    assert by_ref["S1-C8"].items() >= {"key_point": "yes", "theme": "hope", "round_id": "share", "room": "Oak"}.items()
    assert by_ref["S1-C1"]["time"] == "2024-06-04T18:32:00+01:00"  # Europe/London in summer
    assert by_ref["S1-C1"]["prompt"] == "Oak: How are you arriving today?"
    assert by_ref["S1-C1"]["room_topic"] == "Hope & home <b>"
    assert by_ref["S1-C1"]["quote_permitted"] == "yes"
    assert by_ref["S1-C3"]["quote_permitted"] == "no"  # quote, then no_quote: latest wins
    assert by_ref["S1-C13"]["room"] == "Lobby"
    assert "S1-C5" not in by_ref and "S1-C4" not in by_ref  # withdrawn and declined people
    assert len(rows) == 11


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
    assert "\\<script\\>" in notes  # markup in a contribution is shown, not rendered
    assert WITHDRAWN not in notes


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
        assert coded == {"Round 2: What helped", "Hope", "Key point"}
        sources = root.findall(".//q:TextSource", NS)
        assert len(sources) == (1 if per == "session" else 7)
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
    ]
    if not PROJECT_XSD.exists():
        pytest.skip(f"REFI-QDA schema not found at {PROJECT_XSD}; structure was checked")
    import xmlschema

    # Codebook.xsd declares the same CodeBookType in its own namespace with CodeBook as the root.
    xsd = PROJECT_XSD.read_text(encoding="utf-8").replace("urn:QDA-XML:project:1.0", "urn:QDA-XML:codebook:1.0")
    project_root = '<xsd:element name="Project" type="ProjectType">'
    xsd = xsd.replace(project_root, '<xsd:element name="CodeBook" type="CodeBookType"/>' + project_root)
    xmlschema.XMLSchema(xsd).validate(str(path))


async def test_html_report_in_headless_chromium(db: Database, tmp_path: Path) -> None:
    path = one(await export(db, tmp_path, formats=("html",)), "html")
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html  # user text escaped, no scripts of ours
    assert "http://" not in html.replace("http://www.w3.org/", "") and "https://" not in html
    assert "[email]" in html and "jo.bloggs@example.org" not in html  # scrubbed by default
    assert 'id="S1-r2-m1"' in html and 'href="#S1-r2-m1"' in html and html.count("<svg") == 3
    assert "@media print" in html
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is not installed: run scripts/install-chromium.sh (or set BLETHER_CHROMIUM)")
    report = load_page(chromium, path.as_uri())
    assert report.errors == []
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
