"""Start-up to ready: a fresh process with 1,000 scheduled cafés and 1M contributions in its database.

The figure is the wall time of a fresh Python process that builds the real bot (every cog), logs
in to the simulated Discord (READY, GUILD_CREATE, the command sync) and waits until it is ready:
the database opened and migrated, the services built, the start-up backfill done and the 1,000
cafés' steps reconciled into jobs. The ceiling is a fresh process importing the same third-party
libraries (discord.py, aiosqlite, APScheduler, jinja2, PyYAML) and nothing else. Both exit at once
when done, so neither pays for tearing down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Figure

LIBRARIES = ("discord", "discord.ext.commands", "aiosqlite", "apscheduler.schedulers.asyncio", "jinja2",
             "jinja2.sandbox", "yaml")
HEAVY = ("matplotlib", "numpy", "PIL", "dateparser")


async def _ready(db_path: Path) -> dict[str, object]:
    import logging

    logging.disable(logging.WARNING)
    sys.path.insert(0, str(ROOT / "tests" / "cogs"))
    from cafe_harness import make_settings, start_bot

    from bot.simulation import SimulatedDiscord

    sim = SimulatedDiscord(seed=1)
    bot = await start_bot(sim, make_settings(db_path.parent))
    assert bot.scheduler is not None
    return {"jobs": len(bot.scheduler.pending_job_ids()),
            "heavy": sorted(name for name in HEAVY if name in sys.modules)}


def child(mode: str, db_path: Path) -> None:
    if mode == "bare":
        import importlib

        for name in LIBRARIES:
            importlib.import_module(name)
        result: dict[str, object] = {}
    else:
        result = asyncio.run(_ready(db_path))
    print(json.dumps(result), flush=True)
    os._exit(0)


def _timed(mode: str, db_path: Path) -> tuple[float, dict[str, object]]:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(db_path)], check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - began, json.loads(done.stdout.strip().splitlines()[-1])


async def make_database(path: Path, rows: int, cafes: int) -> None:
    """The export benchmark's closed café with `rows` contributions, plus `cafes` scheduled cafés."""
    from export_bench import make_db
    from sched_bench import build

    from bot.store.db import open_database

    await make_db(path, rows)
    async with open_database(path) as db:
        await build(db, cafes)


def measure(rounds: int, rows: int, cafes: int) -> list[Figure]:
    figure = Figure(f"start-up to ready, {cafes:,} cafés, {rows:,} contributions", "s", target="≤ 1.5×")
    with tempfile.TemporaryDirectory(prefix="blether-bench-start-") as tmp:
        template = Path(tmp) / "template" / "blether.sqlite3"
        template.parent.mkdir()
        asyncio.run(make_database(template, rows, cafes))
        info: dict[str, object] = {}
        for n in range(rounds):
            # A copy per round: a start-up writes (steps it recovers, the pseudonym key), and every
            # round should start from the same database.
            run_dir = Path(tmp) / f"run-{n}"
            run_dir.mkdir()
            db_path = run_dir / "blether.sqlite3"
            shutil.copy(template, db_path)
            ours, info = _timed("blether", db_path)
            bare, _ = _timed("bare", db_path)
            figure.add(ours, bare)
            shutil.rmtree(run_dir)
        heavy = ", ".join(info.get("heavy", [])) or "none"  # type: ignore[arg-type]
        figure.note = f"{info.get('jobs', 0):,} jobs queued; heavy modules loaded at ready: {heavy}"
    return [figure]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cafes", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    for figure in measure(args.rounds, args.rows, args.cafes):
        print(figure.line())


if __name__ == "__main__":
    main()
