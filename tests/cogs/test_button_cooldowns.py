"""Issue 8 item 8: a person hammering a button gets one action and a kind word, not a flood."""

from __future__ import annotations

import json

from cafe_harness import Cafe

from bot.simulation import SimMessage


async def _running(cafe: Cafe) -> tuple[int, int]:
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content
    room = next(r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id))
    assert room is not None
    return session_id, room


def _with_button(messages: list[SimMessage], custom_id: str) -> SimMessage:
    return next(m for m in messages if custom_id in json.dumps(m.components))


async def _ledger_rows(cafe: Cafe, session_id: int) -> int:
    row = await cafe.bot.db.fetch_one("SELECT COUNT(*) FROM consent_ledger WHERE session_id = ?", (session_id,))
    assert row is not None
    return int(row[0])


async def test_support_pressed_twenty_times_alerts_the_facilitators_once(cafe: Cafe) -> None:
    session_id, room = await _running(cafe)
    custom_id = f"blether:support:{session_id}"
    button = _with_button(cafe.sim.messages(room), custom_id)
    alerts_before = len(cafe.sim.messages(cafe.hosts))
    answers = [await cafe.sim.click(cafe.bot, cafe.people[0], button, custom_id) for _ in range(20)]
    assert len(cafe.sim.messages(cafe.hosts)) == alerts_before + 1
    assert all(a.responded for a in answers)
    # Every press still gets the support numbers; only the alert is not repeated.
    assert all("already know you asked" in a.content and "116 123" in a.content for a in answers[1:])
    requests = await cafe.bot.db.fetch_one("SELECT COUNT(*) FROM support_requests")
    assert requests is not None and requests[0] == 1


async def test_ill_join_pressed_again_and_again_on_a_running_cafe_grants_access_once(cafe: Cafe) -> None:
    session_id, _room = await _running(cafe)
    latecomer = cafe.people[1]
    invitation = cafe.invitations[session_id]
    start = len(cafe.sim.calls)
    answers = [await cafe.sim.click(cafe.bot, latecomer, invitation, f"blether:rsvp:{session_id}")
               for _ in range(30)]
    grants = [c for c in cafe.sim.calls[start:] if c.method == "PATCH" and c.template == "/channels/{channel_id}"]
    assert len(grants) == 2  # their room and the lobby, once
    assert all("already on the list" in a.content for a in answers[1:])


async def test_consent_toggles_neither_repeat_rows_nor_grow_without_bound(cafe: Cafe) -> None:
    session_id, room = await _running(cafe)
    person = cafe.people[0]  # joined with "record": one row so far
    assert await _ledger_rows(cafe, session_id) == 1
    panel = await cafe.sim.slash(cafe.bot, person, "consent", channel_id=room)
    record = f"blether:choose:{session_id}:record"
    again = await cafe.sim.click(cafe.bot, person, panel.messages[-1], record)
    assert "Saved" in again.content
    assert await _ledger_rows(cafe, session_id) == 1  # the same choice again adds no row

    decline = f"blether:choose:{session_id}:decline"
    refused = None
    for press in range(40):
        panel = await cafe.sim.slash(cafe.bot, person, "consent", channel_id=room)
        result = await cafe.sim.click(cafe.bot, person, panel.messages[-1], decline if press % 2 == 0 else record)
        if "wasn't saved" in result.content:
            refused = result
    assert refused is not None and "Nothing new was done" in refused.content
    assert await _ledger_rows(cafe, session_id) <= 1 + 6
