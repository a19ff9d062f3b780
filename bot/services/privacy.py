"""People's rights over their data: see it all, erase it, and let it expire.

Erasure and `/mydata` run the personal-data owners of `bot.store.owners` (each repository that
holds something about a person says how to erase and show it). An erasure runs every owner in
one transaction under a per-person lock, so it lands whole or not at all and two requests for the
same person cannot interleave; it reports what each table lost.

Two scopes: an organiser erases what their own server holds (`/cafe erase`); the data controller
erases everything on every server (`blether erase`). The participant row and a series' pseudonym
outlive a server-scoped erasure while the person still has rows elsewhere, because removing them
would cascade into the other server's data.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import to_iso
from bot.store.audit import AuditRepo
from bot.store.contributions import ContributionRepo
from bot.store.db import Database
from bot.store.owners import personal_data_owners
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonalData, PersonRef

__all__ = ["Erasure", "ErasureFailed", "ErasureScope", "PrivacyService"]

IDENTITY_TABLES = ("participants", "pseudonyms")


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: rows deleted per table, values unnamed or flagged per "table.column"."""

    scope: ErasureScope
    counts: dict[str, int] = field(default_factory=dict)
    identity_kept: bool = False  # rows remain on other servers, so the person's identity stays

    @property
    def removed(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if "." not in k}

    @property
    def changed(self) -> dict[str, int]:
        return {k: v for k, v in self.counts.items() if "." in k}

    @property
    def cafe_rows(self) -> dict[str, int]:
        """Rows removed from the cafés in scope, leaving out the identity rows: whether those went
        tells whether the person is known on another server, which an organiser must not learn."""
        return {k: v for k, v in self.removed.items() if k not in IDENTITY_TABLES}

    @property
    def total(self) -> int:
        """Rows deleted (values unnamed in rows that stay are reported, not counted)."""
        return sum(self.removed.values())

    def describe(self) -> str:
        removed = ", ".join(f"{table} {n}" for table, n in self.removed.items()) or "nothing"
        text = f"Removed {self.total} row(s) ({self.scope.label}): {removed}."
        if self.changed:
            text += " Changed: " + ", ".join(f"{key} {n}" for key, n in self.changed.items()) + "."
        if self.identity_kept:
            text += " Their participant record stays: they still have rows on another server."
        return text


class ErasureFailed(Exception):
    """An owner failed; the whole erasure was rolled back and nothing was removed."""

    def __init__(self, owner: str, reason: str) -> None:
        super().__init__(f"Erasure rolled back, nothing was removed: {owner} failed ({reason}).")
        self.owner = owner


class PrivacyService:
    def __init__(self, db: Database, owners: Sequence[PersonalData] | None = None) -> None:
        self.db = db
        self.people = PeopleRepo(db)
        self.contributions = ContributionRepo(db)
        self.owners: tuple[PersonalData, ...] = tuple(owners) if owners is not None else personal_data_owners(db)
        # One lock per person while anyone holds or waits for it; weak, so the map does not grow.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, discord_user_id: int) -> asyncio.Lock:
        lock = self._locks.get(discord_user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[discord_user_id] = lock
        return lock

    async def erase_person(self, discord_user_id: int, scope: ErasureScope, *,
                           requested_by: int | None = None) -> Erasure:
        """Run every owner's erasure for the person in `scope`, all in one transaction.

        `requested_by` is the organiser who asked, audited on their server (the host's CLI has none).
        """
        lock = self._lock(discord_user_id)
        async with lock, self.db.transaction(erasing=True) as tx:
            person = await self.people.person_ref(tx, discord_user_id)
            counts: dict[str, int] = {}
            held: set[int] = set()
            for owner in self.owners:
                name = type(owner).__name__
                try:
                    for key, n in (await owner.erase_person(tx, person, scope)).items():
                        counts[key] = counts.get(key, 0) + n
                    held |= await owner.sessions_holding(tx, person)
                except Exception as exc:
                    raise ErasureFailed(name, str(exc) or type(exc).__name__) from exc
            if scope.guild_id is None and held:
                raise ErasureFailed("the erasure", f"rows remain in cafés {sorted(held)} after erasing everywhere")
            try:
                counts.update(await self.people.release_identity(tx, person, held))
            except Exception as exc:
                raise ErasureFailed("PeopleRepo", str(exc) or type(exc).__name__) from exc
        erasure = Erasure(scope, {k: v for k, v in counts.items() if v},
                          identity_kept=person.participant_id is not None and bool(held))
        if requested_by is not None and scope.guild_id is not None:
            await AuditRepo(self.db).record(scope.guild_id, None, requested_by, "erase",
                                            f"rows={sum(erasure.cafe_rows.values())}")
        return erasure

    async def my_data(self, discord_user_id: int, scope: ErasureScope | None = None) -> bytes:
        """Everything Blether holds about this person (every server unless `scope` says one), as
        readable JSON built from the same owners as erasure."""
        scope = scope or ErasureScope.everywhere()
        person = PersonRef(discord_user_id, await self.people.participant_id(discord_user_id))
        report: dict[str, object] = {
            "about": "Everything Blether holds about you. Your words appear under your pseudonym; "
                     "your Discord id is kept only to recognise you and is never exported.",
            "discord_user_id": str(discord_user_id),
        }
        found = False
        for owner in self.owners:
            for key, rows in (await owner.person_rows(person, scope)).items():
                report[key] = rows
                found = found or bool(rows)
        if not found:
            report["note"] = "Blether holds nothing about you."
        return json.dumps(report, indent=2, ensure_ascii=False, default=_plain).encode()

    async def purge_before(self, before: datetime) -> int:
        """Delete the words of every café that started before `before` (an organiser's purge)."""
        return await self.contributions.delete_words_before(before)

    async def retention_sweep(self, now: datetime, default_days: int) -> int:
        """Delete contributions older than each server's retention period after their café."""
        expired = [session_id for session_id, starts, days in await self.contributions.sessions_with_words(default_days)
                   if starts + timedelta(days=days) < now]
        return await self.contributions.delete_words_of(expired) if expired else 0


def _plain(value: object) -> str:
    """A stored value JSON has no type for: times in the store's one text form (either backend)."""
    return to_iso(value) if isinstance(value, datetime) else str(value)
