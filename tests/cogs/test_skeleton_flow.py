"""The whole path through discord.py's own dispatch: schedule → rooms → rounds → capture → export."""

from __future__ import annotations

import csv
import io
import zipfile

from cafe_harness import Cafe

from bot.store.contributions import ContributionRepo


async def test_a_cafe_from_plan_to_export(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    invitation = cafe.invitations[session_id]
    assert "What's next for recovery?" in invitation.content
    assert {b["custom_id"] for b in invitation.iter_components() if "custom_id" in b} >= {
        f"blether:rsvp:{session_id}"}

    ailsa, bruce, catriona, dougie = cafe.people
    panel = await cafe.join(session_id, ailsa, "record")
    assert panel.ephemeral and "recorded" in panel.content
    await cafe.join(session_id, bruce, "decline")
    await cafe.join(session_id, catriona, "record")
    await cafe.join(session_id, dougie, "record")

    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content, opened.content

    rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    assert len(rooms) == 1  # four people, room size six
    session = await bot.services.cafes.sessions.get(session_id)
    assert session is not None and session.lobby_channel_id is not None
    room = rooms[0]
    assert room is not None
    # Invariant 5: rooms are private to their people and the hosts.
    stranger = sim.add_member("stranger")
    assert not sim.can_view(stranger, room)
    assert sim.can_view(cafe.facilitator, room) and sim.can_view(cafe.organiser, room)
    assert all(sim.can_view(p, room) for p in cafe.people)
    posted = [m.content for m in sim.messages(room)]
    assert any("Round 1 of 3" in text for text in posted)

    kept = await sim.say(bot, ailsa, room, "Peer support kept me going.")
    refused = await sim.say(bot, bruce, room, "Bruce declined, so this must never be stored.")
    await sim.say(bot, catriona, room, f"I agree with <@{ailsa.id}> about peer support.")

    moved = await sim.slash(bot, cafe.facilitator, "floor next", channel_id=room, cafe=session_id)
    assert "Round 2 of 3" in moved.content
    assert any("Round 2 of 3" in m.content for m in sim.messages(room))
    await sim.say(bot, dougie, room, "Waiting lists are far too long.")

    closed = await sim.slash(bot, cafe.facilitator, "floor close", channel_id=room, cafe=session_id)
    assert "closed" in closed.content
    assert not sim.can_send(ailsa, room)

    texts = [t for _, t in await ContributionRepo(bot.db).texts(session_id)]
    assert "Peer support kept me going." in texts
    assert refused.content not in texts and kept.content in texts
    assert any(t.startswith("I agree with P-") for t in texts)

    exported = await sim.slash(bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                               cafe=session_id, formats="csv")
    assert "exported" in exported.content, exported.content
    upload = [m for m in sim.messages(cafe.organisers) if m.attachments][-1]
    with zipfile.ZipFile(io.BytesIO(upload.attachments[0]["data"])) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv"))
        rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    assert sorted(r["text"] for r in rows) == sorted(texts)
    raw = upload.attachments[0]["data"]
    for person in cafe.people:
        assert str(person.id).encode() not in raw
        assert person.name.encode() not in raw
    assert {r["round_id"] for r in rows} == {"build-on", "should-change"}
