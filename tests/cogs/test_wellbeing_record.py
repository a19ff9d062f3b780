"""Issue 13: Remove from the record (facilitators; gone from the store and every export, audited
without the words) and the ground rules agreement (kept, shown in /mydata)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from cafe_harness import Cafe

from bot.simulation import SimPermissionError
from bot.store.steps import StepRepo

REMOVED = "kelpie-ferry-Tuesday-words"
KEPT = "the allotment group kept me going"


def _all_bytes(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """Every file in an export, opening zips (the bundle, and a QDPX inside it) all the way down."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [(name, data)]
    found: list[tuple[str, bytes]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        for member in bundle.namelist():
            found.extend(_all_bytes(member, bundle.read(member)))
    return found


async def _spoken(cafe: Cafe) -> tuple[int, int, int]:
    session_id = await cafe.schedule()
    first, second = cafe.people[:2]
    await cafe.join(session_id, first, "record")
    await cafe.join(session_id, second, "record")
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    [room] = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id)]
    assert room is not None
    removed = await cafe.sim.say(cafe.bot, first, room, f"I said {REMOVED} by mistake")
    await cafe.sim.say(cafe.bot, second, room, KEPT)
    return session_id, room, removed.id


async def test_removed_contribution_is_gone_from_the_store_and_every_export_format(cafe: Cafe,
                                                                                  tmp_path: Path) -> None:
    session_id, room, message_id = await _spoken(cafe)
    with pytest.raises(SimPermissionError):  # the menu is not even offered to a participant
        await cafe.sim.message_command(cafe.bot, cafe.people[1], message_id, "Remove from the record")
    row = await cafe.bot.db.fetch_one("SELECT id FROM contributions WHERE message_id = ?", (str(message_id),))
    assert row is not None
    contribution_id = int(row[0])

    done = await cafe.sim.message_command(cafe.bot, cafe.facilitator, message_id, "Remove from the record")
    assert done.ephemeral and f"Contribution {contribution_id} is out of the record" in done.content
    # The message itself is left alone.
    assert REMOVED in cafe.sim.message(message_id).text and not cafe.sim.message(message_id).deleted
    # Audited: who and which contribution, never the words.
    audit = await cafe.bot.db.fetch_all("SELECT * FROM audit WHERE action = 'remove_from_record'")
    assert len(audit) == 1 and audit[0]["detail"] == f"contribution={contribution_id}"
    assert str(cafe.facilitator.id) in json.dumps([str(v) for v in dict(audit[0]).values()])
    assert REMOVED not in json.dumps([str(v) for v in dict(audit[0]).values()])

    # Gone from the database file (and its log), not just from queries.
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=room, cafe=session_id)
    database = Path(cafe.settings.database_path)
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            assert REMOVED.encode() not in path.read_bytes(), path

    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                  cafe=session_id, formats="all")
    assert "Done" in result.content or "Posted" in result.content, result.content
    files = [item for m in cafe.sim.messages(cafe.organisers) for a in m.attachments
             for item in _all_bytes(a["filename"], a["data"])]
    names = " ".join(name for name, _ in files)
    for kind in (".csv", ".jsonl", ".md", ".html", ".qde", ".qdc"):
        assert kind in names, names
    assert any(KEPT.encode() in data for _, data in files)
    assert all(REMOVED.encode() not in data for _, data in files)


async def test_remove_from_the_record_of_a_message_never_kept_says_so(cafe: Cafe) -> None:
    session_id, room, _ = await _spoken(cafe)
    unrecorded = await cafe.sim.say(cafe.bot, cafe.facilitator, cafe.hosts, "a note between hosts")
    said = await cafe.sim.message_command(cafe.bot, cafe.facilitator, unrecorded, "Remove from the record")
    assert "nothing to remove" in said.content
    audit = await cafe.bot.db.fetch_one("SELECT COUNT(*) FROM audit WHERE action = 'remove_from_record'")
    assert audit is not None and audit[0] == 0
    assert session_id and room


async def test_ground_rules_agreement_is_kept_and_shown_in_mydata(cafe: Cafe) -> None:
    session_id, _room, _ = await _spoken(cafe)
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.lobby_channel_id is not None
    welcome = cafe.sim.messages(session.lobby_channel_id)[0]
    labels = [c.get("label") for c in welcome.iter_components() if c.get("type") == 2]
    assert "I agree to the ground rules" in labels
    ailsa = cafe.people[0]
    agreed = await cafe.sim.click(cafe.bot, ailsa, welcome, f"blether:rules:{session_id}")
    assert "agreed to the ground rules" in agreed.content
    again = await cafe.sim.click(cafe.bot, ailsa, welcome, f"blether:rules:{session_id}")
    assert "already agreed" in again.content
    rows = await cafe.bot.db.fetch_all("SELECT * FROM ground_rules_acks")
    assert len(rows) == 1 and rows[0]["session_id"] == session_id and len(rows[0]["rules_version"]) == 12

    mine = await cafe.sim.slash(cafe.bot, ailsa, "mydata", channel_id=cafe.announcements)
    assert "DM" in mine.content
    data = json.loads(cafe.sim.dm_messages(ailsa)[-1].attachments[0]["data"])
    assert [r["rules_version"] for r in data["ground_rules_acks"]] == [rows[0]["rules_version"]]
    assert data["consent_ledger"]  # shown beside the consent ledger


