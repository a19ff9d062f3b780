"""The feedback survey in the exports: its own CSV, and a section of the HTML report.

Answers come from `AfterCafeRepo` as they are stored: by café and hour, with no person and no
pseudonym, ordered by a random key rather than by when they were given. Free text goes through
the same cleaner as contributions for the same format (contact details scrubbed in the report by
default, chosen words redacted everywhere), and CSV cells are guarded against formulas.
"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.export.context import ExportContext, Output
from bot.export.scope import SessionInfo
from bot.export.scrub import cleaner
from bot.export.tabular import guard_formula
from bot.store.after_cafe import AfterCafeRepo, Answer
from bot.store.db import Database

RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    kind: str


@dataclass(frozen=True)
class FeedbackData:
    """The questions the exported cafés asked (in plan order, each once) and their answers."""

    questions: tuple[Question, ...] = ()
    answers: tuple[Answer, ...] = field(default_factory=tuple)
    refs: dict[int, str] = field(default_factory=dict)  # café id → "S12"

    @property
    def text_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind != "rating")

    @property
    def rating_label(self) -> str | None:
        return next((q.label for q in self.questions if q.kind == "rating"), None)


def _questions(sessions: list[SessionInfo]) -> tuple[Question, ...]:
    seen: dict[str, Question] = {}
    for s in sessions:
        feedback = s.plan.get("feedback")
        asked = feedback.get("questions", []) if isinstance(feedback, dict) else []
        for q in asked:
            if isinstance(q, dict) and q.get("id") and q["id"] not in seen:
                seen[str(q["id"])] = Question(str(q["id"]), str(q.get("label", q["id"])), str(q.get("kind", "long")))
    return tuple(seen.values())


async def load_feedback(db: Database, sessions: list[SessionInfo]) -> FeedbackData:
    answers = await AfterCafeRepo(db).answers_of([s.id for s in sessions])
    return FeedbackData(_questions(sessions), tuple(answers), {s.id: s.ref for s in sessions})


def _write_csv(path: Path, data: FeedbackData, clean: Callable[[str], str]) -> None:
    texts = data.text_questions
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["session", "hour_utc", "rating", *(q.id for q in texts)])
        for answer in data.answers:
            out.writerow([data.refs.get(answer.session_id, f"S{answer.session_id}"),
                          answer.hour.isoformat(timespec="minutes"), answer.rating if answer.rating else "",
                          *(guard_formula(clean(answer.answers.get(q.id, ""))) for q in texts)])


async def write_feedback(ctx: ExportContext) -> list[Output]:
    """The survey as its own CSV, one row per answer (no contributions: its row count is 0)."""
    data = ctx.feedback or FeedbackData()
    path = ctx.out_dir / f"{ctx.basename}-feedback.csv"
    clean = cleaner(scrub_contacts=ctx.request.scrubs("csv"), redact_words=ctx.request.redact)
    await asyncio.to_thread(_write_csv, path, data, clean)
    return [Output(path, 0)]


@dataclass(frozen=True)
class FeedbackSummary:
    """What the report shows: counts, the rating distribution, and each question's answers."""

    answers: int
    rating_label: str | None
    ratings: list[tuple[int, int, int]]  # (rating, count, percent of ratings)
    rated: int
    average: float | None
    texts: list[tuple[str, list[str]]]  # (question label, cleaned answers)


def summarise(data: FeedbackData, clean: Callable[[str], str]) -> FeedbackSummary:
    counts = Counter(a.rating for a in data.answers if a.rating is not None)
    rated = sum(counts.values())
    ratings = [(r, counts[r], round(100 * counts[r] / rated) if rated else 0) for r in RATINGS]
    average = sum(r * n for r, n in counts.items()) / rated if rated else None
    texts = [(q.label, [clean(a.answers[q.id]) for a in data.answers if a.answers.get(q.id)])
             for q in data.text_questions]
    return FeedbackSummary(len(data.answers), data.rating_label, ratings, rated, average, texts)
