"""After the café, through discord.py's dispatch: the feedback form, the prize draw and the report
coming back, as people and organisers meet them in the simulated Discord."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from cafe_harness import Cafe

from bot.core.draw import pick
from bot.simulation import InteractionResult, SimMember, SimMessage

FEEDBACK, DRAW, REPORT = "blether:feedback:{}", "blether:draw-entry:{}", "blether:report-updates:{}"


async def closed_cafe(cafe: Cafe, *, closed_dms: tuple[SimMember, ...] = ()) -> int:
    """A café everyone in `cafe.people` sat in, closed by its facilitator."""
    session_id = await cafe.schedule()
    for person in cafe.people:
        await cafe.join(session_id, person, "record")
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    for person in closed_dms:
        person.dms_open = False
    closed = await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is closed" in closed.content, closed.content
    return session_id


def offer_dm(cafe: Cafe, person: SimMember, session_id: int) -> SimMessage:
    offered = [m for m in cafe.sim.dm_messages(person)
               if any(c.get("custom_id") == FEEDBACK.format(session_id) for c in m.iter_components())]
    assert len(offered) == 1, f"{person.name} got {len(offered)} feedback offers"
    return offered[0]


async def give_feedback(cafe: Cafe, person: SimMember, session_id: int, message: SimMessage | None = None,
                        **fields: str) -> InteractionResult:
    message = message or offer_dm(cafe, person, session_id)
    opened = await cafe.sim.click(cafe.bot, person, message, FEEDBACK.format(session_id))
    if opened.modal is None:
        return opened
    return await cafe.sim.submit_modal(cafe.bot, person, f"blether:feedback-form:{session_id}", fields)


async def audit(cafe: Cafe, session_id: int) -> list[tuple[str, str]]:
    rows = await cafe.bot.db.fetch_all("SELECT action, detail FROM audit WHERE session_id = ? ORDER BY id",
                                       (session_id,))
    return [(r["action"], r["detail"]) for r in rows]


async def count(cafe: Cafe, table: str) -> int:
    row = await cafe.bot.db.fetch_one(f"SELECT count(*) FROM {table}")
    return int(row[0]) if row else 0


async def test_everyone_who_took_part_is_offered_the_form_and_answers_once(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await closed_cafe(cafe, closed_dms=(dougie,))
    session = await cafe.bot.services.cafes.sessions.get(session_id)
    assert session is not None and session.lobby_channel_id is not None
    lobby_offer = cafe.sim.messages(session.lobby_channel_id)[-1]
    assert {c.get("custom_id") for c in lobby_offer.iter_components() if c.get("custom_id")} == {
        FEEDBACK.format(session_id), DRAW.format(session_id), REPORT.format(session_id)}
    for person in (ailsa, bruce, catriona):
        assert "feedback form" in offer_dm(cafe, person, session_id).content
    assert not cafe.sim.dm_messages(dougie)
    assert "dms_sent=3 dms_closed=1" in dict(await audit(cafe, session_id))["feedback_open"]

    opened = await cafe.sim.click(cafe.bot, ailsa, offer_dm(cafe, ailsa, session_id), FEEDBACK.format(session_id))
    assert opened.modal is not None and len(opened.modal["components"]) == 4
    saved = await cafe.sim.submit_modal(cafe.bot, ailsa, f"blether:feedback-form:{session_id}", {
        "rating": "5", "worked": "The small rooms.", "change": "", "comment": "Mail me at ailsa@example.org"})
    assert "Thank you" in saved.content and saved.ephemeral

    # A second answer is refused kindly, before the form is even shown.
    again = await give_feedback(cafe, ailsa, session_id, rating="1")
    assert again.modal is None and "already answered" in again.content
    # A rating that is not 1–5 says what to fix and stores nothing.
    wrong = await give_feedback(cafe, bruce, session_id, rating="7", worked="ok")
    assert "whole number from 1 to 5" in wrong.content
    # Dougie's DMs are closed: the lobby's button works the same.
    lobby = await give_feedback(cafe, dougie, session_id, lobby_offer, rating="3", change="Longer rounds.")
    assert "Thank you" in lobby.content
    # Someone who did not take part cannot answer.
    refused = await cafe.sim.click(cafe.bot, cafe.facilitator, lobby_offer, FEEDBACK.format(session_id))
    assert refused.modal is None and "took part" in refused.content

    answers = await cafe.bot.db.fetch_all("SELECT * FROM feedback_answers")
    assert len(answers) == 2 and await count(cafe, "feedback_answered") == 2
    stored = json.dumps([dict(r) for r in answers])
    assert str(ailsa.id) not in stored and str(dougie.id) not in stored
    assert sorted(r["rating"] for r in answers) == [3, 5]


async def test_the_feedback_csv_and_report_section_are_in_the_export(cafe: Cafe) -> None:
    ailsa, bruce, *_ = cafe.people
    session_id = await closed_cafe(cafe)
    await give_feedback(cafe, ailsa, session_id, rating="4", worked="=cmd() the welcome",
                        comment="call 07700 900123")
    await give_feedback(cafe, bruce, session_id, rating="2", change="More time")
    exported = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                    cafe=session_id)
    assert "exported" in exported.content, exported.content
    upload = [m for m in cafe.sim.messages(cafe.organisers) if m.attachments][-1]
    with zipfile.ZipFile(io.BytesIO(upload.attachments[0]["data"])) as archive:
        names = archive.namelist()
        feedback_csv = archive.read(f"blether-S{session_id}-feedback.csv").decode("utf-8-sig")
        report = archive.read(next(n for n in names if n.endswith("-report.html"))).decode("utf-8")
    assert f"blether-S{session_id}.csv" in names
    assert "rating" in feedback_csv.splitlines()[0] and "'=cmd() the welcome" in feedback_csv
    assert "More time" in feedback_csv
    assert 'id="feedback"' in report and "2 answers" in report
    assert "[phone]" in report and "07700 900123" not in report  # the report scrubs, as for contributions


async def test_the_draw_is_fair_recorded_and_erases_its_entries(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await closed_cafe(cafe)
    for person in (ailsa, bruce, catriona):
        entered = await cafe.sim.click(cafe.bot, person, offer_dm(cafe, person, session_id), DRAW.format(session_id))
        assert "You're in the draw" in entered.content
    twice = await cafe.sim.click(cafe.bot, ailsa, offer_dm(cafe, ailsa, session_id), DRAW.format(session_id))
    assert "already in the draw" in twice.content
    assert await count(cafe, "draw_entries") == 3

    refused = await cafe.sim.slash(cafe.bot, cafe.facilitator, "cafe draw", channel_id=cafe.announcements,
                                   cafe=session_id)
    assert "Only organisers" in refused.content
    drawn = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe draw", channel_id=cafe.announcements,
                                 cafe=session_id)
    assert "Drew 1 winner(s) from 3 entries" in drawn.content, drawn.content
    assert await count(cafe, "draw_entries") == 0

    lines = await audit(cafe, session_id)
    actions = [a for a, _ in lines]
    assert actions.index("draw_commitment") < actions.index("draw")
    commitment = dict(lines)["draw_commitment"].removeprefix("sha256=")
    fields = dict(part.split("=", 1) for part in dict(lines)["draw"].split())
    assert fields["entries"] == "3" and fields["commitment"] == f"sha256:{commitment}"
    assert hashlib.sha256(bytes.fromhex(fields["seed"])).hexdigest() == commitment
    (position,) = pick(fields["seed"], 3, 1)
    assert fields["positions"] == str(position + 1)
    winner = (ailsa, bruce, catriona)[position]  # entrants in participant order, as they joined
    assert any("You won the prize draw" in m.content for m in cafe.sim.dm_messages(winner))
    losers = [p for p in (ailsa, bruce, catriona, dougie) if p is not winner]
    assert not any("You won" in m.content for p in losers for m in cafe.sim.dm_messages(p))

    again = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe draw", channel_id=cafe.announcements,
                                 cafe=session_id)
    assert "was made on" in again.content
    late = await cafe.sim.click(cafe.bot, dougie, offer_dm(cafe, dougie, session_id), DRAW.format(session_id))
    assert "already been made" in late.content and await count(cafe, "draw_entries") == 0


async def test_a_winner_with_closed_dms_is_named_to_the_organiser(cafe: Cafe) -> None:
    ailsa = cafe.people[0]
    session_id = await closed_cafe(cafe)
    await cafe.sim.click(cafe.bot, ailsa, offer_dm(cafe, ailsa, session_id), DRAW.format(session_id))
    ailsa.dms_open = False
    drawn = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe draw", channel_id=cafe.announcements,
                                 cafe=session_id)
    assert "contact these winners yourself" in drawn.content and f"<@{ailsa.id}>" in drawn.content


async def test_the_report_reaches_everyone_who_asked_and_the_list_is_erased(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await closed_cafe(cafe)
    for person in (ailsa, bruce, catriona):
        asked = await cafe.sim.click(cafe.bot, person, offer_dm(cafe, person, session_id), REPORT.format(session_id))
        assert "Blether will DM you" in asked.content
    catriona.dms_open = False

    bad = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe report-published", channel_id=cafe.announcements,
                               cafe=session_id, link="not a link")
    assert "https://" in bad.content and await count(cafe, "report_subscribers") == 3
    sent = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe report-published", channel_id=cafe.announcements,
                                cafe=session_id, link="https://example.org/report", note="Thank you all.")
    assert "Sent the report to 2 person(s)" in sent.content and "1 could not be reached" in sent.content
    for person in (ailsa, bruce):
        assert any("https://example.org/report" in m.content and "Thank you all." in m.content
                   for m in cafe.sim.dm_messages(person))
    assert not any("example.org/report" in m.content for m in cafe.sim.dm_messages(dougie))
    assert await count(cafe, "report_subscribers") == 0
    assert "sent=2 dms_closed=1" in dict(await audit(cafe, session_id))["report_published"]
    late = await cafe.sim.click(cafe.bot, dougie, offer_dm(cafe, dougie, session_id), REPORT.format(session_id))
    assert "already out: https://example.org/report" in late.content


async def test_the_lists_are_in_mydata_and_erased_with_the_person(cafe: Cafe) -> None:
    ailsa = cafe.people[0]
    session_id = await closed_cafe(cafe)
    offer = offer_dm(cafe, ailsa, session_id)
    await give_feedback(cafe, ailsa, session_id, rating="4")
    await cafe.sim.click(cafe.bot, ailsa, offer, DRAW.format(session_id))
    await cafe.sim.click(cafe.bot, ailsa, offer, REPORT.format(session_id))

    mine = json.loads(await cafe.bot.services.privacy.my_data(ailsa.id))
    for table in ("feedback_answered", "draw_entries", "report_subscribers"):
        assert mine[table] == [{"session_id": session_id, "meaning": mine[table][0]["meaning"]}], table
    assert "cannot be shown" in mine["feedback_answered"][0]["meaning"]

    erased = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe erase", channel_id=cafe.announcements,
                                  member=ailsa)
    assert "feedback_answered 1" in erased.content and "draw_entries 1" in erased.content
    for table in ("feedback_answered", "draw_entries", "report_subscribers"):
        assert await count(cafe, table) == 0, table
    assert await count(cafe, "feedback_answers") == 1  # the answer, tied to no one, stays
