"""After the café: the feedback form's answers, the "has answered" markers, the prize draw's entries
and the list of people waiting for the report.

The answers are kept apart from everything that names anyone: `feedback_answers` has no participant
column, no rowid and only the hour, so nothing in the store can join an answer back to a person or a
pseudonym. The three lists that do name a person (answered markers, draw entries, report list) are
short-lived and join the personal-data contract, so erasure and `/mydata` cover them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.store.db import Tx, db_time, db_time_opt, placeholders
from bot.store.personal import ErasureScope, PersonalData, PersonRef, Rows

#: The tables that name a person, each with what it means to them (shown in `/mydata`).
_LISTS: Mapping[str, str] = {
    "feedback_answered": "You answered this café's feedback form. Your answers themselves are stored without "
                         "your name or pseudonym, so they cannot be shown to you or told apart from others'.",
    "draw_entries": "You entered this café's prize draw.",
    "report_subscribers": "You asked to be told when this café's report is published.",
}


@dataclass(frozen=True)
class AfterCafe:
    """One café's after-café state: the form's period, the draw's commitment, the report's sending."""

    session_id: int
    form_opened_at: datetime
    form_closes_at: datetime
    form_closed_at: datetime | None
    draw_seed: str | None
    draw_commitment: str | None
    drawn_at: datetime | None
    report_sent_at: datetime | None
    report_link: str | None

    @property
    def form_open(self) -> bool:
        return self.form_closed_at is None

    @property
    def has_draw(self) -> bool:
        return self.draw_commitment is not None


@dataclass(frozen=True)
class Answer:
    session_id: int
    hour: datetime
    rating: int | None
    answers: dict[str, str]


class AnswerRefused(Exception):
    """Why an answer was not stored: the form is closed, or this person has answered already."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_opt_time = db_time_opt


def hour_of(moment: datetime) -> str:
    """The hour an answer is filed under, never finer: 'YYYY-MM-DDTHH:00:00+00:00' in UTC."""
    return db_time(moment).replace(minute=0, second=0, microsecond=0).isoformat(timespec="seconds")


