"""Which writer makes each format, and how many passes over the contributions it needs.

The pass count lets the progress report say how far along a multi-format run is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.export.codebook import write_qdc
from bot.export.context import ExportContext, Output
from bot.export.feedback import write_feedback
from bot.export.notes import write_notes
from bot.export.qdpx import write_qdpx
from bot.export.report import write_report
from bot.export.tabular import write_csv, write_jsonl


@dataclass(frozen=True, slots=True)
class Writer:
    write: Callable[[ExportContext], Awaitable[list[Output]]]
    passes: int


WRITERS: dict[str, Writer] = {
    "csv": Writer(write_csv, 1),
    "jsonl": Writer(write_jsonl, 1),
    "md": Writer(write_notes, 1),
    "html": Writer(write_report, 2),  # statistics for the charts, then the notes
    "qdpx": Writer(write_qdpx, 2),  # cases by pseudonym, then sources
    "qdc": Writer(write_qdc, 0),
    "feedback": Writer(write_feedback, 0),  # the survey's answers, not contributions
}
