"""The personal-data contract covers the whole schema: a table or column that can hold a person's
id and has no owner fails here, and a repository that declares personal data without saying how
to erase it cannot even be defined."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

import pytest

from bot.store.contributions import ContributionRepo
from bot.store.db import Database, Tx
from bot.store.owners import OWNER_CLASSES, personal_data_owners
from bot.store.people import PeopleRepo
from bot.store.personal import IMPERSONAL_TABLES, ErasureScope, PersonalData, PersonRef, Rows

# Column names that can hold a participant id or a Discord user id (a person's or a host's).
PERSON_COLUMN = re.compile(r"^(participant_id|.*user_id|actor_id|handled_by|.*_by|author_id|member_id)$")


async def schema(db: Database) -> dict[str, list[str]]:
    return await db.tables()


def claimed() -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for owner in OWNER_CLASSES:
        for table, names in owner.personal_columns.items():
            columns.setdefault(table, set()).update(names)
    return columns


async def test_every_column_that_can_hold_a_persons_id_has_an_owner(db: Database) -> None:
    owned = claimed()
    pointing = await db.foreign_keys_to("participants")
    for table, columns in (await schema(db)).items():
        references = {column for child, column in pointing if child == table}
        personal = {c for c in columns if PERSON_COLUMN.match(c)} | references
        missing = personal - owned.get(table, set())
        assert not missing, f"{table}.{sorted(missing)} can hold a person's id but no owner erases it"


async def test_every_table_is_owned_or_declared_impersonal_and_never_both(db: Database) -> None:
    tables = set(await schema(db))
    owned = set(claimed())
    assert tables == owned | set(IMPERSONAL_TABLES), "classify new tables in bot/store/personal.py or an owner"
    assert not owned & set(IMPERSONAL_TABLES)
    assert owned <= tables, "an owner claims a table the schema no longer has"


async def test_owned_columns_exist(db: Database) -> None:
    tables = await schema(db)
    for table, columns in claimed().items():
        assert columns <= set(tables[table]), table


def test_the_registry_runs_contributions_first_and_people_last(db: Database) -> None:
    """Unnaming others' words needs the pseudonyms the people repository removes."""
    owners = personal_data_owners(db)
    assert isinstance(owners[0], ContributionRepo) and isinstance(owners[-1], PeopleRepo)
    assert len({type(o) for o in owners}) == len(owners)


def test_a_repository_declaring_personal_data_without_erasure_fails_when_defined() -> None:
    with pytest.raises(TypeError, match=r"NotesRepo holds personal data in \['notes'\].*erase_person"):
        class NotesRepo(PersonalData):
            personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {"notes": ("participant_id",)}

            async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
                return {}

            async def sessions_holding(self, conn: Tx, person: PersonRef) -> set[int]:
                return set()


def test_a_repository_joining_the_contract_must_name_its_columns() -> None:
    with pytest.raises(TypeError, match="without naming its personal_columns"):
        class Nameless(PersonalData):
            async def erase_person(self, conn: Tx, person: PersonRef,
                                   scope: ErasureScope) -> dict[str, int]:
                return {}

            async def person_rows(self, person: PersonRef, scope: ErasureScope) -> Rows:
                return {}

            async def sessions_holding(self, conn: Tx, person: PersonRef) -> set[int]:
                return set()


async def test_a_new_table_with_a_persons_id_and_no_owner_is_caught(db: Database) -> None:
    """The schema walk itself: a migration adding such a table would fail the first test."""
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, participant_id INTEGER)")
    with pytest.raises(AssertionError, match="notes"):
        await test_every_column_that_can_hold_a_persons_id_has_an_owner(db)
