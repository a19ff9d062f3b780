"""World Café tables through discord.py's own dispatch: people choose a table, the organiser uploads
a table plan (every bad line listed, nothing kept), a facilitator who joined hosts a table, the
opening honours all of it, a rotation moves everyone but the host and says who joined, and the
host is a role in the export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.simulation import InteractionResult, SimMember, SimMessage
from bot.store.attendance import AttendanceRepo

SHIPPED = Path(__file__).parents[2] / "prompts" / "whats-next-for-recovery" / "plan.yaml"


def world_cafe_plans(tmp_path: Path) -> Path:
    plans = tmp_path / "plans"
    folder = plans / "world-cafe"
    folder.mkdir(parents=True)
    text = SHIPPED.read_text(encoding="utf-8").replace("id: whats-next-for-recovery", "id: world-cafe", 1)
    (folder / "plan.yaml").write_text(
        text + "tables:\n  choose: true\n  topics: [peer-support, Work and money]\n", encoding="utf-8")
    return plans


def component(message: SimMessage, prefix: str) -> dict[str, Any] | None:
    return next((c for c in message.iter_components() if str(c.get("custom_id", "")).startswith(prefix)), None)


def with_component(result: InteractionResult, prefix: str) -> SimMessage:
    return next(m for m in result.messages if component(m, prefix) is not None)


async def join(cafe: Cafe, session_id: int, person: SimMember) -> InteractionResult:
    """Press I'll join and consent to recording; the answer carries the table menu."""
    result = await cafe.sim.click(cafe.bot, person, cafe.invitations[session_id], f"blether:rsvp:{session_id}")
    panel = with_component(result, "blether:choose:")
    await cafe.sim.click(cafe.bot, person, panel, f"blether:choose:{session_id}:record")
    cafe.sim.advance(1)
    return result