async def test_every_button_the_bot_sends_has_words_on_it(cafe: Cafe) -> None:
    """No meaning carried by an emoji or a colour alone: every button and menu option has words."""
    session_id, room, _ = await _spoken(cafe)
    await cafe.sim.click(cafe.bot, cafe.people[0], next(m for m in cafe.sim.messages(room) if any(
        c.get("custom_id") == f"blether:support:{session_id}" for c in m.iter_components())),
        f"blether:support:{session_id}")
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=room, cafe=session_id)
    channels = [int(c["id"]) for c in cafe.sim.guild_channels() if c["type"] != 4]
    messages = [m for channel in channels for m in cafe.sim.messages(channel)]
    messages += [m for person in cafe.people for m in cafe.sim.dm_messages(person)]
    components = [c for m in messages for c in m.iter_components() if c.get("type") in (2, 3)]
    assert len({c.get("custom_id") for c in components}) >= 5
    for component in components:
        texts = [component.get("label") or ""] if component["type"] == 2 \
            else [component.get("placeholder") or ""] + [o.get("label", "") for o in component.get("options", [])]
        for text in texts:
            assert sum(ch.isalpha() for ch in text) >= 3, component


async def test_step_out_quietly_closes_the_room_to_them_alone_and_come_back_reopens_it(cafe: Cafe) -> None:
    session_id, room, _ = await _spoken(cafe)
    ailsa, bruce = cafe.people[:2]
    before = {channel: len(cafe.sim.messages(channel)) for channel in (room, cafe.hosts)}
    button = next(m for m in cafe.sim.messages(room) if any(
        c.get("custom_id") == f"blether:stepout:{session_id}" for c in m.iter_components()))
    out = await cafe.sim.click(cafe.bot, ailsa, button, f"blether:stepout:{session_id}")
    assert out.ephemeral and "Nobody else was told" in out.content
    assert not cafe.sim.can_view(ailsa, room) and cafe.sim.can_view(bruce, room)
    assert {channel: len(cafe.sim.messages(channel)) for channel in (room, cafe.hosts)} == before
    row = await cafe.bot.db.fetch_one("SELECT returned_at FROM step_outs")
    assert row is not None and row[0] is None
    way_back = cafe.sim.dm_messages(ailsa)[-1]
    assert "Come back" in [c.get("label") for c in way_back.iter_components()]
    back = await cafe.sim.click(cafe.bot, ailsa, way_back, f"blether:comeback:{session_id}")
    assert f"<#{room}>" in back.content and cafe.sim.can_view(ailsa, room)


async def test_i_need_longer_tells_the_facilitators_privately_and_extend_moves_the_round_on(cafe: Cafe) -> None:
    session_id, room, _ = await _spoken(cafe)
    steps = StepRepo(cafe.bot.db)
    due_before = {(s.kind, json.dumps(s.payload)): s.due_at for s in await steps.pending_for(session_id)}
    button = next(m for m in cafe.sim.messages(room) if any(
        c.get("custom_id") == f"blether:longer:{session_id}" for c in m.iter_components()))
    asked = await cafe.sim.click(cafe.bot, cafe.people[0], button, f"blether:longer:{session_id}")
    assert asked.ephemeral and "told, privately" in asked.content
    notice = cafe.sim.messages(cafe.hosts)[-1]
    assert "more time" in notice.text and str(cafe.people[0].id) not in notice.text
    extended = await cafe.sim.click(cafe.bot, cafe.facilitator, notice, f"blether:extend:{session_id}")
    assert "now ends at <t:" in extended.content
    due_after = {(s.kind, json.dumps(s.payload)): s.due_at for s in await steps.pending_for(session_id)}
    moved = [k for k in due_after if k[0] in ("round", "close")]
    assert len(moved) == 3  # rounds 2 and 3, and the close
    assert all((due_after[k] - due_before[k]).total_seconds() == 300 for k in moved)
    assert all(due_after[k] == due_before[k] for k in due_after if k not in moved)
    told = cafe.sim.messages(room)[-1].text
    assert "5 more minutes" in told and "minutes from now" in told and "<t:" in told
    audit = await cafe.bot.db.fetch_one("SELECT detail FROM audit WHERE action = 'extend_round'")
    assert audit is not None and audit[0] == "round=1;minutes=5"
