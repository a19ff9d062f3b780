"""The flat record of a contribution shared by the CSV and JSONL exports, and the session record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.export.request import ExportRequest
from bot.export.rows import ExportRow
from bot.export.scope import SessionInfo

FIELDS: tuple[str, ...] = (
    "session",
    "series",
    "date",
    "room",
    "room_topic",
    "round_id",
    "round_title",
    "prompt",
    "pseudonym",
    "speaker_role",
    "time",
    "text",
    "reply_to",
    "contribution",
    "key_point",
    "key_point_by",
    "key_point_theme",
    "key_point_theme_name",
    "edited",
    "quote_permitted",
)


#: The room summaries' CSV: one row per summary a facilitator wrote (per round, or for the session).
SUMMARY_FIELDS: tuple[str, ...] = (
    "session", "series", "date", "room", "round_id", "round_title", "covers", "written_by", "needs_review", "text",
)


def contribution_record(row: ExportRow, theme_name: str = "") -> dict[str, Any]:
    """The contribution's fields in the export's column order; times carry the display-zone offset.

    A key point carries who marked it (a role, never a person), the theme id a facilitator picked
    (``key_point_theme``, stable across plans) and its name in the session's plan
    (``key_point_theme_name``), so a spreadsheet reads without the codebook.
    """
    return {
        "session": row.session,
        "series": row.series,
        "date": row.date,
        "room": row.room,
        "room_topic": row.room_topic,
        "round_id": row.round_id,
        "round_title": row.round_title,
        "prompt": row.prompt,
        "pseudonym": row.pseudonym,
        "speaker_role": row.speaker_role,
        "time": row.time.isoformat(timespec="seconds"),
        "text": row.text,
        "reply_to": row.reply_to,
        "contribution": row.contribution,
        "key_point": row.key_point,
        "key_point_by": row.key_point_by,
        "key_point_theme": row.theme,
        "key_point_theme_name": theme_name,
        "edited": row.edited,
        "quote_permitted": row.quote_permitted,
    }


def summary_records(s: SessionInfo, request: ExportRequest, clean: Callable[[str], str]) -> list[dict[str, Any]]:
    """The session's room summaries the request's room and round filters keep, cleaned like the words."""
    records = []
    for room, number, found in s.summaries_for(request):
        rnd = s.round(number) if number is not None else None
        records.append({
            "session": s.id,
            "series": s.series,
            "date": s.local_date.isoformat(),
            "room": s.room(room).name,
            "round_id": rnd.key if rnd else "",
            "round_title": rnd.title if rnd else "",
            "covers": "round" if rnd else "session",
            "written_by": found.written_by,
            "needs_review": found.needs_review,
            "text": clean(found.text),
        })
    return records


def session_record(
    s: SessionInfo, request: ExportRequest, exported_at: str, notice: str, clean: Callable[[str], str]
) -> dict[str, Any]:
    """What an analyst needs to read the session's contributions: plan, rooms, rounds, summaries, consent."""
    return {
        "session": s.id,
        "series": s.series,
        "date": s.local_date.isoformat(),
        "starts_at": s.starts_at.astimezone(s.zone).isoformat(timespec="seconds"),
        "timezone": s.zone.key,
        "state": s.state,
        "plan": {
            "id": s.plan_id,
            "title": s.plan_title,
            "version": s.plan.get("version"),
            "themes": [
                {"id": t["id"], "name": t.get("name", ""), "description": t.get("description", "")} for t in s.themes
            ],
        },
        "rounds": [
            {"number": r.number, "id": r.key, "title": r.title, "minutes": r.minutes, "prompt": r.prompt}
            for r in (s.rounds[n] for n in sorted(s.rounds))
        ],
        "rooms": [
            {"number": m.number, "name": m.name, "topic": clean(m.topic or "")}
            for m in (s.rooms[n] for n in sorted(s.rooms))
        ],
        "summaries": [
            {key: value for key, value in record.items() if key not in ("session", "series", "date")}
            for record in summary_records(s, request, clean)
        ],
        "attendance": s.attendance,
        "consent": {
            "joined": s.consent.joined,
            "consented": s.consent.consented,
            "declined": s.consent.declined,
            "withdrew": s.consent.withdrew,
            "text_versions": [
                {
                    "text_version": v.text_version,
                    "first_used": v.first_used.isoformat(timespec="seconds"),
                    "consenting": v.consenting,
                    "current": v.current,
                }
                for v in s.consent.versions
            ],
        },
        "exported_at": exported_at,
        "notice": notice,
    }
