"""Where streamed rows go: a sink receives each session's rows inside a worker thread.

Sinks are plain synchronous objects: formatting and file writes happen in the thread the
pipeline hands each batch to, so the event loop only fetches rows from the store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence

from bot.export.request import ExportRequest
from bot.export.rows import ExportRow
from bot.export.scope import SessionInfo


class Sink(ABC):
    """Receives one session at a time: start, batches of rows in export order, end."""

    def start_session(self, session: SessionInfo) -> None:  # noqa: B027 - an optional hook
        """Called before the session's first batch; nothing to do unless a format has a header."""

    @abstractmethod
    def feed(self, rows: Sequence[ExportRow]) -> None:
        """Take the next batch of rows; every format writes them its own way."""

    def end_session(self, session: SessionInfo) -> None:  # noqa: B027 - an optional hook
        """Called after the session's last batch; nothing to do unless a format has a footer."""


class SectionedSink(Sink):
    """Turns a session's rows into rounds × rooms blocks, including the plan's empty blocks.

    Notes and reports show every room of every selected round, even one where nobody spoke (or
    nothing passed the filters), so the reader sees the gap rather than wondering about it.
    Rows must arrive ordered by (round, room), which the store query guarantees.
    """

    def __init__(self, request: ExportRequest) -> None:
        self._request = request
        self._pending: deque[tuple[int, int]] = deque()
        self._current: tuple[int, int] | None = None
        self._session: SessionInfo | None = None
        self._block_rows = 0

    def start_session(self, session: SessionInfo) -> None:
        self._session = session
        self._pending = deque(session.blocks(self._request))
        self._current = None
        self.session_opened(session)

    def feed(self, rows: Sequence[ExportRow]) -> None:
        assert self._session is not None
        for row in rows:
            if row.block != self._current:
                self._close_current()
                while self._pending and self._pending[0] < row.block:
                    self._empty_block(self._pending.popleft())
                if self._pending and self._pending[0] == row.block:
                    self._pending.popleft()
                self._current = row.block
                self._block_rows = 0
                self.block_opened(self._session, *row.block)
            self._block_rows += 1
            self.row(row)

    def end_session(self, session: SessionInfo) -> None:
        self._close_current()
        while self._pending:
            self._empty_block(self._pending.popleft())
        self.session_closed(session)

    def _empty_block(self, block: tuple[int, int]) -> None:
        assert self._session is not None
        self.block_opened(self._session, *block)
        self.block_closed(self._session, *block, 0)

    def _close_current(self) -> None:
        if self._current is not None and self._session is not None:
            self.block_closed(self._session, *self._current, self._block_rows)
            self._current = None

    def session_opened(self, session: SessionInfo) -> None:
        """Hook: the session starts."""

    def block_opened(self, session: SessionInfo, round_number: int, room_number: int) -> None:
        """Hook: a round × room block starts."""

    def row(self, row: ExportRow) -> None:
        """Hook: one contribution of the open block."""

    def block_closed(self, session: SessionInfo, round_number: int, room_number: int, rows: int) -> None:
        """Hook: the block ends after ``rows`` contributions (0 for an empty block)."""

    def session_closed(self, session: SessionInfo) -> None:
        """Hook: the session ends."""
