"""`blether rehearse`: the real bot, the simulated guild, and exports that match what was said."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from bot.rehearsal.run import RehearsalError, comparable, expected_export, rehearse
from bot.services.plans import DEFAULT_PLANS_DIR

FAST = 600.0  # a 55-minute café in about six seconds


def _transcript(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "transcript.jsonl").read_text(encoding="utf-8").splitlines()]


async def test_a_rehearsal_writes_every_format_and_the_csv_holds_exactly_the_consented_words(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    await rehearse(plan="whats-next-for-recovery", participants=8, seed=4, speed=FAST, out=out, quiet=True)
    suffixes = {p.suffix for p in out.iterdir()}
    assert {".csv", ".jsonl", ".md", ".html", ".qdpx", ".qdc"} <= suffixes

    lines = _transcript(out)
    messages = [line for line in lines if line.get("event", "message") == "message"]
    assert messages and all({"message_id", "room", "round", "author", "consented", "text"} <= set(m)
                            for m in messages)
    assert any(not m["consented"] for m in messages), "someone refused consent"
    events = {line.get("event") for line in lines}
    assert {"withdrawn", "edited", "deleted"} <= events

    csv_file = next(p for p in out.glob("*.csv") if not p.name.endswith(("-feedback.csv", "-summaries.csv")))
    with csv_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(comparable(r["text"]) for r in rows) == sorted(
        comparable(t) for t in expected_export(lines).values())
    withdrawn = next(line["author"] for line in lines if line.get("event") == "withdrawn")
    exported = csv_file.read_text(encoding="utf-8")
    assert str(withdrawn) not in exported
    assert all(re.fullmatch(r"P-[0-9A-Z]{4,12}", r["pseudonym"]) for r in rows)
    for m in messages:
        assert str(m["author"]) not in exported
        assert str(m["message_id"]) not in exported


async def test_a_rehearsal_ends_with_feedback_a_draw_and_the_report_dm(tmp_path: Path) -> None:
    out = tmp_path / "run"
    await rehearse(plan="whats-next-for-recovery", participants=6, seed=7, speed=FAST, out=out, quiet=True)
    lines = _transcript(out)
    given = [line for line in lines if line.get("event") == "feedback"]
    with next(out.glob("*-feedback.csv")).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert given and len(rows) == len(given)
    assert sorted(r["worked"] for r in rows) == sorted(str(g["worked"]) for g in given)
    assert all(set(r) == {"session", "hour_utc", "rating", "worked", "change", "comment"} for r in rows)
    counts = {str(line["event"]): int(str(line["count"])) for line in lines if "count" in line}
    assert counts["draw_entries"] >= 1 and counts["report_requests"] >= 1
    assert 1 <= counts["report_dms"] <= counts["report_requests"]
    report = next(out.glob("*-report.html")).read_text(encoding="utf-8")
    assert 'id="feedback"' in report and f"{len(given)} answer" in report


async def test_the_same_seed_gives_the_same_conversation(tmp_path: Path) -> None:
    def conversation(out: Path) -> list[tuple[object, ...]]:
        return [(line.get("event", "message"), line.get("author"), line.get("room"), line.get("round"),
                 line.get("consented"), line.get("text")) for line in _transcript(out)]

    await rehearse(plan="whats-next-for-recovery", participants=6, seed=11, speed=FAST, out=tmp_path / "a",
                   quiet=True)
    await rehearse(plan="whats-next-for-recovery", participants=6, seed=11, speed=FAST, out=tmp_path / "b",
                   quiet=True)
    assert conversation(tmp_path / "a") == conversation(tmp_path / "b")


async def test_bad_rehearsal_options_get_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(RehearsalError, match="no plan called"):
        await rehearse(plan="nope", participants=5, seed=1, speed=FAST, out=tmp_path)
    with pytest.raises(RehearsalError, match="--participants"):
        await rehearse(plan="whats-next-for-recovery", participants=1, seed=1, speed=FAST, out=tmp_path)


async def test_a_rehearsal_runs_a_plan_from_an_organisers_own_plans_folder(tmp_path: Path) -> None:
    shipped = (DEFAULT_PLANS_DIR / "whats-next-for-recovery" / "plan.yaml").read_text(encoding="utf-8")
    ours = shipped.replace("id: whats-next-for-recovery", "id: our-cafe", 1)
    ours = ours.replace("\ntitle: ", "\ntitle: Our own café, formerly ", 1)
    plans = tmp_path / "plans"
    (plans / "our-cafe").mkdir(parents=True)
    (plans / "our-cafe" / "plan.yaml").write_text(ours, encoding="utf-8")

    with pytest.raises(RehearsalError, match="Available plans: our-cafe"):
        await rehearse(plan="whats-next-for-recovery", participants=3, seed=2, speed=FAST, out=tmp_path / "no",
                       quiet=True, plans_dir=plans)
    out = tmp_path / "run"
    await rehearse(plan="our-cafe", participants=3, seed=2, speed=FAST, out=out, quiet=True, plans_dir=plans)
    assert "Our own café, formerly" in next(out.glob("*.md")).read_text(encoding="utf-8")
