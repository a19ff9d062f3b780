"""The stores the waitlist, summaries and World Café tables brought, on both backends: the cog tests
that drive them run on SQLite only, so here each statement also meets PostgreSQL's types (BIGINT
ids, timestamptz times compared as whole values, ON CONFLICT … DO UPDATE … WHERE)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.consent import Choice, Source
from bot.store.attendance import AttendanceRepo
from bot.store.db import Database
from bot.store.people import PeopleRepo
from bot.store.personal import ErasureScope, PersonRef
from bot.store.picture import consent_ledgers, room_sizes
from bot.store.sessions import SessionRepo
from bot.store.steps import StepRepo
from bot.store.summaries import SummaryRepo
from bot.store.waitlist import HOLD_STEP, OFFER_STEP, Counts, WaitlistRepo, hold_of

from .helpers import GUILD, STARTS, count, make_session

ANN, BEN, CAT = 500000000000000001, 500000000000000002, 500000000000000003


async def _pending_waitlist_steps(db: Database, session_id: int) -> list[tuple[str, int]]:
    return sorted((s.kind, hold_of(s.payload)) for s in await StepRepo(db).pending_for(session_id)
                  if s.kind in (OFFER_STEP, HOLD_STEP))


async def test_the_waitlist_queues_offers_holds_and_passes_places_on(db: Database) -> None:
    session_id = await make_session(db)
    waitlist = WaitlistRepo(db)
    ann = await waitlist.wait(session_id, ANN)
    ben = await waitlist.wait(session_id, BEN)
    assert await waitlist.wait(session_id, ANN) == ann  # asking again keeps the place
    assert await waitlist.position(session_id, ann) == 1
    assert await waitlist.position(session_id, ben) == 2
    assert await waitlist.counts(session_id) == Counts(going=0, not_going=0, held=0, waiting=2)

    hold_until = db.now() + timedelta(hours=2)
    first = await waitlist.first_waiting(session_id, 1)
    told = await waitlist.make_offers(session_id, first, hold_until)
    assert len(told) == 1
    assert await waitlist.make_offers(session_id, first, hold_until) == []  # never offered twice
    offered = await waitlist.offered_to(session_id, ann)
    assert offered is not None and offered.discord_user_id == ANN and offered.hold_until == hold_until
    assert not offered.sent
    await waitlist.mark_sent(offered.row_id)
    assert (await waitlist.offer(offered.row_id)).sent  # type: ignore[union-attr]
    assert [q.offered_until for q in await waitlist.queue(session_id)] == [hold_until, None]
    assert await waitlist.position(session_id, ben) == 1
    assert await _pending_waitlist_steps(db, session_id) == [(HOLD_STEP, offered.row_id), (OFFER_STEP, offered.row_id)]

    assert not await waitlist.take(offered.row_id, ben, db.now())  # someone else's place
    assert not await waitlist.take(offered.row_id, ann, hold_until)  # the hold has ended
    assert await waitlist.take(offered.row_id, ann, db.now())
    assert await waitlist.counts(session_id) == Counts(going=1, not_going=0, held=0, waiting=1)
    assert await _pending_waitlist_steps(db, session_id) == []

    # Ben's hold lapses at exactly the time it was given (a whole-value comparison of the stored time).
    [ben_row] = await waitlist.first_waiting(session_id, 5)
    await waitlist.make_offers(session_id, [ben_row], hold_until)
    assert not await waitlist.lapse(ben_row, hold_until + timedelta(microseconds=1))
    assert await waitlist.lapse(ben_row, hold_until)
    assert await waitlist.counts(session_id) == Counts(going=1, not_going=0, held=0, waiting=0)


async def test_an_answer_ends_the_wait_and_says_what_it_was(db: Database) -> None:
    session_id = await make_session(db)
    waitlist = WaitlistRepo(db)
    await waitlist.wait(session_id, ANN)
    [row] = await waitlist.first_waiting(session_id, 1)
    await waitlist.make_offers(session_id, [row], db.now() + timedelta(hours=1))
    _, before = await waitlist.answer(session_id, ANN, going=False)
    assert (before.was_going, before.was_waiting, before.was_offered) == (False, False, True)
    assert await _pending_waitlist_steps(db, session_id) == []
    await waitlist.wait(session_id, ANN)  # a "can't come" is replaced by the wait
    assert await waitlist.counts(session_id) == Counts(going=0, not_going=0, held=0, waiting=1)
    await waitlist.wait(session_id, BEN)
    person = await PeopleRepo(db).participant_id(BEN)
    assert person is not None
    ref = PersonRef(BEN, person)
    async with db.transaction() as tx:
        assert await waitlist.sessions_holding(tx, ref) == {session_id}
        assert await waitlist.erase_person(tx, ref, ErasureScope(GUILD)) == {"waitlist": 1}
    assert await waitlist.clear(session_id) == 1


async def test_hosts_choices_and_the_table_plan_are_kept_and_erased(db: Database) -> None:
    session_id = await make_session(db)
    attendance = AttendanceRepo(db)
    async with db.transaction() as tx:
        ann = await PeopleRepo(db).ensure_participant(tx, ANN)
        ben = await PeopleRepo(db).ensure_participant(tx, BEN)
    await attendance.offer_to_host(session_id, ben)
    await attendance.offer_to_host(session_id, ben)
    assert await attendance.host_offers(session_id) == [ben]
    await attendance.choose_table(session_id, ann, 2)
    await attendance.choose_table(session_id, ben, 1)
    await attendance.choose_table(session_id, ann, 2)  # the same table again keeps Ann's place
    assert await attendance.table_choices(session_id) == [(ann, 2), (ben, 1)]
    await attendance.replace_wishes(session_id, [(ANN, 1, True)], [("apart", ANN, CAT)])
    assert await attendance.wishes(session_id) == [("seat", ANN, 1, True, None), ("apart", ANN, None, False, CAT)]

    await SessionRepo(db).plan_rooms(session_id, ["Oak", "Birch"], [(ann, 1), (ben, 2)], hosts=[(ben, 2)],
                                     topics=["Hope"])
    rooms = {room.number: room for room in await SessionRepo(db).rooms(session_id)}
    topics = await db.fetch_all("SELECT number, topic FROM rooms WHERE session_id = $1 ORDER BY number",
                                (session_id,))
    assert [tuple(r) for r in topics] == [(1, "Hope"), (2, None)]
    assert await attendance.hosts(session_id) == {rooms[2].id: ben}
    assert await room_sizes(db, session_id, 1) == {rooms[1].id: 1, rooms[2].id: 1}

    ref = PersonRef(ANN, ann)
    async with db.transaction() as tx:
        assert await attendance.sessions_holding(tx, ref) == {session_id}
    rows = await attendance.person_rows(ref, ErasureScope(GUILD))
    assert rows["table_wishes"][1]["other_discord_id"] == "someone else"
    async with db.transaction() as tx:
        erased = await attendance.erase_person(tx, ref, ErasureScope(GUILD))
    assert (erased["table_choices"], erased["table_wishes"], erased["assignments"]) == (1, 2, 1)
    assert await attendance.wishes(session_id) == []
    assert await count(db, "room_hosts") == 1


async def test_summaries_keep_their_writer_and_are_posted_once(db: Database) -> None:
    session_id = await make_session(db)
    await SessionRepo(db).plan_rooms(session_id, ["Oak"], [])
    [room] = await SessionRepo(db).rooms(session_id)
    summaries = SummaryRepo(db)
    assert not await summaries.save(session_id, room.id, 1, "Warm and honest.", "facilitator")
    assert await summaries.save(session_id, room.id, 1, "Warm, honest, tired.", "host")
    [stored] = await summaries.of_session(session_id)
    assert (stored.text, stored.writer_role, stored.unposted) == ("Warm, honest, tired.", "host", True)
    await summaries.mark_posted([stored])
    assert not (await summaries.get(session_id, room.id, 1)).unposted  # type: ignore[union-attr]
    await summaries.set_offer(session_id, room.id, 1, 900000000000000001)
    await summaries.set_offer(session_id, room.id, 1, 900000000000000002)
    assert await summaries.offer(session_id, 900000000000000002) == (room.id, 1)
    assert await summaries.offer(session_id, 900000000000000001) is None


async def test_the_picture_counts_consent_without_naming_anyone(db: Database) -> None:
    session_id = await make_session(db)
    async with db.transaction() as tx:
        for discord_id in (ANN, BEN):
            person = await PeopleRepo(db).ensure_participant(tx, discord_id)
            await PeopleRepo(db).append_consent(tx, session_id, person, Choice.RECORD, "v1", Source.BUTTON,
                                                STARTS - timedelta(minutes=5))
    ledgers = await consent_ledgers(db, session_id)
    assert [[(e.choice, e.recorded_at) for e in ledger] for ledger in ledgers] == \
        [[(Choice.RECORD, STARTS - timedelta(minutes=5))]] * 2
