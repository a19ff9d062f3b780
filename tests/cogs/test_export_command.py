"""`/cafe export` through discord.py's dispatch: the CLI's choices, clear refusals, the server's upload limit."""

from __future__ import annotations

import discord
import pytest
from cafe_harness import Cafe


async def _ran_cafe(cafe: Cafe) -> int:
    """A café that ran: two people consented and spoke, then it closed."""
    session_id = await cafe.schedule()
    first, second = cafe.people[:2]
    await cafe.join(session_id, first, "record")
    await cafe.join(session_id, second, "record")
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    [room] = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id)]
    assert room is not None
    await cafe.sim.say(cafe.bot, first, room, "**Peer support** kept me going.")
    await cafe.sim.say(cafe.bot, second, room, "- waiting lists\n- ||too long||")
    closed = await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=room, cafe=session_id)
    assert "closed" in closed.content
    return session_id


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("rounds", "1,two", "numbers separated by commas"),
        ("rooms", "0", "numbers from 1 to 1000"),
        ("from", "30/06/2026", "a date like 2024-06-30"),
        ("redact", " , ", None),  # nothing to redact is no redaction: accepted
    ],
)
async def test_bad_choices_get_a_clear_message_and_nothing_is_exported(
    cafe: Cafe, option: str, value: str, says: str | None
) -> None:
    session_id = await cafe.schedule()
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                  cafe=session_id, **{option: value})
    if says is None:
        assert "can't be made" not in result.content, result.content
        return
    assert says in result.content and "can't be made" in result.content, result.content
    exports = await cafe.bot.db.fetch_one("SELECT COUNT(*) FROM exports")
    assert exports is not None and exports[0] == 0


async def test_the_choices_reach_the_export(cafe: Cafe) -> None:
    session_id = await _ran_cafe(cafe)
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                  cafe=session_id, formats="qdc", rounds="1", rooms="1", scrub="yes",
                                  redact="Bruce, Mary Ann", key_points_only=False, qdpx_sources="session")
    assert "Done" in result.content, result.content
    scope = await cafe.bot.db.fetch_one("SELECT scope, formats FROM exports")
    assert scope is not None
    assert tuple(scope) == (f"session {session_id}; rounds 1; rooms 1; scrubbed; 2 redacted word(s)", "qdc")
    upload = [m for m in cafe.sim.messages(cafe.organisers) if m.attachments][-1]
    assert len(upload.attachments) == 1 and upload.attachments[0]["filename"].endswith(".zip")


async def test_an_export_over_the_servers_limit_is_posted_file_by_file(
    cafe: Cafe, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = await _ran_cafe(cafe)
    # A server whose limit is lower than the zip and than the report (with its charts) alone.
    monkeypatch.setattr(discord.Guild, "filesize_limit", property(lambda guild: 16 * 1024))
    result = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe export", channel_id=cafe.announcements,
                                  cafe=session_id)
    text = result.content
    assert "over this server's upload limit (16 KiB)" in text, text
    assert f"Posted to <#{cafe.organisers}>" in text and f"blether-S{session_id}.csv" in text
    assert "kept on the bot's host" in text and f"blether-S{session_id}-report.html" in text
    posted = [m for m in cafe.sim.messages(cafe.organisers) if m.attachments]
    names = [a["filename"] for m in posted for a in m.attachments]
    assert f"blether-S{session_id}-notes.md" in names and f"blether-S{session_id}-report.html" not in names
    assert all(sum(len(a["data"]) for a in m.attachments) <= 16 * 1024 for m in posted)
