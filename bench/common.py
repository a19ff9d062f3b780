"""What every benchmark shares: the machine, rounds of figure-against-ceiling, and the report.

These machines are shared and noisy, so no figure stands alone: each is measured next to its
ceiling (the same work done by the simplest code that could do it) in the same process run,
interleaved round by round, and the ratio of the two is what we report, as the median of several
rounds with the minimum and maximum beside it.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cpu}, {cores} cores; Python {platform.python_version()} ({platform.python_implementation()}), "
            f"SQLite {sqlite3.sqlite_version}; {platform.system()} {platform.release()}")


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Figure:
    """One measured quantity and its ceiling, round by round.

    `higher_is_better` says which way the ratio reads: for a rate the ratio is figure / ceiling
    (1.0 = as fast as the ceiling), for a time or a count it is figure / ceiling too, but then
    lower is better (1.0 = no slower, no more calls, than the ceiling).
    """

    name: str
    unit: str
    figures: list[float] = field(default_factory=list)
    ceilings: list[float] = field(default_factory=list)
    higher_is_better: bool = False
    target: str = ""
    note: str = ""

    def add(self, figure: float, ceiling: float) -> None:
        self.figures.append(figure)
        self.ceilings.append(ceiling)

    @property
    def ratios(self) -> list[float]:
        return [f / c if c else float("inf") for f, c in zip(self.figures, self.ceilings, strict=True)]

    def row(self) -> str:
        fm, fl, fh = spread(self.figures)
        cm, _, _ = spread(self.ceilings)
        rm, rl, rh = spread(self.ratios)
        return (f"| {self.name} | {_fmt(fm)} {self.unit} ({_fmt(fl)}–{_fmt(fh)}) | {_fmt(cm)} {self.unit} | "
                f"**{rm:.3g}×** ({rl:.3g}–{rh:.3g}) | {len(self.figures)} | {self.target} | {self.note} |")

    def line(self) -> str:
        fm, fl, fh = spread(self.figures)
        cm, cl, ch = spread(self.ceilings)
        rm, rl, rh = spread(self.ratios)
        return (f"{self.name}: {_fmt(fm)} {self.unit} [{_fmt(fl)}..{_fmt(fh)}]  ceiling {_fmt(cm)} "
                f"[{_fmt(cl)}..{_fmt(ch)}]  ratio {rm:.3g}x [{rl:.3g}..{rh:.3g}]  n={len(self.figures)}"
                f"{'  target ' + self.target if self.target else ''}")


TABLE_HEAD = ("| measure | figure: median (min–max) | ceiling: median | ratio: median (min–max) | rounds | target "
              "| note |\n|---|---:|---:|---:|---:|---|---|")


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(figures: Sequence[Figure]) -> str:
    return "\n".join([TABLE_HEAD, *(f.row() for f in figures)])
