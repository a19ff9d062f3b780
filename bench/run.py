"""The benchmark suite, one command: `make bench` (or `python bench/run.py`).

Runs the five benchmarks (capture, export, REST calls, scheduler, start-up), prints each figure with
its ceiling, and rewrites the generated section of docs/PERFORMANCE.md (between its markers; the
rest of the page, such as the analysis of the targets, is left as it is). The default profile
finishes in under ten minutes on two cores; `--full` adds 1M-row exports of every format and more
rounds, `--quick` is a smoke run of a minute or so.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capture_bench
import export_bench
import rest_bench
import sched_bench
import startup_bench
from common import ROOT, Figure, machine, table

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

PROFILES: dict[str, dict[str, object]] = {
    "quick": {"rounds": 1, "flood": 1000, "seconds": 1.0, "export": [(20_000, 1, export_bench.FORMATS)],
              "rooms": (5,), "cafes": 200, "start_rows": 20_000},
    "default": {"rounds": 3, "flood": 3000, "seconds": 3.0,
                "export": [(100_000, 2, export_bench.FORMATS), (1_000_000, 1, ("csv", "md"))],
                "rooms": (5, 20, 50), "cafes": 1000, "start_rows": 1_000_000},
    "full": {"rounds": 5, "flood": 5000, "seconds": 5.0,
             "export": [(100_000, 3, export_bench.FORMATS), (1_000_000, 1, export_bench.FORMATS)],
             "rooms": (5, 20, 50), "cafes": 1000, "start_rows": 1_000_000},
}


def _export(sizes: list[tuple[int, int, tuple[str, ...]]]) -> list[Figure]:
    import tempfile

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="blether-bench-export-") as tmp:
        for size, rounds, formats in sizes:
            db_path = Path(tmp) / f"bench-{size}.sqlite3"
            asyncio.run(export_bench.make_db(db_path, size))
            figures.extend(export_bench.measure(db_path, size, rounds, formats, Path(tmp)))
            db_path.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--quick", action="store_true", help="a smoke run (about a minute)")
    profile.add_argument("--full", action="store_true", help="every format at 1M rows, more rounds")
    parser.add_argument("--only", help="comma-separated: capture,export,rest,scheduler,startup")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/PERFORMANCE.md alone")
    args = parser.parse_args()
    name = "quick" if args.quick else "full" if args.full else "default"
    p = PROFILES[name]
    rounds = int(p["rounds"])  # type: ignore[call-overload]
    suites: dict[str, Callable[[], list[Figure]]] = {
        "capture": lambda: capture_bench.run(rounds, int(p["flood"]), float(p["seconds"])),  # type: ignore[call-overload, arg-type]
        "export": lambda: _export(p["export"]),  # type: ignore[arg-type]
        "rest": lambda: asyncio.run(rest_bench.measure(p["rooms"]))[0],  # type: ignore[arg-type]
        "scheduler": lambda: asyncio.run(sched_bench.measure(rounds, int(p["cafes"]), 200)),  # type: ignore[call-overload]
        "startup": lambda: startup_bench.measure(rounds, int(p["start_rows"]), int(p["cafes"])),  # type: ignore[call-overload]
    }
    chosen = args.only.split(",") if args.only else list(suites)
    print(f"machine: {machine()}", flush=True)
    results: dict[str, list[Figure] | str] = {}
    began = time.perf_counter()
    for key in chosen:
        started = time.perf_counter()
        print(f"== {key}", flush=True)
        try:
            figures = suites[key]()
        except Exception:
            results[key] = traceback.format_exc(limit=3)
            print(results[key], flush=True)
            continue
        results[key] = figures
        for figure in figures:
            print("  " + figure.line(), flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    total = time.perf_counter() - began
    print(f"suite finished in {total:.0f} s", flush=True)
    if not args.no_write:
        command = "make bench" + (" ARGS=--quick" if args.quick else " ARGS=--full" if args.full else "")
        if args.only:
            command += f" (--only {args.only})"
        write(args.out, results, command, total)
        print(f"wrote {args.out}", flush=True)


TITLES = {
    "capture": "1. Capture (figure: Blether; ceiling: the same frames into a no-op discord.py listener)",
    "export": "2. Export (ceiling: the csv module writing the same rows from an SQLite cursor; memory: VmHWM of a "
              "fresh process)",
    "rest": "3. REST calls per operation (ceiling: the documented minimum, `bot/core/rest_minimum.py`)",
    "scheduler": "4. Scheduler (ceiling: bare APScheduler jobs; scheduling cost: the first cafés)",
    "startup": "5. Start-up to ready (ceiling: a fresh process importing the same libraries)",
}


def write(out: Path, results: dict[str, list[Figure] | str], command: str, seconds: float) -> None:
    lines = [
        BEGIN,
        "## Benchmark suite (generated)",
        "",
        f"Made by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {seconds:.0f} s.",
        f"Machine: {machine()}.",
        "Ratios are figure ÷ ceiling, measured in the same run, interleaved round by round; for a rate "
        "higher is better, for a time or a count lower is better.",
        "",
    ]
    for key, result in results.items():
        lines += [f"### {TITLES[key]}", ""]
        if isinstance(result, str):
            lines += ["Failed:", "", "```", result.rstrip(), "```", ""]
        else:
            lines += [table(result), ""]
    lines.append(END)
    generated = "\n".join(lines)
    text = out.read_text(encoding="utf-8") if out.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + generated + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
