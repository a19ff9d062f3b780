"""Markdown session notes: one file per session, per round, per room, key points first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bot.export.context import WITHDRAWAL_NOTICE, ExportContext, Output
from bot.export.rows import ExportRow, prompt_for
from bot.export.scope import SessionInfo
from bot.export.sink import SectionedSink
from bot.export.templating import ENV


class _NotesSink(SectionedSink):
    def __init__(self, ctx: ExportContext, clean: Callable[[str], str]) -> None:
        super().__init__(ctx.request)
        self._ctx = ctx
        self._clean = clean
        # The template's macros, called by name (jinja2 types a module's attributes only at run time).
        self._t: Any = ENV.get_template("notes.md.j2").module
        self._fh: IO[str] | None = None
        self._rows = 0
        self._in_key_points = False
        self.outputs: list[Output] = []

    def _path(self, s: SessionInfo) -> Path:
        stem = self._ctx.basename if len(self._ctx.sessions) == 1 else f"{self._ctx.basename}-{s.ref}"
        return self._ctx.out_dir / f"{stem}-notes.md"

    def _write(self, text: str) -> None:
        assert self._fh is not None
        self._fh.write(text)

    def session_opened(self, session: SessionInfo) -> None:
        self._fh = self._path(session).open("w", encoding="utf-8", newline="\n")
        self._rows = 0
        header = self._t.header(session, self._ctx.exported_at, WITHDRAWAL_NOTICE, self._ctx.request.describe())
        self._write(str(header))

    def block_opened(self, session: SessionInfo, round_number: int, room_number: int) -> None:
        self._in_key_points = False
        rnd, room = session.round(round_number), session.room(room_number)
        topic = self._clean(room.topic or "")
        self._write(str(self._t.block(session, rnd, room, prompt_for(session, round_number, room_number), topic)))

    def row(self, row: ExportRow) -> None:
        if row.key_point and not self._in_key_points:
            self._in_key_points = True
            self._write(str(self._t.heading("Key points")))
        elif not row.key_point and self._in_key_points:
            self._in_key_points = False
            self._write(str(self._t.heading("Conversation")))
        self._rows += 1
        assert self._session is not None
        self._write(str(self._t.contribution(row, self._session.theme_name(row.theme or None))))

    def block_closed(self, session: SessionInfo, round_number: int, room_number: int, rows: int) -> None:
        if rows == 0:
            self._write(str(self._t.empty()))
        found = session.summaries.get((room_number, round_number))
        if found:
            self._write(str(self._t.summary(found.title("Room summary"), self._clean(found.text), found.needs_review)))

    def session_closed(self, session: SessionInfo) -> None:
        for room_number in sorted(session.rooms):
            found = session.summaries.get((room_number, None))
            if found and (not self._ctx.request.rooms or room_number in self._ctx.request.rooms):
                title = f"Summary of {session.room(room_number).name} (whole session)"
                self._write(str(self._t.summary(found.title(title), self._clean(found.text), found.needs_review)))
        assert self._fh is not None
        self._fh.close()
        self._fh = None
        self.outputs.append(Output(self._path(session), self._rows))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


async def write_notes(ctx: ExportContext) -> list[Output]:
    """One Markdown file per session in the run."""
    maker = ctx.maker("md")
    sink = _NotesSink(ctx, maker.clean)
    try:
        await ctx.pump(sink, maker, "key_points_first")
    finally:
        await asyncio.to_thread(sink.close)
    return sink.outputs
