"""Export: each format's time against the csv-module ceiling, and its peak memory, at 100k and 1M rows.

The ceiling is the csv module writing the same rows (the columns an analyst's CSV carries) straight
from an SQLite cursor: no pseudonym work, no scrubbing, no async. Every measurement (each format
and each ceiling) runs in a fresh process, so its peak memory is its own: VmHWM from
/proc/self/status, and what the export added over the imports (VmHWM at the end minus VmRSS
before the export began). ru_maxrss is not used: it counts the parent that forked the worker.
Formats and ceiling alternate round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'bench'))

from common import Figure  # noqa: E402

from bot.export.request import ExportRequest  # noqa: E402
from bot.services.exports import run_export  # noqa: E402
from bot.store.db import open_database  # noqa: E402

FORMATS = ("csv", "jsonl", "md", "html", "qdpx")
TARGETS = {"csv": "≤ 1.5×", "jsonl": "≤ 1.5×", "md": "≤ 2×", "html": "≤ 3×", "qdpx": "≤ 3×"}
ROUNDS, ROOMS, PEOPLE = 3, 10, 400
WORDS = ("recovery", "hope", "support", "friends", "walking", "nurse", "sleep", "work", "café", "🌱", "أمل", "talk")


async def make_db(path: Path, rows: int) -> float:
    """A one-session café with ``rows`` contributions, written with executemany in batches."""
    began = time.perf_counter()
    async with open_database(path):
        pass  # creates the schema
    start = datetime(2024, 6, 4, 17, 30, tzinfo=UTC)
    plan = {
        "id": "bench",
        "title": "Bench café",
        "version": 1,
        "consent_text": "We record.",
        "themes": [{"id": "hope", "name": "Hope", "description": ""}],
        "rounds": [
            {"id": f"r{n}", "title": f"Round {n}", "prompt": "Say something", "minutes": 20}
            for n in range(1, ROUNDS + 1)
        ],
    }
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.execute(
            "INSERT INTO sessions (id, guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, timezone, "
            "room_size, state, created_at) VALUES (1, 1, 'bench', 'bench', 'Bench café', ?, ?, 'Europe/London', "
            "6, 'closed', ?)",
            (json.dumps(plan), start.isoformat(), start.isoformat()),
        )
        conn.executemany(
            "INSERT INTO participants (id, discord_user_id, created_at) VALUES (?, ?, ?)",
            [(p, str(10**17 + p), start.isoformat()) for p in range(1, PEOPLE + 1)],
        )
        conn.executemany(
            "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, recorded_at) "
            "VALUES (1, ?, 'v1', ?, 'button', ?)",
            [(p, choice, start.isoformat()) for p in range(1, PEOPLE + 1) for choice in ("record", "quote")],
        )
        conn.executemany(
            "INSERT INTO rooms (id, session_id, number, name) VALUES (?, 1, ?, ?)",
            [(m, m, f"Room {m}") for m in range(1, ROOMS + 1)],
        )
        conn.executemany(
            "INSERT INTO rounds (session_id, number, round_key, title, minutes, started_at) VALUES (1, ?, ?, ?, 20, ?)",
            [
                (r, f"r{r}", f"Round {r}", (start + timedelta(minutes=20 * (r - 1))).isoformat())
                for r in range(1, ROUNDS + 1)
            ],
        )
    batch: list[tuple[object, ...]] = []
    per_block = rows // (ROUNDS * ROOMS) + 1
    n = 0
    for rnd in range(1, ROUNDS + 1):
        for room in range(1, ROOMS + 1):
            for k in range(per_block):
                if n >= rows:
                    break
                n += 1
                person = 1 + (room * 37 + k) % PEOPLE
                moment = start + timedelta(minutes=20 * (rnd - 1), seconds=k * 1200 / per_block)
                text = " ".join(WORDS[(n + j) % len(WORDS)] for j in range(8 + n % 25))
                batch.append(
                    (
                        n,
                        room,
                        rnd,
                        person,
                        f"P-{person:04X}",
                        str(n),
                        "c",
                        moment.isoformat(),
                        text,
                        int(k % 50 == 0),
                        "hope" if k % 50 == 0 else None,
                    )
                )
                if len(batch) == 50_000:
                    _insert(conn, batch)
                    batch = []
    _insert(conn, batch)
    conn.close()
    return time.perf_counter() - began


def _insert(conn: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    with conn:
        conn.executemany(
            "INSERT INTO contributions (id, session_id, room_id, round_number, participant_id, pseudonym, "
            "message_id, channel_id, created_at, text, key_point, theme) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )



CEILING_SQL = (
    "SELECT c.created_at, r.name, c.round_number, c.pseudonym, c.text, c.key_point, c.theme, c.edited "
    "FROM contributions c LEFT JOIN rooms r ON r.id = c.room_id WHERE c.session_id = 1 ORDER BY c.created_at, c.id"
)


def _status(field: str) -> float:
    """A /proc/self/status memory field in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


