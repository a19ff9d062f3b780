"""Who must hear when the store changes something the capture path keeps in memory.

The capture path judges live messages from an in-memory view (`bot/services/capture_view.py`)
instead of reading the store for each one. The view is right only if every write that changes
what it holds says so, wherever the write comes from (a service, the rehearsal, a test, a feature
added later), so the repositories that make those writes notify through here, right where they
write:

- `PeopleRepo.append_consent` (inside the transaction saving a choice): `consent_changing`;
- `PeopleRepo.erase_person` / `release_identity` (an erasure): `people_forgotten`;
- `SessionRepo` writes to a café's state, rooms, lobby or rounds: `cafe_changed`.

Listeners register per `Database` (the capture service does, when it is built), so two bots or
two test databases in one process never hear each other. Every method is synchronous: nothing
else runs between the write and the listener forgetting what it held.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.core.consent import Choice

if TYPE_CHECKING:
    from bot.store.db import Database


class CaptureChanges(Protocol):
    def consent_changing(self, session_id: int, participant_id: int, choice: Choice, at: datetime) -> None:
        """A choice is being saved: called inside its transaction, under the write lock."""
        ...

    def consent_changed(self, session_id: int, participant_id: int) -> None:
        """The transaction that saved a choice has ended (committed or rolled back)."""
        ...

    def cafe_changed(self, session_id: int) -> None:
        """A café's state, rooms, lobby or rounds changed."""
        ...

    def people_forgotten(self) -> None:
        """An erasure removed people, their ledgers or pseudonyms."""
        ...


_LISTENERS: weakref.WeakKeyDictionary[Database, weakref.WeakSet[CaptureChanges]] = weakref.WeakKeyDictionary()


def listen(db: Database, listener: CaptureChanges) -> None:
    """Hear this database's changes for as long as the listener lives."""
    _LISTENERS.setdefault(db, weakref.WeakSet()).add(listener)


class _Broadcast:
    """Tells every listener of one database."""

    def __init__(self, listeners: list[CaptureChanges]) -> None:
        self._listeners = listeners

    def consent_changing(self, session_id: int, participant_id: int, choice: Choice, at: datetime) -> None:
        for listener in self._listeners:
            listener.consent_changing(session_id, participant_id, choice, at)

    def consent_changed(self, session_id: int, participant_id: int) -> None:
        for listener in self._listeners:
            listener.consent_changed(session_id, participant_id)

    def cafe_changed(self, session_id: int) -> None:
        for listener in self._listeners:
            listener.cafe_changed(session_id)

    def people_forgotten(self) -> None:
        for listener in self._listeners:
            listener.people_forgotten()


def notify(db: Database) -> CaptureChanges:
    """The listeners of `db`, as one (none: a no-op)."""
    return _Broadcast(list(_LISTENERS.get(db, ())))
