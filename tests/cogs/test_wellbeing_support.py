"""Issue 13: signposting everywhere, and support alerts that hosts claim and resolve, without content."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cafe_harness import FACILITATOR, ORGANISER, Cafe, make_guild, make_settings, start_bot

from bot.core.clock import CompressedClock
from bot.services.support import SUPPORT_UNCLAIMED
from bot.simulation import SimMember, SimMessage, SimPermissionError
from bot.simulation import permissions as perm
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo

SECRET = "my sister's name is Morag and I was sectioned in May"
NUMBERS = ("116 123", "0800 83 85 87", "111", "999")


def _private(role: int, sim_guild: int) -> list[dict[str, object]]:
    """Overwrites for a hosts' channel only a role (and the bot, by its own role) can see."""
    return [
        {"id": str(sim_guild), "type": 0, "allow": "0", "deny": str(perm.VIEW_CHANNEL)},
        {"id": str(role), "type": 0, "allow": str(perm.VIEW_CHANNEL | perm.SEND_MESSAGES), "deny": "0"},
    ]


async def _hosts_cafe(tmp_path: Path, *, clock: CompressedClock | None = None, manage_messages: bool = True,
                      facilitators: int = 2) -> Cafe:
    """A server whose hosts' channels are private to their roles, with two facilitators, and (unless
    told otherwise) Blether allowed to pin."""
    sim, parts = make_guild()
    fac_role, org_role = sim.role_id(FACILITATOR), sim.role_id(ORGANISER)
    # A volunteer may read the facilitators' channel but is not a facilitator.
    volunteer_role = sim.add_role("Volunteer")
    parts["hosts"] = sim.add_text_channel("facilitators-only", overwrites=_private(fac_role, sim.guild_id)
                                          + _private(sim.bot_role_id, sim.guild_id)[1:]
                                          + _private(volunteer_role, sim.guild_id)[1:])
    parts["organisers"] = sim.add_text_channel("organisers-only", overwrites=_private(org_role, sim.guild_id)
                                               + _private(sim.bot_role_id, sim.guild_id)[1:])
    sim.set_role_permissions(sim.bot_role_id, perm.DEFAULT_BOT | (perm.MANAGE_MESSAGES if manage_messages else 0))
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=clock)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    cafe.second_facilitator = sim.add_member("flora-facilitator", roles=[FACILITATOR])  # type: ignore[attr-defined]
    cafe.volunteer = sim.add_member("vera-volunteer", roles=["Volunteer"])  # type: ignore[attr-defined]
    result = await cafe.setup()
    assert "Blether is set up" in result.content, result.content
    return cafe


async def _open(cafe: Cafe) -> tuple[int, list[int]]:
    session_id = await cafe.schedule()
    for person in cafe.people[:2]:
        await cafe.join(session_id, person)
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    rooms = [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]
    return session_id, rooms


def _with(messages: list[SimMessage], custom_id: str) -> SimMessage:
    return next(m for m in messages if custom_id in json.dumps(m.components))


def _labels(message: SimMessage) -> list[str]:
    return [str(c.get("label")) for c in message.iter_components() if c.get("type") == 2]