async def test_choice_table_plan_hosts_and_a_rotation(tmp_path: Path) -> None:
    sim, parts = make_guild(people=6)
    bot = await start_bot(sim, make_settings(tmp_path), plans_dir=world_cafe_plans(tmp_path))
    try:
        cafe = Cafe(sim=sim, bot=bot, settings=bot.settings, **parts)  # type: ignore[arg-type]
        await cafe.setup()
        session_id = await cafe.schedule(plan="world-cafe")
        ailsa, bruce, catriona, dougie, eilidh, fraser = cafe.people
        fergus = cafe.facilitator

        # Choice: the menu shows each table's topic (a theme id reads as its name) and who chose it.
        joined = {person.id: await join(cafe, session_id, person)
                  for person in (ailsa, bruce, catriona, dougie, eilidh, fraser, fergus)}
        menu = with_component(joined[bruce.id], "blether:table:")
        select = component(menu, "blether:table:")
        assert select is not None
        assert [o["label"] for o in select["options"]] == ["1. Peer support approaches and roles", "2. Work and money"]
        chosen = await sim.click(bot, bruce, menu, f"blether:table:{session_id}", values=["1"])
        assert "You chose table 1: **Peer support approaches and roles**" in chosen.messages[-1].content
        catriona_menu = with_component(joined[catriona.id], "blether:table:")
        await sim.click(bot, catriona, catriona_menu, f"blether:table:{session_id}", values=["2"])

        # A table plan with mistakes: every line's problem at once, and nothing kept.
        bad = "person,table,host\nNobody Known,1\n" f"{ailsa.id},9\n{dougie.id},2,maybe\napart,{ailsa.id},{ailsa.id}\n"
        refused = await sim.slash(bot, cafe.organiser, "cafe tables", channel_id=cafe.announcements,
                                  cafe=session_id, file=("tables.csv", bad.encode()))
        text = refused.content
        assert "Nothing was saved" in text
        for expected in ("line 2: nobody on this server is called 'Nobody Known'", "line 3: there is no table 9",
                         "line 4: the third column is `host`", "line 5: a apart pair needs two different people"):
            assert expected in text, text
        assert await AttendanceRepo(bot.db).wishes(session_id) == []

        # Only organisers upload a plan.
        denied = await sim.slash(bot, fergus, "cafe tables", channel_id=cafe.announcements, cafe=session_id,
                                 file=("tables.csv", b"x,1\n"))
        assert "Only organisers" in denied.content

        good = (f"{ailsa.id},peer support approaches and roles\n{fergus.id},2,host\n"
                f"apart,{ailsa.id},{bruce.id}\ntogether,{dougie.id},{eilidh.id}\n")
        saved = await sim.slash(bot, cafe.organiser, "cafe tables", channel_id=cafe.announcements,
                                cafe=session_id, file=("tables.csv", good.encode()))
        assert "Saved the table plan" in saved.content and "2 seat(s), 1 host(s), 2 pair(s)" in saved.content

        opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
        assert "is open" in opened.content, opened.content
        rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
        assert len(rooms) == 2 and all(r is not None for r in rooms)
        channels = [r for r in rooms if r is not None]
        seat = {p.name: cafe.room_of(p, channels) for p in (ailsa, bruce, catriona, dougie, eilidh, fraser)}
        assert seat["ailsa"] == channels[0], "the table plan seats Ailsa at Peer support"
        assert seat["bruce"] != seat["ailsa"], "keep-apart beats Bruce's choice of the same table"
        assert seat["catriona"] == channels[1], "a choice within capacity is honoured"
        assert seat["dougie"] == seat["eilidh"], "keep-together"
        assert sim.can_view(fergus, channels[1])
        first_post = [m.content for m in sim.messages(channels[1]) if "Round 1" in m.content][-1]
        assert f"Your table host: <@{fergus.id}>" in first_post
        assert not any("Your table host" in m.content for m in sim.messages(channels[0])), "no host, no line"

        # Round 2 rotates: everyone but the host moves where they meet new people; keep-apart holds.
        before = dict(seat)
        moved = await sim.slash(bot, fergus, "floor next", channel_id=channels[1], cafe=session_id)
        assert "Round 2" in moved.content, moved.content
        after = {p.name: cafe.room_of(p, channels) for p in (ailsa, bruce, catriona, dougie, eilidh, fraser)}
        assert after["ailsa"] != after["bruce"] and after["dougie"] == after["eilidh"]
        assert sim.can_view(fergus, channels[1])
        newcomers = [name for name, room in after.items() if room != before[name]]
        assert newcomers, "a rotation moves people"
        host_room_post = [m for m in sim.messages(channels[1]) if "Round 2" in m.content][-1]
        ids = {p.name: p.id for p in cafe.people}
        joined_here = [name for name in newcomers if after[name] == channels[1]]
        assert joined_here, "someone moves to the host's table"
        assert "New at this table this round:" in host_room_post.content
        assert all(f"<@{ids[name]}>" in host_room_post.content for name in joined_here)
        assert f"<@{fergus.id}>, could you share the last round's thread in two lines" in host_room_post.content
        stayed = [name for name in after if after[name] == channels[1] and name not in joined_here]
        assert not any(f"<@{ids[name]}>" in host_room_post.content for name in stayed)

        await sim.say(bot, fergus, channels[1], "Last round we talked about peer support groups.")
        await sim.say(bot, ailsa, seat["ailsa"] if after["ailsa"] == seat["ailsa"] else after["ailsa"],
                      "I found a walking group.")
        closed = await sim.slash(bot, fergus, "floor close", channel_id=channels[1], cafe=session_id)
        assert "closed" in closed.content
        await sim.slash(bot, cafe.organiser, "cafe export", channel_id=cafe.announcements, cafe=session_id,
                        formats="csv")
        upload = [m for m in sim.messages(cafe.organisers) if m.attachments][-1]
        with zipfile.ZipFile(io.BytesIO(upload.attachments[0]["data"])) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv") and "summaries" not in n)
            rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        roles = {r["text"]: r["speaker_role"] for r in rows}
        assert roles == {"Last round we talked about peer support groups.": "host",
                         "I found a walking group.": "participant"}
        raw = upload.attachments[0]["data"]
        assert str(fergus.id).encode() not in raw and fergus.name.encode() not in raw
    finally:
        await sim.disconnect(bot)
