"""One export run's shared state and the pump that streams rows from the store into a sink."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.export.request import ExportRequest
from bot.export.rows import Order, RowMaker, RowStream
from bot.export.scope import SessionInfo
from bot.export.scrub import cleaner
from bot.export.sink import Sink
from bot.store.db import Row

if TYPE_CHECKING:
    from bot.export.feedback import FeedbackData

WITHDRAWAL_NOTICE = (
    "This export is a snapshot taken at the time shown. A withdrawal of consent after this export "
    "cannot recall this file; a later export supersedes it, so delete this copy once a newer one is made."
)


@dataclass(frozen=True, slots=True)
class Output:
    """A file a writer produced and how many contributions it holds."""

    path: Path
    rows: int


@dataclass(slots=True)
class ExportContext:
    request: ExportRequest
    sessions: list[SessionInfo]
    out_dir: Path
    exported_at: datetime
    stream: RowStream
    #: The feedback survey's answers for these sessions (kept apart from contributions).
    feedback: FeedbackData | None = None

    @property
    def basename(self) -> str:
        """A file-name stem that says what the run covers: ``blether-S12`` or ``blether-series-<slug>``."""
        if self.request.session_id is not None:
            return f"blether-S{self.request.session_id}"
        slug = re.sub(r"[^a-z0-9]+", "-", (self.request.series or "").lower()).strip("-") or "series"
        return f"blether-series-{slug}"

    def maker(self, fmt: str) -> RowMaker:
        """The row maker for a format, scrubbing and redacting as the request asks for that format."""
        clean = cleaner(scrub_contacts=self.request.scrubs(fmt), redact_words=self.request.redact)
        return RowMaker(self.sessions, self.request, clean)

    async def pump(self, sink: Sink, maker: RowMaker, order: Order) -> int:
        """Stream each session's rows into the sink (in worker threads); return the rows it kept."""
        kept = 0
        for session in self.sessions:
            await asyncio.to_thread(sink.start_session, session)
            async for raw in self.stream.batches([session], order):
                kept += await asyncio.to_thread(_feed, sink, maker, raw)
            await asyncio.to_thread(sink.end_session, session)
        return kept

    async def pump_all(self, sink: Sink, maker: RowMaker, order: Order) -> int:
        """Stream all sessions' rows as one sequence (for orders that cross sessions, by pseudonym)."""
        kept = 0
        async for raw in self.stream.batches(self.sessions, order):
            kept += await asyncio.to_thread(_feed, sink, maker, raw)
        return kept


def _feed(sink: Sink, maker: RowMaker, raw: list[Row]) -> int:
    rows = maker.make(raw)
    sink.feed(rows)
    return len(rows)
