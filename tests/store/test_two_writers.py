"""Two writers on one PostgreSQL (two `Database` objects, each with its own pool, as two Blether
processes would have): what must happen once happens once, with no lock in Python to help."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.pseudonyms import pseudonym_candidates
from bot.core.timeline import Misfire
from bot.store.db import Database, open_database
from bot.store.people import PeopleRepo
from bot.store.steps import StepRepo

from .helpers import GUILD, count

KEY = bytes(range(32))
DUE = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
async def two(postgres_url: str) -> AsyncIterator[tuple[Database, Database]]:
    async with open_database(postgres_url) as first, open_database(postgres_url) as second:
        yield first, second


async def test_a_persons_first_contact_from_two_processes_makes_one_participant(
    two: tuple[Database, Database],
) -> None:
    async def ensure(db: Database) -> int:
        async with db.transaction() as tx:
            return await PeopleRepo(db).ensure_participant(tx, 42)

    ids = await asyncio.gather(*(ensure(db) for db in two for _ in range(5)))
    assert len(set(ids)) == 1
    assert await count(two[0], "participants") == 1


async def test_a_pseudonym_given_by_two_processes_at_once_is_one_pseudonym(two: tuple[Database, Database]) -> None:
    first, _ = two
    async with first.transaction() as tx:
        person = await PeopleRepo(first).ensure_participant(tx, 42)
    codes = await asyncio.gather(*(PeopleRepo(db).pseudonym(GUILD, "series", person, 42, KEY)
                                   for db in two for _ in range(5)))
    assert set(codes) == {pseudonym_candidates(KEY, GUILD, "series", 42)[0]}
    assert await count(first, "pseudonyms") == 1


async def test_a_step_is_claimed_by_exactly_one_process(two: tuple[Database, Database]) -> None:
    first, _ = two
    steps = [await StepRepo(first).add("chime", DUE, misfire=Misfire.SKIP_IF_LATE, payload={"n": n}) for n in range(5)]
    for step in steps:
        claims = await asyncio.gather(*(StepRepo(db).claim(step.id) for db in two for _ in range(3)))
        assert sum(claim is not None for claim in claims) == 1
