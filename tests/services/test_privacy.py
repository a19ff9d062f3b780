"""People's rights: see everything held about them, erase it everywhere, and let it expire."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.consent import Choice, Source
from bot.core.models import GuildConfig
from bot.services.capture import CaptureService
from bot.services.chat import ChatMessage
from bot.services.consent import ConsentService
from bot.services.privacy import ErasureFailed, ErasureScope, PrivacyService
from bot.store.attendance import AttendanceRepo
from bot.store.audit import AuditRepo
from bot.store.contributions import ContributionRepo
from bot.store.db import Database, Tx
from bot.store.guilds import GuildRepo
from bot.store.people import PeopleRepo
from bot.store.personal import PersonRef

from .cafe_setup import GUILD, STARTS, RunningCafe, running_cafe

ANN, BEN = 100000000000000001, 100000000000000002
KEY = bytes(range(32))
AT = STARTS + timedelta(minutes=5)


async def cafe_with_words(db: Database, shift: int = 0, starts: datetime = STARTS, guild_id: int = GUILD,
                          series: str = "series") -> RunningCafe:
    """A café where Ann and Ben both consented, spoke, asked for support; Ann also hosted."""
    cafe = await running_cafe(db, [ANN, BEN], channel_shift=shift, guild_id=guild_id, series=series)
    if starts != STARTS:
        async with db.transaction() as conn:
            await conn.execute("UPDATE sessions SET starts_at = $1 WHERE id = $2", (starts, cafe.session_id))
    for n, person in enumerate((ANN, BEN)):
        await ConsentService(db).choose(cafe.session_id, person, Choice.RECORD, source=Source.BUTTON, at=AT)
        msg = ChatMessage(id=shift * 10 + n + 1, channel_id=cafe.channels[0], author_id=person, author_is_bot=False,
                          content=f"words of {'ann' if person == ANN else 'ben'} <@{BEN if person == ANN else ANN}>",
                          created_at=AT + timedelta(minutes=1))
        assert await CaptureService(db, KEY).on_message(msg)
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO support_requests (session_id, room_id, participant_id, created_at, handled_by) "
                "VALUES ($1, $2, $3, $4, $5)", (cafe.session_id, cafe.room_ids[0], cafe.participants[person], AT, ANN),
            )
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO summaries (session_id, room_id, round_number, text, updated_at) VALUES ($1, $2, 1, $3, $4)",
            (cafe.session_id, cafe.room_ids[0], "People valued peer support.", AT),
        )
    await AuditRepo(db).record(guild_id, cafe.session_id, ANN, "next_round", "round=2")
    return cafe


async def every_cell(db: Database) -> list[tuple[str, str, object]]:
    cells = []
    for table in await db.tables():
        for row in await db.fetch_all(f"SELECT * FROM {table}"):
            cells.extend((table, column, row[column]) for column in row.keys())
    return cells


async def test_erasing_a_person_leaves_no_row_about_them_anywhere(db: Database) -> None:
    cafe = await cafe_with_words(db)
    ann, ben = cafe.participants[ANN], cafe.participants[BEN]
    ann_code = await PeopleRepo(db).existing_pseudonym(GUILD, "series", ANN)
    assert ann_code is not None
    ben_before = json.loads(await PrivacyService(db).my_data(BEN))

    erasure = await PrivacyService(db).erase_person(ANN, ErasureScope.everywhere())

    assert erasure.removed["participants"] == 1 and erasure.removed["contributions"] == 1
    assert erasure.changed == {"contributions.text": 1, "summaries.needs_review": 1, "audit.actor_id": 1,
                               "support_requests.handled_by": 1}
    assert not erasure.identity_kept
    for table, column, value in await every_cell(db):
        assert str(ANN) not in str(value), (table, column)
        assert ann_code not in str(value), (table, column)
        if column == "participant_id" or (table == "participants" and column == "id"):
            assert value != ann, (table, column)
    ben_after = json.loads(await PrivacyService(db).my_data(BEN))
    for table in ("consent_ledger", "pseudonyms", "rsvps", "assignments", "participants"):
        assert ben_after[table] == ben_before[table], table
    # Ben's words stay; his mention of Ann no longer carries her pseudonym.
    assert [r["text"] for r in ben_after["contributions"]] == ["words of ben [participant]"]
    assert [r["participant_id"] for r in ben_after["support_requests"]] == [ben]
    assert ben_after["support_requests"][0]["handled_by"] is None  # Ann had answered it
    summary = await db.fetch_one("SELECT needs_review FROM summaries")
    assert summary is not None and summary[0] == 1


async def test_my_data_holds_the_persons_rows_and_nobody_elses(db: Database) -> None:
    cafe = await cafe_with_words(db)
    report = json.loads(await PrivacyService(db).my_data(BEN))
    assert [r["text"] for r in report["contributions"]] == [
        f"words of ben {await PeopleRepo(db).existing_pseudonym(GUILD, 'series', ANN)}"
    ]
    assert {r["choice"] for r in report["consent_ledger"]} == {"record"}
    assert [(r["id"], int(r["discord_user_id"])) for r in report["participants"]] == [(cafe.participants[BEN], BEN)]
    for table in ("contributions", "support_requests", "assignments", "consent_ledger", "pseudonyms", "rsvps"):
        assert all(row.get("participant_id", cafe.participants[BEN]) == cafe.participants[BEN]
                   for row in report[table]), table
    assert "audit_as_host" not in report
    text = json.dumps(report)
    assert str(ANN) not in text and "words of ann" not in text
    assert [r["handled_by"] for r in report["support_requests"]] == ["a host"]
    host = json.loads(await PrivacyService(db).my_data(ANN))
    assert [r["action"] for r in host["audit_as_host"]] == ["next_round"]
    assert len(host["support_requests_as_host"]) == 2
    # Who called for support is someone else's business: a host sees that a participant did.
    assert {r["participant_id"] for r in host["support_requests_as_host"]} == {"a participant"}


async def test_my_data_for_a_stranger_says_nothing_is_held(db: Database) -> None:
    report = json.loads(await PrivacyService(db).my_data(ANN))
    assert report["note"] == "Blether holds nothing about you."


class BrokenOwner(ContributionRepo):
    """An owner whose erasure fails after the others have already deleted inside the transaction."""

    async def erase_person(self, conn: Tx, person: PersonRef, scope: ErasureScope) -> dict[str, int]:
        await super().erase_person(conn, person, scope)
        raise OSError("disk I/O error")


async def test_an_owner_that_fails_rolls_the_whole_erasure_back_and_is_named(db: Database) -> None:
    await cafe_with_words(db)
    before = await every_cell(db)
    owners = (AttendanceRepo(db), AuditRepo(db), BrokenOwner(db), PeopleRepo(db))
    with pytest.raises(ErasureFailed, match=r"BrokenOwner failed \(disk I/O error\)") as failed:
        await PrivacyService(db, owners).erase_person(ANN, ErasureScope.everywhere())
    assert failed.value.owner == "BrokenOwner"
    assert await every_cell(db) == before


async def test_erasing_everywhere_refuses_when_an_owner_leaves_rows_behind(db: Database) -> None:
    """Without the contributions owner the person's words would survive: the erasure says so and
    keeps everything rather than removing the participant row from under them."""
    await cafe_with_words(db)
    before = await every_cell(db)
    owners = (AttendanceRepo(db), AuditRepo(db), PeopleRepo(db))
    with pytest.raises(ErasureFailed, match="rows remain"):
        await PrivacyService(db, owners).erase_person(ANN, ErasureScope.everywhere())
    assert await every_cell(db) == before


async def test_erasing_someone_blether_never_met_removes_nothing(db: Database) -> None:
    await cafe_with_words(db)
    erasure = await PrivacyService(db).erase_person(999, ErasureScope.everywhere())
    assert (erasure.counts, erasure.total) == ({}, 0)
    assert "Removed 0 row(s) (every server): nothing." == erasure.describe()


async def test_purge_before_deletes_only_older_cafes(db: Database) -> None:
    old = await cafe_with_words(db, starts=STARTS - timedelta(days=30))
    new = await cafe_with_words(db, shift=10)
    deleted = await PrivacyService(db).purge_before(STARTS - timedelta(days=1))
    assert deleted == 2
    remaining = await db.fetch_all("SELECT DISTINCT session_id FROM contributions")
    assert [r[0] for r in remaining] == [new.session_id]
    summaries = await db.fetch_all("SELECT DISTINCT session_id FROM summaries")
    assert [r[0] for r in summaries] == [new.session_id]
    assert old.session_id != new.session_id


async def test_retention_sweep_follows_each_servers_period(db: Database) -> None:
    await GuildRepo(db).save(GuildConfig(GUILD, 901, 902, None, None, "Europe/London", 10))
    cafe = await cafe_with_words(db)
    now = STARTS + timedelta(days=10)
    assert await PrivacyService(db).retention_sweep(now, default_days=1) == 0
    assert await PrivacyService(db).retention_sweep(now + timedelta(seconds=1), default_days=365) == 2
    assert await db.fetch_all("SELECT * FROM contributions WHERE session_id = $1", (cafe.session_id,)) == []
    assert await db.fetch_all("SELECT * FROM summaries") == []


async def test_retention_sweep_uses_the_default_for_unconfigured_servers(db: Database) -> None:
    await cafe_with_words(db)
    sweep = PrivacyService(db).retention_sweep
    assert await sweep(datetime(2030, 1, 6, 18, 29, tzinfo=UTC), default_days=1) == 0
    assert await sweep(datetime(2030, 1, 6, 18, 31, tzinfo=UTC), default_days=1) == 2


async def test_a_host_who_never_took_part_still_sees_what_they_did(db: Database) -> None:
    await cafe_with_words(db)
    host = 100000000000000009
    await AuditRepo(db).record(GUILD, None, host, "purge", "")
    report = json.loads(await PrivacyService(db).my_data(host))
    assert "note" not in report and [r["action"] for r in report["audit_as_host"]] == ["purge"]
    assert "participants" not in report
