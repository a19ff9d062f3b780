"""Erasure scopes: an organiser's erasure stays on their server; the host's reaches every server.

The same two people take part in a café on server A and on server B, held in one database (people
are stored once for all servers). Both cafés use the same series name, so the person's pseudonym is
shared between them: the hardest case for keeping B untouched.
"""

from __future__ import annotations

import asyncio
import json

from bot.services.privacy import ErasureScope, PrivacyService
from bot.store.contributions import ContributionRepo
from bot.store.db import Database, Tx
from bot.store.owners import personal_data_owners
from bot.store.people import PeopleRepo
from bot.store.personal import PersonRef

from .cafe_setup import GUILD
from .test_privacy import ANN, BEN, RunningCafe, cafe_with_words, every_cell

SERVER_A, SERVER_B = GUILD, 222222222222222222


async def two_servers(db: Database) -> tuple[RunningCafe, RunningCafe]:
    return await cafe_with_words(db, guild_id=SERVER_A), await cafe_with_words(db, shift=10, guild_id=SERVER_B)


async def server_dump(db: Database, guild_id: int) -> dict[str, list[tuple[object, ...]]]:
    """Every row a server's cafés hold, plus the tables shared by all servers, in full."""
    sessions = "SELECT id FROM sessions WHERE guild_id = $1"
    dump: dict[str, list[tuple[object, ...]]] = {}
    for table, columns in sorted((await db.tables()).items()):
        if table == "sessions" or "guild_id" in columns:
            rows = await db.fetch_all(f"SELECT * FROM {table} WHERE guild_id = $1", (guild_id,))
        elif "session_id" in columns:
            rows = await db.fetch_all(f"SELECT * FROM {table} WHERE session_id IN ({sessions})", (guild_id,))
        else:
            rows = await db.fetch_all(f"SELECT * FROM {table}")
        # Sorted here, not by rowid: some tables (the feedback answers) have none, by design.
        dump[table] = sorted((tuple(r) for r in rows), key=repr)
    return dump


async def test_a_server_erasure_leaves_the_other_server_byte_for_byte(db: Database) -> None:
    a, b = await two_servers(db)
    b_before = await server_dump(db, SERVER_B)
    code = await PeopleRepo(db).existing_pseudonym(SERVER_A, "series", ANN)
    assert code is not None

    erasure = await PrivacyService(db).erase_person(ANN, ErasureScope.server(SERVER_A))

    assert await server_dump(db, SERVER_B) == b_before
    # Server A's pseudonym is A's alone (pseudonyms are per server), so it goes; B's stays in B's dump.
    assert erasure.identity_kept and "participants" not in erasure.removed and erasure.removed["pseudonyms"] == 1
    assert await PeopleRepo(db).existing_pseudonym(SERVER_A, "series", ANN) is None
    b_code = await PeopleRepo(db).existing_pseudonym(SERVER_B, "series", ANN)
    assert b_code is not None and b_code != code
    assert erasure.cafe_rows == {"contributions": 1, "assignments": 1, "support_requests": 1, "rsvps": 1,
                                 "consent_ledger": 1}
    ann = a.participants[ANN]
    for table in ("contributions", "assignments", "support_requests", "rsvps", "consent_ledger"):
        row = await db.fetch_one(f"SELECT COUNT(*) FROM {table} WHERE participant_id = $1 AND session_id = $2",
                                 (ann, a.session_id))
        assert row is not None and row[0] == 0, table
    a_now = await server_dump(db, SERVER_A)
    assert str(ANN) not in json.dumps({t: a_now[t] for t in ("audit", "support_requests")}, default=str)
    assert [r[0] for r in await db.fetch_all(
        "SELECT text FROM contributions WHERE session_id = $1", (a.session_id,))] == ["words of ben [participant]"]
    assert b_code in json.dumps(b_before["contributions"], default=str)  # still named on B, where she was not erased
    flagged = await db.fetch_all("SELECT session_id, needs_review FROM summaries ORDER BY session_id")
    assert [tuple(r) for r in flagged] == [(a.session_id, 1), (b.session_id, 0)]


async def test_erasing_the_last_server_releases_the_identity(db: Database) -> None:
    await two_servers(db)
    service = PrivacyService(db)
    await service.erase_person(ANN, ErasureScope.server(SERVER_A))
    last = await service.erase_person(ANN, ErasureScope.server(SERVER_B))
    assert not last.identity_kept
    assert last.removed["participants"] == 1 and last.removed["pseudonyms"] == 1
    assert await PeopleRepo(db).participant_id(ANN) is None


async def test_a_pseudonym_of_a_series_left_behind_goes_while_others_stay(db: Database) -> None:
    await cafe_with_words(db, guild_id=SERVER_A, series="spring")
    await cafe_with_words(db, shift=10, guild_id=SERVER_B, series="autumn")
    erasure = await PrivacyService(db).erase_person(ANN, ErasureScope.server(SERVER_A))
    assert erasure.removed["pseudonyms"] == 1 and erasure.identity_kept
    assert await PeopleRepo(db).existing_pseudonym(SERVER_A, "spring", ANN) is None
    assert await PeopleRepo(db).existing_pseudonym(SERVER_B, "autumn", ANN) is not None


async def test_the_hosts_erasure_removes_both_servers(db: Database) -> None:
    await two_servers(db)
    code = await PeopleRepo(db).existing_pseudonym(SERVER_A, "series", ANN)
    erasure = await PrivacyService(db).erase_person(ANN, ErasureScope.everywhere())
    assert erasure.removed["contributions"] == 2 and erasure.removed["participants"] == 1
    assert erasure.changed["audit.actor_id"] == 2 and erasure.changed["support_requests.handled_by"] == 2
    for table, column, value in await every_cell(db):
        assert str(ANN) not in str(value) and str(code) not in str(value), (table, column)


async def test_my_data_on_one_server_shows_only_that_servers_rows(db: Database) -> None:
    a, b = await two_servers(db)
    mine = json.loads(await PrivacyService(db).my_data(BEN, ErasureScope.server(SERVER_B)))
    assert {r["session_id"] for r in mine["contributions"] + mine["consent_ledger"]} == {b.session_id}
    everything = json.loads(await PrivacyService(db).my_data(BEN))
    assert {r["session_id"] for r in everything["contributions"]} == {a.session_id, b.session_id}


class SlowContributions(ContributionRepo):
    """Yields to the event loop mid-erasure and records when each erasure is inside it."""

    def __init__(self, db: Database, events: list[str]) -> None:
        super().__init__(db)
        self.events = events

    async def erase_person(self, conn: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        self.events.append("in")
        await asyncio.sleep(0.01)
        counts = await super().erase_person(conn, person, scope)
        self.events.append("out")
        return counts


async def test_two_erasures_of_one_person_run_one_after_the_other(db: Database) -> None:
    await two_servers(db)
    events: list[str] = []
    owners = (SlowContributions(db, events), *personal_data_owners(db)[1:])
    service = PrivacyService(db, owners)
    first, second = await asyncio.gather(service.erase_person(ANN, ErasureScope.everywhere()),
                                         service.erase_person(ANN, ErasureScope.everywhere()))
    assert events == ["in", "out", "in", "out"]
    assert first.total > 0 and first.removed["participants"] == 1
    assert (second.counts, second.total) == ({}, 0)
