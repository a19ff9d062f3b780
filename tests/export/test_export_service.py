"""What goes out (filters, scrubbing, redaction), bad requests, the exports record, zip and CLI."""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from export_fixture import CONTACTS, GUILD, NAMED, seed

from bot.cli import main
from bot.export.cli import add_export_parser, run_export_cli
from bot.services.exports import ExportError, ExportRequest, export_zip, run_export
from bot.store.db import Database

SERIES = "Recovery cafés 2024"


async def csv_rows(db: Database, out: Path, **request: object) -> list[dict[str, str]]:
    request.setdefault("session_id", 1)
    summary = await run_export(db, ExportRequest(formats=("csv",), **request), out)  # type: ignore[arg-type]
    with summary.files[0].path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def refs(rows: list[dict[str, str]]) -> set[str]:
    return {row["contribution"] for row in rows}


async def test_round_and_room_filters(db: Database, tmp_path: Path) -> None:
    rows = await csv_rows(db, tmp_path, rounds=(2,), rooms=(2,))
    assert refs(rows) == {"S1-C9", "S1-C10"}
    assert {row["round_id"] for row in await csv_rows(db, tmp_path, rounds=(1, 3))} == {"arrive", "next"}


async def test_key_points_only(db: Database, tmp_path: Path) -> None:
    assert refs(await csv_rows(db, tmp_path, key_points_only=True)) == {"S1-C8", "S1-C10"}


async def test_quotes_only_keeps_authors_whose_latest_choice_allows_it(db: Database, tmp_path: Path) -> None:
    rows = await csv_rows(db, tmp_path, quotes_only=True)
    assert {row["pseudonym"] for row in rows} == {"P-4F2K"}
    assert all(row["quote_permitted"] == "yes" for row in rows)


async def test_series_and_date_range(db: Database, tmp_path: Path) -> None:
    everything = await csv_rows(db, tmp_path, session_id=None, series=SERIES)
    assert {row["session"] for row in everything} == {"1", "2"}
    july = await csv_rows(db, tmp_path, session_id=None, series=SERIES, date_from=date(2024, 7, 1))
    assert refs(july) == {"S2-C14", "S2-C15"}
    june = await csv_rows(db, tmp_path, session_id=None, series=SERIES, date_to=date(2024, 6, 30))
    assert {row["session"] for row in june} == {"1"}


async def test_scrub_and_redact(db: Database, tmp_path: Path) -> None:
    plain = {row["contribution"]: row["text"] for row in await csv_rows(db, tmp_path / "a")}
    assert plain["S1-C9"] == CONTACTS  # off by default outside the HTML report
    scrubbed = {
        row["contribution"]: row["text"] for row in await csv_rows(db, tmp_path / "b", scrub=True, redact=("alice",))
    }
    assert scrubbed["S1-C9"] == "Email me [email] or call [phone] or [phone], see [link]"
    assert scrubbed["S1-C11"] == NAMED.replace("Alice said ALICE", "[redacted] said [redacted]")
    assert "Alicent" in scrubbed["S1-C11"]


