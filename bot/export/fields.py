"""The flat record of a contribution shared by the CSV and JSONL exports, and the session record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    "time",
    "text",
    "reply_to",
    "contribution",
    "key_point",
    "edited",
    "quote_permitted",
    "theme",
)


def contribution_record(row: ExportRow) -> dict[str, Any]:
    """The contribution's fields in the export's column order; times carry the display-zone offset."""
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
        "time": row.time.isoformat(timespec="seconds"),
        "text": row.text,
        "reply_to": row.reply_to,
        "contribution": row.contribution,
        "key_point": row.key_point,
        "edited": row.edited,
        "quote_permitted": row.quote_permitted,
        "theme": row.theme,
    }


def session_record(s: SessionInfo, exported_at: str, notice: str, clean: Callable[[str], str]) -> dict[str, Any]:
    """What an analyst needs to read the session's contributions: plan, rooms, rounds, consent."""
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