class AfterCafeRepo(PersonalData):
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {table: ("participant_id",) for table in _LISTS}

    # --- the café's after-café row -------------------------------------------------------------

    async def open(self, session_id: int, closes_at: datetime, *, seed: str | None, commitment: str | None) -> bool:
        """Open the after-café once; False if it was already open (a close that ran again)."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "INSERT INTO after_cafe (session_id, form_opened_at, form_closes_at, draw_seed, draw_commitment) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO NOTHING",
                (session_id, self.db.now(), closes_at, seed, commitment),
            )
            return changed == 1

    async def get(self, session_id: int) -> AfterCafe | None:
        row = await self.db.fetch_one("SELECT * FROM after_cafe WHERE session_id = $1", (session_id,))
        if row is None:
            return None
        return AfterCafe(
            session_id=int(row["session_id"]), form_opened_at=db_time(row["form_opened_at"]),
            form_closes_at=db_time(row["form_closes_at"]), form_closed_at=_opt_time(row["form_closed_at"]),
            draw_seed=row["draw_seed"], draw_commitment=row["draw_commitment"], drawn_at=_opt_time(row["drawn_at"]),
            report_sent_at=_opt_time(row["report_sent_at"]), report_link=row["report_link"],
        )

    async def attendees(self, session_id: int) -> list[int]:
        """The Discord ids of everyone who sat in one of the café's rooms."""
        rows = await self.db.fetch_all(
            "SELECT p.discord_user_id FROM participants p "
            "WHERE p.id IN (SELECT participant_id FROM assignments WHERE session_id = $1) ORDER BY p.id", (session_id,))
        return [int(r[0]) for r in rows]

    async def attended(self, session_id: int, discord_user_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM assignments a JOIN participants p ON p.id = a.participant_id "
            "WHERE a.session_id = $1 AND p.discord_user_id = $2 LIMIT 1", (session_id, discord_user_id))
        return row is not None

    # --- the feedback form ----------------------------------------------------------------------

    async def answer(self, session_id: int, discord_user_id: int, rating: int | None, answers: Mapping[str, str],
                     at: datetime) -> None:
        """Store one answer and the person's marker in one transaction, or neither.

        The marker and the answer share nothing: the answer's key is random and its time is the hour.
        """
        async with self.db.transaction() as tx:
            form = await tx.fetch_one("SELECT form_closed_at FROM after_cafe WHERE session_id = $1",
                                    (session_id,))
            if form is None or form[0] is not None:
                raise AnswerRefused("closed")
            person = await tx.fetch_one("SELECT id FROM participants WHERE discord_user_id = $1",
                                    (discord_user_id,))
            if person is None:
                raise AnswerRefused("not_there")
            marked = await tx.execute(
                "INSERT INTO feedback_answered (session_id, participant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                (session_id, int(person[0])))
            if marked != 1:
                raise AnswerRefused("twice")
            await tx.execute(
                "INSERT INTO feedback_answers (answer_key, session_id, hour, rating, answers) "
                "VALUES ($1, $2, $3, $4, $5)",
                (secrets.token_hex(16), session_id, hour_of(at), rating,
                 json.dumps(dict(answers), ensure_ascii=False, sort_keys=True)),
            )

    async def has_answered(self, session_id: int, discord_user_id: int) -> bool:
        row = await self.db.fetch_one(
            "SELECT 1 FROM feedback_answered f JOIN participants p ON p.id = f.participant_id "
            "WHERE f.session_id = $1 AND p.discord_user_id = $2", (session_id, discord_user_id))
        return row is not None

    async def close_form(self, session_id: int) -> int:
        """Close the form and delete the "has answered" markers; returns how many answers it holds.

        The answers are written again, all in this one transaction and in the order of their random
        keys. On PostgreSQL a row carries the transaction that wrote it and sits where it was
        appended, and an answer shared both with its person's marker; rewritten, every answer has
        the same writer and a random place. (SQLite's tables without rowid never kept that order.)"""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE after_cafe SET form_closed_at = $1 WHERE session_id = $2 AND form_closed_at "
                             "IS NULL", (self.db.now(), session_id))
            await tx.execute("DELETE FROM feedback_answered WHERE session_id = $1", (session_id,))
            answers = await tx.fetch_all("DELETE FROM feedback_answers WHERE session_id = $1 "
                                         "RETURNING answer_key, session_id, hour, rating, answers", (session_id,))
            await tx.executemany(
                "INSERT INTO feedback_answers (answer_key, session_id, hour, rating, answers) "
                "VALUES ($1, $2, $3, $4, $5)", sorted(tuple(row) for row in answers))
        return len(answers)

    async def answers_of(self, session_ids: Sequence[int]) -> list[Answer]:
        """Every answer of these cafés, by café and hour, then by the random key: never in the
        order they were given."""
        if not session_ids:
            return []
        marks = placeholders(len(session_ids))
        rows = await self.db.fetch_all(
            f"SELECT session_id, hour, rating, answers FROM feedback_answers WHERE session_id IN ({marks}) "
            "ORDER BY session_id, hour, answer_key", tuple(session_ids))
        return [Answer(int(r["session_id"]), db_time(r["hour"]), r["rating"], json.loads(r["answers"]))
                for r in rows]

    # --- the prize draw ---------------------------------------------------------------------------

    async def enter_draw(self, session_id: int, discord_user_id: int) -> bool:
        """Add the person to the draw; False when they had entered already."""
        async with self.db.transaction() as tx:
            person = await _participant(tx, discord_user_id)
            changed = await tx.execute(
                "INSERT INTO draw_entries (session_id, participant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                (session_id, person))
            return changed == 1

    async def draw_entrants(self, session_id: int) -> list[int]:
        """The entrants' Discord ids in the draw's canonical order (by participant number)."""
        rows = await self.db.fetch_all(
            "SELECT p.discord_user_id FROM draw_entries d JOIN participants p ON p.id = d.participant_id "
            "WHERE d.session_id = $1 ORDER BY p.id", (session_id,))
        return [int(r[0]) for r in rows]

    async def finish_draw(self, session_id: int) -> int:
        """Mark the draw made and erase its entry list; returns how many entries were erased."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE after_cafe SET drawn_at = $1 WHERE session_id = $2",
                               (self.db.now(), session_id))
            changed = await tx.execute("DELETE FROM draw_entries WHERE session_id = $1", (session_id,))
            return changed

    # --- the report --------------------------------------------------------------------------------

    async def subscribe(self, session_id: int, discord_user_id: int) -> bool:
        async with self.db.transaction() as tx:
            person = await _participant(tx, discord_user_id)
            changed = await tx.execute(
                "INSERT INTO report_subscribers (session_id, participant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                (session_id, person))
            return changed == 1

    async def subscribers(self, session_ids: Sequence[int]) -> list[int]:
        """Everyone waiting for the report of any of these cafés, once each."""
        if not session_ids:
            return []
        marks = placeholders(len(session_ids))
        rows = await self.db.fetch_all(
            "SELECT p.discord_user_id FROM participants p WHERE p.id IN "
            f"(SELECT participant_id FROM report_subscribers WHERE session_id IN ({marks})) ORDER BY p.id",
            tuple(session_ids))
        return [int(r[0]) for r in rows]

    async def report_sent(self, session_ids: Sequence[int], link: str) -> int:
        """Record that the report went out for these cafés and erase their lists; returns rows erased."""
        marks = placeholders(len(session_ids), start=3)
        async with self.db.transaction() as tx:
            await tx.execute(f"UPDATE after_cafe SET report_sent_at = $1, report_link = $2 "
                               f"WHERE session_id IN ({marks})", (self.db.now(), link, *session_ids))
            changed = await tx.execute(f"DELETE FROM report_subscribers WHERE session_id IN "
                                       f"({placeholders(len(session_ids))})",
                                     tuple(session_ids))
            return changed

    # --- the personal-data contract ----------------------------------------------------------------

    async def erase_person(self, tx: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        """The person leaves the lists. Their answers, if any, cannot be found: nothing ties them to anyone."""
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        counts: dict[str, int] = {}
        for table in _LISTS:
            changed = await tx.execute(f"DELETE FROM {table} WHERE participant_id = $1 AND {in_scope}",
                                     (person.participant_id, *params))
            counts[table] = changed
        return counts

    async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
        if person.participant_id is None:
            return {}
        in_scope, params = scope.sessions("session_id")
        rows: Rows = {}
        for table, meaning in _LISTS.items():
            found = await self.db.fetch_all(
                f"SELECT session_id FROM {table} WHERE participant_id = $1 AND {in_scope} ORDER BY session_id",
                (person.participant_id, *params))
            if found:
                rows[table] = [{"session_id": int(r[0]), "meaning": meaning} for r in found]
        return rows

    async def sessions_holding(self, tx: Tx, person: PersonRef) -> set[int]:
        union = " UNION ".join(f"SELECT session_id FROM {table} WHERE participant_id = $1" for table in _LISTS)
        return {int(r[0]) for r in await tx.fetch_all(union, (person.participant_id,))}


async def _participant(tx: Tx, discord_user_id: int) -> int:
    """The person's participant number; whoever reaches an after-café list sat in a room, so they have one."""
    row = await tx.fetch_one("SELECT id FROM participants WHERE discord_user_id = $1", (discord_user_id,))
    if row is None:
        raise LookupError("this person never took part in a café")
    return int(row[0])
