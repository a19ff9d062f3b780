"""World Café rotation benchmark: repeated pairings today (shift-by-position), Blether's rotation
and the lower bound, with the time the rotations take.

Run: ``python bench/rotation_bench.py`` (figures go to docs/PERFORMANCE.md, never into tests).
Each café starts from the same even deal of people into tables; the rotation is asked once per
later round with the whole history, as the café floor asks it.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.allocation import (  # noqa: E402
    allocate,
    repeat_lower_bound,
    repeated_pairings,
    rotate,
    rotate_tables,
)

CASES = ((16, 4, 4), (24, 4, 3), (1000, 100, 3))
SEEDS = range(10)


def main() -> None:
    machine = platform.processor() or platform.machine()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {machine}")
    print("| people | tables | rounds | today (shift) | Blether, seeds 0–9: median (best–worst) "
          "| lower bound | seconds per café (median) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for people, tables, rounds in CASES:
        first = allocate(list(range(people)), tables)
        today = [first]
        for _ in range(rounds - 1):
            today.append(rotate(today[-1]))
        repeats, times = [], []
        for seed in SEEDS:
            ours = [first]
            began = time.perf_counter()
            for number in range(2, rounds + 1):
                ours.append(rotate_tables(ours, seed=seed * 100 + number))
            times.append(time.perf_counter() - began)
            repeats.append(repeated_pairings(ours))
        print(f"| {people:,} | {tables} | {rounds} | {repeated_pairings(today)} "
              f"| {statistics.median(repeats):g} ({min(repeats)}–{max(repeats)}) "
              f"| {repeat_lower_bound(people, tables, rounds)} | {statistics.median(times):.2f} |")


if __name__ == "__main__":
    main()
