"""The report's charts: counts gathered while streaming, drawn by matplotlib as inline SVG.

Only counters are kept (per round and room, per person, per five minutes), so gathering is
flat in memory however many contributions there are. Drawing uses the Agg canvas and the
Figure API, never pyplot's global state, and is run in a worker thread by the caller.
matplotlib is imported only there, when a report with something to chart is drawn: it is slow
to import and heavy in memory, and the bot, the CLI and the other exports never need it.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from bot.export.rows import ExportRow
from bot.export.scope import SessionInfo
from bot.export.sink import Sink

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BUCKET_MINUTES = 5
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_INK = "#22313f"
_MUTED = "#6b7a89"
_COLOURS = ("#1b7f79", "#c8553d", "#4062bb", "#d4a017", "#8a6fdf", "#2e8b57", "#b5446e", "#5c6f7d")
_SPREAD_BINS = ((1, 1, "1"), (2, 2, "2"), (3, 5, "3–5"), (6, 10, "6–10"), (11, 20, "11–20"), (21, 50, "21–50"))


@dataclass(frozen=True, slots=True)
class Chart:
    anchor: str
    title: str
    caption: str
    svg: Markup


@dataclass(slots=True)
class Stats:
    per_block: Counter[tuple[int, str, int, str]] = field(default_factory=Counter)  # round, label, room no, name
    per_person: Counter[str] = field(default_factory=Counter)
    per_bucket: Counter[int] = field(default_factory=Counter)  # minutes since the session started

    @property
    def total(self) -> int:
        return sum(self.per_person.values())


class StatsSink(Sink):
    """Counts contributions for the charts as they stream past."""

    def __init__(self) -> None:
        self.stats = Stats()
        self._session: SessionInfo | None = None

    def start_session(self, session: SessionInfo) -> None:
        self._session = session

    def feed(self, rows: Sequence[ExportRow]) -> None:
        assert self._session is not None
        start = self._session.starts_at
        for row in rows:
            label = f"R{row.round_number} {row.round_title}"
            self.stats.per_block[(row.round_number, label, row.room_number, row.room)] += 1
            self.stats.per_person[f"{row.session}:{row.pseudonym}"] += 1
            minutes = int((row.time - start).total_seconds() // 60)
            self.stats.per_bucket[minutes // BUCKET_MINUTES * BUCKET_MINUTES] += 1


def render_charts(stats: Stats, sessions: Sequence[SessionInfo]) -> list[Chart]:
    """The three charts, or none when there is nothing to draw."""
    if not stats.total:
        return []
    timing = ", with the start of each round marked." if len(sessions) == 1 else ", all sessions together."
    charts = [
        (
            "rounds",
            "Contributions per round and room",
            "How many contributions each room made in each round.",
            _rounds(stats),
        ),
        (
            "spread",
            "Participation spread",
            "How many people spoke how much: people by their number of contributions (per session).",
            _spread(stats),
        ),
        (
            "time",
            "Activity over time",
            f"Contributions per {BUCKET_MINUTES} minutes since the session started{timing}",
            _timeline(stats, sessions),
        ),
    ]
    return [Chart(f"chart-{name}", title, caption, _svg(name, title, fig)) for name, title, caption, fig in charts]


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(_MUTED)
    ax.tick_params(colors=_INK, labelsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color="#e3e8ee", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _rounds(stats: Stats) -> Figure:
    rounds = sorted({(number, label) for number, label, _, _ in stats.per_block})
    rooms = sorted({(room_number, room) for _, _, room_number, room in stats.per_block})
    fig, ax = _figure(9.6, 3.2)
    width = 0.8 / max(len(rooms), 1)
    for i, (room_number, room) in enumerate(rooms):
        xs = [n + (i - (len(rooms) - 1) / 2) * width for n in range(len(rounds))]
        ys = [stats.per_block.get((number, label, room_number, room), 0) for number, label in rounds]
        ax.bar(xs, ys, width * 0.92, label=room, color=_COLOURS[i % len(_COLOURS)])
    ax.set_xticks(range(len(rounds)), [label for _, label in rounds])
    ax.set_ylabel("contributions", color=_INK, fontsize=9)
    if len(rooms) > 1:
        ax.legend(frameon=False, fontsize=8, ncols=min(len(rooms), 6), loc="upper left", bbox_to_anchor=(0, 1.15))
    return fig


def _spread(stats: Stats) -> Figure:
    counts = list(stats.per_person.values())
    bins = [*_SPREAD_BINS, (51, max(counts), "51+")]
    people = [sum(1 for c in counts if low <= c <= high) for low, high, _ in bins]
    while len(people) > 3 and people[-1] == 0:
        people.pop()
        bins.pop()
    fig, ax = _figure(4.8, 3.2)
    ax.bar(range(len(bins)), people, 0.7, color=_COLOURS[0])
    ax.set_xticks(range(len(bins)), [label for _, _, label in bins])
    ax.set_xlabel("contributions by one person", color=_INK, fontsize=9)
    ax.set_ylabel("people", color=_INK, fontsize=9)
    return fig


def _timeline(stats: Stats, sessions: Sequence[SessionInfo]) -> Figure:
    first, last = min(stats.per_bucket), max(stats.per_bucket)
    xs = list(range(first, last + BUCKET_MINUTES, BUCKET_MINUTES))
    fig, ax = _figure(4.8, 3.2)
    ax.bar(xs, [stats.per_bucket.get(x, 0) for x in xs], BUCKET_MINUTES * 0.85, align="edge", color=_COLOURS[2])
    if len(sessions) == 1:
        s = sessions[0]
        for number in sorted(s.rounds):
            started = s.rounds[number].started_at
            if started is not None:
                minute = (started - s.starts_at).total_seconds() / 60
                ax.axvline(minute, color=_COLOURS[1], linewidth=1, linestyle="--")
                ax.annotate(
                    f"R{number}",
                    (minute, 1),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, -10),
                    textcoords="offset points",
                    color=_COLOURS[1],
                    fontsize=8,
                )
    ax.set_xlabel("minutes since the session started", color=_INK, fontsize=9)
    ax.set_ylabel("contributions", color=_INK, fontsize=9)
    return fig


def _svg(name: str, title: str, fig: Figure) -> Markup:
    """SVG text without prologue or metadata, ids salted per chart so several can share one page."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"blether-{name}", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = _METADATA.sub("", svg[svg.index("<svg") :])
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1))
