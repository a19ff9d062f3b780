"""Issue 8 item 9: nothing Blether posts pings anyone it does not mean to.

Discord pings whatever a message's text mentions unless the payload's `allowed_mentions` says
otherwise, so every message payload the bot sends (REST posts, interaction answers, follow-ups,
files) must carry one that allows nothing, except the support alert's facilitator role.
"""

from __future__ import annotations

import json
from typing import Any

from cafe_harness import FACILITATOR, Cafe

from bot.simulation import SimulatedDiscord


def message_payloads(sim: SimulatedDiscord) -> list[dict[str, Any]]:
    """Every message body the bot sent, whichever way it went out."""
    found: list[dict[str, Any]] = []
    for call in sim.calls:
        bodies: list[Any] = [call.json]
        for part in call.form or []:
            if part.get("name") == "payload_json":
                value = part["value"]
                bodies.append(json.loads(value) if isinstance(value, str | bytes) else value)
        for body in bodies:
            if not isinstance(body, dict):
                continue
            if isinstance(body.get("data"), dict) and "type" in body:  # an interaction callback
                body = body["data"]
            if "content" in body or "embeds" in body:
                found.append(body)
    return found


def pinged(payload: dict[str, Any]) -> dict[str, Any]:
    """What the payload lets Discord ping (no `allowed_mentions` at all means everything)."""
    allowed = payload.get("allowed_mentions")
    if allowed is None:
        return {"parse": ["everyone", "roles", "users"]}
    return {k: [str(x) for x in v] for k, v in allowed.items() if k in ("parse", "roles", "users") and v}


async def test_a_series_typed_as_mentions_never_pings_anyone(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    loud = f"@everyone @here <@&{sim.role_id(FACILITATOR)}> <@{cafe.people[0].id}>"
    session_id = await cafe.schedule(series=loud)
    await cafe.join(session_id, cafe.people[0])
    await sim.slash(bot, cafe.organiser, "cafes", channel_id=cafe.announcements)
    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content
    room = (await bot.services.cafes.sessions.rooms(session_id))[0].channel_id
    assert room is not None
    sim.advance(1)
    await sim.say(bot, cafe.people[0], room, "peer support helped me")  # so the export has words to post
    await sim.slash(bot, cafe.organiser, "floor close", channel_id=cafe.announcements, cafe=session_id)
    exported = await sim.slash(bot, cafe.organiser, "cafe export", channel_id=cafe.organisers, series=loud)
    assert exported.responded
    payloads = message_payloads(sim)
    assert any("@everyone" in str(p.get("content")) for p in payloads), "the series was never echoed"
    assert [pinged(p) for p in payloads if pinged(p)] == []


async def test_the_support_alert_pings_the_facilitator_role_and_nobody_else(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule(series="@everyone")
    await cafe.join(session_id, cafe.people[0])
    await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    room = next(r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id))
    assert room is not None
    before = len(sim.calls)
    button = next(m for m in sim.messages(room) if f"blether:support:{session_id}" in json.dumps(m.components))
    await sim.click(bot, cafe.people[0], button, f"blether:support:{session_id}")
    alert = sim.messages(cafe.hosts)[-1]
    # Named (not pinged), so facilitators know whom to reach; the role is what is notified.
    assert f"<@{cafe.people[0].id}>" in alert.content
    assert alert.content.startswith(f"<@&{sim.role_id(FACILITATOR)}>")
    sent = [pinged(p) for p in message_payloads_since(sim, before)]
    assert {"roles": [str(sim.role_id(FACILITATOR))]} in sent
    assert all(p in ({}, {"roles": [str(sim.role_id(FACILITATOR))]}) for p in sent)


def message_payloads_since(sim: SimulatedDiscord, start: int) -> list[dict[str, Any]]:
    calls, sim.calls = sim.calls, sim.calls[start:]
    try:
        return message_payloads(sim)
    finally:
        sim.calls = calls