async def test_support_text_is_in_every_room_pinned_in_the_lobby_and_not_a_crisis_service(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    session_id, rooms = await _open(cafe)
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.lobby_channel_id is not None
    pinned = [m for m in cafe.sim.messages(session.lobby_channel_id) if m.pinned]
    assert len(pinned) == 1
    assert all(number in pinned[0].text for number in NUMBERS)
    assert "not a crisis service" in pinned[0].text and "I need support" in _labels(pinned[0])
    welcome = cafe.sim.messages(session.lobby_channel_id)[0]
    assert "pinned in this channel" in welcome.text and "not a crisis service" in welcome.text
    for room in rooms:
        first = cafe.sim.messages(room)[0]
        assert all(number in first.text for number in NUMBERS), first.text
        assert "I need support" in _labels(first)
    await cafe.sim.disconnect(cafe.bot)


async def test_a_refused_pin_leaves_the_support_text_posted_and_tells_the_hosts_what_to_grant(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path, manage_messages=False)
    session_id, _rooms = await _open(cafe)
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.lobby_channel_id is not None
    lobby = cafe.sim.messages(session.lobby_channel_id)
    assert not any(m.pinned for m in lobby) and any("116 123" in m.text for m in lobby)
    # The facilitators' dashboard is posted in the same channel; the notice is there beside it.
    told = [m.text for m in cafe.sim.messages(cafe.hosts) if "could not be pinned" in m.text]
    assert len(told) == 1 and "Manage Messages" in told[0]
    await cafe.sim.disconnect(cafe.bot)


async def test_slash_support_works_in_a_room_outside_any_cafe_and_in_direct_messages(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    stranger = cafe.people[3]
    general = await cafe.sim.slash(cafe.bot, stranger, "support", channel_id=cafe.announcements)
    assert general.ephemeral and "not a crisis service" in general.content
    in_dm = await cafe.sim.slash(cafe.bot, stranger, "support", channel_id=cafe.sim.dm_channel_id(stranger))
    assert "not a crisis service" in in_dm.content

    _session_id, rooms = await _open(cafe)
    ailsa = cafe.people[0]
    room = cafe.room_of(ailsa, rooms)
    here = await cafe.sim.slash(cafe.bot, ailsa, "support", channel_id=room)
    assert here.ephemeral and all(number in here.content for number in NUMBERS)
    assert "I need support" in _labels(here.messages[-1])
    dm = await cafe.sim.slash(cafe.bot, ailsa, "support", channel_id=cafe.sim.dm_channel_id(ailsa))
    assert all(number in dm.content for number in NUMBERS)
    await cafe.sim.disconnect(cafe.bot)


async def test_an_alert_carries_no_words_only_hosts_see_it_and_a_claim_shows_to_the_rest(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    session_id, rooms = await _open(cafe)
    ailsa, bruce = cafe.people[0], cafe.people[1]
    room = cafe.room_of(ailsa, rooms)
    await cafe.sim.say(cafe.bot, ailsa, room, SECRET)
    button = _with(cafe.sim.messages(room), f"blether:support:{session_id}")
    before = len(cafe.sim.messages(cafe.hosts))

    answer = await cafe.sim.click(cafe.bot, ailsa, button, f"blether:support:{session_id}")
    assert answer.ephemeral and "will be in touch" in answer.content and "116 123" in answer.content
    alerts = cafe.sim.messages(cafe.hosts)[before:]
    assert len(alerts) == 1
    alert = alerts[0]
    assert str(ailsa.id) in alert.text and "room-" in alert.text
    assert "Morag" not in alert.text and "sectioned" not in alert.text
    assert not any("Morag" in m.text for m in cafe.sim.messages(cafe.organisers))
    # Only hosts can see the alert: no participant can view the facilitators' channel.
    assert all(not cafe.sim.can_view(person, cafe.hosts) for person in cafe.people)
    assert cafe.sim.can_view(cafe.facilitator, cafe.hosts)
    assert _labels(alert) == ["Claim: I'll reach out", "Resolved"]

    with pytest.raises(SimPermissionError):
        await cafe.sim.click(cafe.bot, bruce, alert, f"blether:alert:claim:{session_id}")
    # Someone who can read the channel but is no facilitator is refused, and nothing changes.
    volunteer: SimMember = cafe.volunteer  # type: ignore[attr-defined]
    refused = await cafe.sim.click(cafe.bot, volunteer, alert, f"blether:alert:claim:{session_id}")
    assert "Only facilitators and organisers" in refused.content
    assert "Not yet claimed" in cafe.sim.message(alert.id).text

    claimed = await cafe.sim.click(cafe.bot, cafe.facilitator, alert, f"blether:alert:claim:{session_id}")
    assert "You've claimed it" in claimed.content and claimed.ephemeral
    shown = cafe.sim.message(alert.id)
    assert f"Claimed by <@{cafe.facilitator.id}>" in shown.text and _labels(shown) == ["Resolved"]

    other: SimMember = cafe.second_facilitator  # type: ignore[attr-defined]
    second = await cafe.sim.click(cafe.bot, other, shown, f"blether:alert:resolve:{session_id}")
    assert "Marked as resolved" in second.content
    done = cafe.sim.message(alert.id)
    assert "Resolved" in done.text and _labels(done) == []

    row = await cafe.bot.db.fetch_one("SELECT * FROM support_requests")
    assert row is not None and row["handled_by"] == cafe.facilitator.id and row["resolved_at"] is not None
    assert all("Morag" not in str(value) for value in dict(row).values())
    await cafe.sim.disconnect(cafe.bot)


async def test_a_second_facilitator_cannot_claim_what_one_has(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    session_id, rooms = await _open(cafe)
    room = cafe.room_of(cafe.people[0], rooms)
    await cafe.sim.click(cafe.bot, cafe.people[0], _with(cafe.sim.messages(room), f"blether:support:{session_id}"),
                         f"blether:support:{session_id}")
    alert = cafe.sim.messages(cafe.hosts)[-1]
    other: SimMember = cafe.second_facilitator  # type: ignore[attr-defined]
    await cafe.sim.click(cafe.bot, cafe.facilitator, alert, f"blether:alert:claim:{session_id}")
    assert _labels(cafe.sim.message(alert.id)) == ["Resolved"]
    # Flora pressed Claim in the same instant (her press reached the bot second): the first claim stands.
    late = await cafe.bot.services.support.claim(session_id, alert.id, other.id, cafe.sim.guild_id)
    assert f"<@{cafe.facilitator.id}> already claimed" in late
    assert f"Claimed by <@{cafe.facilitator.id}>" in cafe.sim.message(alert.id).text
    await cafe.sim.disconnect(cafe.bot)


async def test_presses_and_slash_support_within_minutes_make_one_alert(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    session_id, rooms = await _open(cafe)
    ailsa = cafe.people[0]
    room = cafe.room_of(ailsa, rooms)
    before = len(cafe.sim.messages(cafe.hosts))
    button = _with(cafe.sim.messages(room), f"blether:support:{session_id}")
    await cafe.sim.click(cafe.bot, ailsa, button, f"blether:support:{session_id}")
    shown = await cafe.sim.slash(cafe.bot, ailsa, "support", channel_id=room)
    again = await cafe.sim.click(cafe.bot, ailsa, shown.messages[-1], f"blether:support:{session_id}")
    assert "already know you asked" in again.content and "116 123" in again.content
    assert len(cafe.sim.messages(cafe.hosts)) == before + 1
    # Once the first alert is resolved, asking again is a new alert.
    alert = cafe.sim.messages(cafe.hosts)[-1]
    await cafe.sim.click(cafe.bot, cafe.facilitator, alert, f"blether:alert:resolve:{session_id}")
    await cafe.sim.click(cafe.bot, ailsa, button, f"blether:support:{session_id}")
    assert len(cafe.sim.messages(cafe.hosts)) == before + 2
    await cafe.sim.disconnect(cafe.bot)


async def test_an_unclaimed_alert_is_raised_again_to_the_organisers(tmp_path: Path) -> None:
    # A café-minute is a tenth of a second: the five minutes pass while the test waits.
    cafe = await _hosts_cafe(tmp_path, clock=CompressedClock(origin=DEFAULT_START, speed=600))
    session_id, rooms = await _open(cafe)
    room = cafe.room_of(cafe.people[0], rooms)
    await cafe.sim.click(cafe.bot, cafe.people[0], _with(cafe.sim.messages(room), f"blether:support:{session_id}"),
                         f"blether:support:{session_id}")
    steps = StepRepo(cafe.bot.db)
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        raised = [s for s in await steps.pending() if s.kind == SUPPORT_UNCLAIMED]
        done = await cafe.bot.db.fetch_one("SELECT raised_at FROM support_requests")
        if not raised and done is not None and done[0] is not None:
            break
        assert asyncio.get_running_loop().time() < deadline, "the alert was never raised"
        await asyncio.sleep(0.05)
    await cafe.sim.settle()
    up = cafe.sim.messages(cafe.organisers)[-1]
    assert "Raised again" in up.text and str(cafe.people[0].id) in up.text
    assert all(not cafe.sim.can_view(person, cafe.organisers) for person in cafe.people)
    # Claiming the raised copy edits both copies.
    await cafe.sim.click(cafe.bot, cafe.organiser, up, f"blether:alert:claim:{session_id}")
    first = next(m for m in cafe.sim.messages(cafe.hosts) if "Support request" in m.text)
    assert f"Claimed by <@{cafe.organiser.id}>" in cafe.sim.message(first.id).text
    assert f"Claimed by <@{cafe.organiser.id}>" in cafe.sim.message(up.id).text
    await cafe.sim.disconnect(cafe.bot)


async def test_a_claimed_alert_is_not_raised(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path, clock=CompressedClock(origin=DEFAULT_START, speed=600))
    session_id, rooms = await _open(cafe)
    room = cafe.room_of(cafe.people[0], rooms)
    await cafe.sim.click(cafe.bot, cafe.people[0], _with(cafe.sim.messages(room), f"blether:support:{session_id}"),
                         f"blether:support:{session_id}")
    await cafe.sim.click(cafe.bot, cafe.facilitator, cafe.sim.messages(cafe.hosts)[-1],
                         f"blether:alert:claim:{session_id}")
    before = len(cafe.sim.messages(cafe.organisers))
    steps = StepRepo(cafe.bot.db)
    deadline = asyncio.get_running_loop().time() + 20
    while any(s.kind == SUPPORT_UNCLAIMED for s in await steps.pending()):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    await cafe.sim.settle()
    assert len(cafe.sim.messages(cafe.organisers)) == before
    await cafe.sim.disconnect(cafe.bot)


async def test_consent_text_states_the_servers_own_retention_period(tmp_path: Path) -> None:
    sim, parts = make_guild()
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    result = await sim.slash(bot, sim.owner, "blether setup", channel_id=cafe.announcements,
                             organiser_role=sim.role_id(ORGANISER), facilitator_role=sim.role_id(FACILITATOR),
                             facilitators_channel=cafe.hosts, organisers_channel=cafe.organisers, retention_days=30)
    assert "30 days" in result.content, result.content
    session_id = await cafe.schedule()
    panel = await cafe.join(session_id, cafe.people[0], choice=None)
    shown = "\n".join([panel.content, *(e.get("description", "") for m in panel.messages for e in m.embeds)])
    assert "never longer than 30 days" in shown, shown
    assert "180" not in shown
    await sim.disconnect(bot)


async def test_closing_words_carry_the_numbers_they_point_to(tmp_path: Path) -> None:
    cafe = await _hosts_cafe(tmp_path)
    session_id, rooms = await _open(cafe)
    closed = await cafe.sim.slash(cafe.bot, cafe.organiser, "floor close", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "closed" in closed.content.lower(), closed.content
    for room in rooms:
        last = cafe.sim.messages(room)[-1].text
        assert "we shared are still there" not in last
        assert "support numbers below" in last and all(number in last for number in NUMBERS)
    await cafe.sim.disconnect(cafe.bot)