async def _export(db_path: Path, fmt: str, out: Path) -> int:
    async with open_database(db_path) as db:
        summary = await run_export(db, ExportRequest(session_id=1, formats=(fmt,)), out)
    return summary.rows


def _ceiling(db_path: Path, out: Path) -> int:
    import csv

    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path)
    rows = 0
    with (out / "ceiling.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["created_at", "room", "round", "pseudonym", "text", "key_point", "theme", "edited"])
        cursor = conn.execute(CEILING_SQL)
        while batch := cursor.fetchmany(500):
            writer.writerows(batch)
            rows += len(batch)
    conn.close()
    return rows


def worker(db_path: Path, fmt: str, out: Path) -> dict[str, float]:
    """One measurement in this (fresh) process: seconds, rows, peak MiB and MiB added over the imports."""
    before = _status("VmRSS")
    began = time.perf_counter()
    rows = _ceiling(db_path, out) if fmt == "ceiling" else asyncio.run(_export(db_path, fmt, out))
    seconds = time.perf_counter() - began
    peak = _status("VmHWM")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"seconds": seconds, "rows": rows, "peak_mib": peak, "added_mib": peak - before, "bytes": size}


def _measure(db_path: Path, fmt: str, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--worker", str(db_path), fmt, str(out)],
                          check=True, capture_output=True, text=True)
    shutil.rmtree(out, ignore_errors=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def measure(db_path: Path, size: int, rounds: int, formats: tuple[str, ...], tmp: Path) -> list[Figure]:
    """`rounds` interleaved rounds: ceiling, then each format, round after round."""
    times = {fmt: Figure(f"export {fmt}, {size:,} rows", "s", target=TARGETS[fmt]) for fmt in formats}
    memory = {fmt: Figure(f"export {fmt}, {size:,} rows: peak (VmHWM)", "MiB") for fmt in formats}
    added: dict[str, list[float]] = {fmt: [] for fmt in formats}
    for n in range(rounds):
        for fmt in formats:
            ceiling = _measure(db_path, "ceiling", tmp / f"c-{size}-{n}-{fmt}")
            ours = _measure(db_path, fmt, tmp / f"o-{size}-{n}-{fmt}")
            if ours["rows"] != ceiling["rows"]:
                raise AssertionError(f"{fmt} wrote {ours['rows']} rows, the ceiling {ceiling['rows']}")
            times[fmt].add(ours["seconds"], ceiling["seconds"])
            memory[fmt].add(ours["peak_mib"], ceiling["peak_mib"])
            added[fmt].append(ours["added_mib"])
    for fmt in formats:
        memory[fmt].note = f"adds {statistics.median(added[fmt]):.1f} MiB over its imports"
    return [f for fmt in formats for f in (times[fmt], memory[fmt])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="row counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--worker", nargs=3, metavar=("DB", "FORMAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        db_path, fmt, out = args.worker
        print(json.dumps(worker(Path(db_path), fmt, Path(out))))
        return
    formats = tuple(args.formats.split(","))
    with tempfile.TemporaryDirectory(prefix="blether-bench-export-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            db_path = Path(tmp) / f"bench-{size}.sqlite3"
            made = asyncio.run(make_db(db_path, size))
            print(f"{size:,} rows generated in {made:.1f} s", file=sys.stderr)
            for figure in measure(db_path, size, args.rounds, formats, Path(tmp)):
                print(figure.line())


if __name__ == "__main__":
    main()