async def test_redaction_reaches_summaries_and_the_report(db: Database, tmp_path: Path) -> None:
    summary = await run_export(db, ExportRequest(session_id=1, formats=("md", "html"), redact=("Alice",)), tmp_path)
    for written in summary.files:
        text = written.path.read_text(encoding="utf-8")
        assert "Alice " not in text and "Alice'" not in text
        assert "[redacted]" in text or "\\[redacted\\]" in text  # Markdown escapes the brackets
    html = next(f.path for f in summary.files if f.format == "html").read_text(encoding="utf-8")
    notes = next(f.path for f in summary.files if f.format == "md").read_text(encoding="utf-8")
    assert "jo.bloggs@example.org" not in html and "jo.bloggs@example.org" in notes


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"session_id": 99}, "there is no session 99"),
        ({"series": "Nope"}, "there is no series called 'Nope'"),
        ({"session_id": 1, "formats": ()}, "choose at least one format"),
        ({"session_id": 1, "formats": ("pdf",)}, "unknown format pdf"),
        ({"session_id": 1, "date_from": date(2024, 7, 1), "date_to": date(2024, 6, 1)}, "back to front"),
        ({"session_id": 1, "date_from": date(2025, 1, 1)}, "widen the date range"),
        ({"session_id": 1, "series": SERIES}, "not both"),
        ({}, "give a session id or a series name"),
        ({"session_id": 1, "rooms": (0,)}, "room numbers start at 1"),
    ],
)
async def test_bad_requests_say_what_to_fix(
    db: Database, tmp_path: Path, request_args: dict[str, object], message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        await run_export(db, ExportRequest(**request_args), tmp_path / "out")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert await db.fetch_all("SELECT * FROM exports") == []


async def test_a_guild_cannot_export_another_guilds_session(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no session 1"):
        await run_export(db, ExportRequest(session_id=1, formats=("csv",)), tmp_path, guild_id="123")


async def test_export_is_recorded_with_progress(db: Database, tmp_path: Path) -> None:
    seen: list[int] = []
    summary = await run_export(db, ExportRequest(session_id=1, formats=("csv", "html")), tmp_path, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100
    (row,) = await db.fetch_all("SELECT scope, formats, rows, made_at, location, guild_id FROM exports")
    assert dict(row) | {"made_at": None} == {
        "scope": "session 1",
        "formats": "csv,html",
        "rows": 12,
        "made_at": None,
        "location": str(tmp_path),
        "guild_id": 912345678901234567,
    }
    assert summary.export_id is not None and summary.rows == 12
    assert [f.path.name for f in summary.files] == [
        "blether-S1.csv", "blether-S1-summaries.csv", "blether-S1-report.html"
    ]
    assert all(f.bytes == f.path.stat().st_size for f in summary.files)
    leftovers = await asyncio.to_thread(lambda: [p for p in tmp_path.iterdir() if p.name.startswith(".")])
    assert leftovers == []  # no scratch folder left behind


async def test_export_zip(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "zips"
    zip_path, summary = await export_zip(db, ExportRequest(series=SERIES, formats=("csv", "md", "qdc")), out)
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(str(f.path) for f in summary.files)
        assert "blether-series-recovery-caf-s-2024-S2-notes.md" in archive.namelist()
    assert [p.name for p in out.iterdir()] == [zip_path.name]
    (location,) = await db.fetch_all("SELECT location FROM exports")
    assert location[0] == str(zip_path)


async def test_cli(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="blether")
    add_export_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "export",
            "--session",
            "1",
            "--format",
            "csv,jsonl",
            "--rounds",
            "1,2",
            "--key-points",
            "--no-scrub",
            "--redact",
            "Alice",
            "--out",
            str(tmp_path),
        ]
    )
    assert await run_export_cli(args, db) == 0
    out, err = capsys.readouterr()
    assert "exported 2 contributions to 3 files" in out and "exporting: 100%" in err
    bad = parser.parse_args(["export", "--session", "7", "--out", str(tmp_path)])
    assert await run_export_cli(bad, db) == 2
    assert "there is no session 7" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "--session", "1", "--rooms", "one", "--out", "x"])


def test_blether_cafes_lists_what_export_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = asyncio.run(seed(tmp_path / "cafes.sqlite3"))
    for name in [n for n in os.environ if n.startswith(("DISCORD_", "BLETHER_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BLETHER_DATABASE", str(path))
    settings = ["--env-file", str(tmp_path / "none.env")]

    assert main([*settings, "cafes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "server", "series", "plan", "start", "state", "people", "contributions"]
    first = lines[1]
    assert first.startswith("1 ") and GUILD in first and "Recovery cafés 2024" in first
    assert "2024-06-04 18:30 Europe/London" in first and first.split()[-3:] == ["closed", "5", "14"]
    assert len(lines) == 3

    assert main([*settings, "cafes", "--server", "42"]) == 0
    assert capsys.readouterr().out.strip() == "No cafés on server 42."

    assert main([*settings, "export", "--session", "99", "--out", str(tmp_path / "out")]) == 2
    assert "`blether cafes`" in capsys.readouterr().err
