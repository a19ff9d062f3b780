"""Deterministic GUIDs for REFI-QDA elements, so a re-export of the same data is byte-for-byte diffable."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://blether.invalid/refi-qda")


def guid(kind: str, *key: object) -> str:
    """A UUID5 from the element kind and its stable key (ids, never times or positions)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join([kind, *map(str, key)])))


def source_guid(session_id: int, round_number: int | None = None, room_number: int | None = None) -> str:
    """A source per session, or per round and room of a session."""
    if round_number is None or room_number is None:
        return guid("source", session_id)
    return guid("source", session_id, round_number, room_number)


def selection_guid(contribution_ref: str) -> str:
    return guid("selection", contribution_ref)
