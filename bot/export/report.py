"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network).

It is read by people who were not in the room and may be printed or forwarded, which is why
contact details are scrubbed by default and every value is escaped by the template.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import IO, Any

from bot.export.charts import Chart, StatsSink, render_charts
from bot.export.context import WITHDRAWAL_NOTICE, ExportContext, Output
from bot.export.feedback import summarise
from bot.export.rows import ExportRow, RowMaker, prompt_for
from bot.export.scope import RoomInfo, RoundInfo, SessionInfo
from bot.export.scrub import cleaner
from bot.export.sink import SectionedSink
from bot.export.templating import ENV

_TEMPLATE = "report.html.j2"


class _ReportSink(SectionedSink):
    def __init__(self, ctx: ExportContext, fh: IO[str], clean: Callable[[str], str]) -> None:
        super().__init__(ctx.request)
        self._ctx = ctx
        self._fh = fh
        self._clean = clean
        # The template's macros, called by name (jinja2 types a module's attributes only at run time).
        self._t: Any = ENV.get_template(_TEMPLATE).module
        self._round: int | None = None
        self._list: str | None = None  # the open list: "key" or "rest"

    def _write(self, html: object) -> None:
        self._fh.write(str(html))

    def session_opened(self, session: SessionInfo) -> None:
        self._round = None
        self._write(self._t.session_open(session))

    def block_opened(self, session: SessionInfo, round_number: int, room_number: int) -> None:
        if round_number != self._round:
            if self._round is not None:
                self._write("</section>\n")
            self._round = round_number
            self._write(self._t.round_open(session, session.round(round_number)))
        room = session.room(room_number)
        topic = self._clean(room.topic or "")
        prompt = prompt_for(session, round_number, room_number)
        self._write(self._t.block_open(session, session.round(round_number), room, prompt, topic))
        self._list = None

    def row(self, row: ExportRow) -> None:
        wanted = "key" if row.key_point else "rest"
        if wanted != self._list:
            if self._list is not None:
                self._write("</ol>\n")
            title = "Key points" if row.key_point else ("Conversation" if self._list == "key" else "")
            self._write(self._t.list_open(title))
            self._list = wanted
        assert self._session is not None
        self._write(self._t.contribution(row, self._session.theme_name(row.theme or None)))

    def block_closed(self, session: SessionInfo, round_number: int, room_number: int, rows: int) -> None:
        if self._list is not None:
            self._write("</ol>\n")
            self._list = None
        if rows == 0:
            self._write(self._t.empty())
        found = session.summaries.get((room_number, round_number))
        if found:
            self._write(self._t.summary(found.title("Room summary"), self._clean(found.text), found.needs_review))
        self._write("</section>\n")

    def session_closed(self, session: SessionInfo) -> None:
        if self._round is not None:
            self._write("</section>\n")
        for room_number in sorted(session.rooms):
            found = session.summaries.get((room_number, None))
            if found and (not self._ctx.request.rooms or room_number in self._ctx.request.rooms):
                title = f"Summary of {session.room(room_number).name} (whole session)"
                self._write(self._t.summary(found.title(title), self._clean(found.text), found.needs_review))
        self._write("</section>\n")


def _toc(ctx: ExportContext) -> list[tuple[SessionInfo, list[tuple[RoundInfo, list[RoomInfo]]]]]:
    toc = []
    for s in ctx.sessions:
        rounds: dict[int, list[RoomInfo]] = {}
        for round_number, room_number in s.blocks(ctx.request):
            rounds.setdefault(round_number, []).append(s.room(room_number))
        toc.append((s, [(s.round(number), rooms) for number, rooms in rounds.items()]))
    return toc


def _title(ctx: ExportContext) -> str:
    """What the report is, then whose: a plan title may end in any punctuation ("… recovery?")."""
    if ctx.request.session_id is not None:
        s = ctx.sessions[0]
        return f"Café report — {s.plan_title} ({s.ref}, {s.local_date.isoformat()})"
    return f"Café report — {ctx.request.series} ({len(ctx.sessions)} sessions)"


def _head(ctx: ExportContext, charts: list[Chart]) -> str:
    module: Any = ENV.get_template(_TEMPLATE).module  # macros called by name, typed only at run time
    exported = ctx.exported_at.astimezone(ctx.sessions[0].zone)
    return str(
        module.head(
            _title(ctx),
            ctx.request.describe(),
            f"{exported:%d %B %Y %H:%M} ({ctx.sessions[0].zone.key})",
            WITHDRAWAL_NOTICE,
            _toc(ctx),
            charts,
            ctx.sessions,
            ctx.feedback is not None and bool(ctx.feedback.answers),
        )
    )


async def write_report(ctx: ExportContext) -> list[Output]:
    """Two passes: count for the charts, then stream the notes under the header and charts."""
    stats = StatsSink()
    await ctx.pump(stats, RowMaker(ctx.sessions, ctx.request, cleaner(scrub_contacts=False)), "time")
    charts = await asyncio.to_thread(render_charts, stats.stats, ctx.sessions)
    path = ctx.out_dir / f"{ctx.basename}-report.html"
    maker = ctx.maker("html")
    fh = await asyncio.to_thread(path.open, "w", encoding="utf-8", newline="\n")
    try:
        await asyncio.to_thread(fh.write, _head(ctx, charts))
        rows = await ctx.pump(_ReportSink(ctx, fh, maker.clean), maker, "key_points_first")
        macros: Any = ENV.get_template(_TEMPLATE).module
        if ctx.feedback is not None and ctx.feedback.answers:
            # The survey's free text is cleaned as the report cleans contributions.
            await asyncio.to_thread(fh.write, str(macros.feedback(summarise(ctx.feedback, maker.clean))))
        await asyncio.to_thread(fh.write, str(macros.foot(WITHDRAWAL_NOTICE)))
    finally:
        await asyncio.to_thread(fh.close)
    return [Output(path, rows)]
