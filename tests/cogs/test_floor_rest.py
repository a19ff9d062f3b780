"""The café floor's REST calls held to the documented minimum (docs/rest-calls.md, "The café floor"):
rooms are made with their access in the create call, a round, rotation or close is one channel
edit per room that changes, and a large café spreads over categories within Discord's limits."""

from __future__ import annotations

from collections import Counter

from cafe_harness import Cafe

from bot.simulation import SimMember

CREATE = "POST /guilds/{guild_id}/channels"
EDIT = "PATCH /channels/{channel_id}"
POST = "POST /channels/{channel_id}/messages"
DELETE = "DELETE /channels/{channel_id}"
CALLBACK = "POST /interactions/{webhook_id}/{webhook_token}/callback"
FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"
EDIT_MESSAGE = "PATCH /channels/{channel_id}/messages/{message_id}"


def made(cafe: Cafe, since: int) -> Counter[str]:
    return Counter(f"{c.method} {c.template}" for c in cafe.sim.calls[since:])


def floor_calls(cafe: Cafe, since: int) -> Counter[str]:
    """The floor's own calls: the command's defer and answer, and the dashboard, are counted apart."""
    calls = Counter(f"{c.method} {c.template}" for c in cafe.sim.calls[since:]
                    if f"/channels/{cafe.hosts}/" not in c.path)
    del calls[CALLBACK], calls[FOLLOWUP]
    return calls


def dashboard_calls(cafe: Cafe, since: int) -> Counter[str]:
    return Counter(f"{c.method} {c.template}" for c in cafe.sim.calls[since:] if f"/channels/{cafe.hosts}/" in c.path)


async def seat(cafe: Cafe, people: int, room_size: int) -> tuple[int, list[SimMember]]:
    """A café with `people` coming (said yes through the service: the joining is not under test)."""
    cafe.bot.services.dashboard.debouncer.delay = 0.05  # a burst gathers for 50 ms of café time in tests
    session_id = await cafe.schedule(room_size=room_size)
    members = [cafe.sim.add_member(f"guest-{n}") for n in range(people)]
    for member in members:
        await cafe.bot.services.rsvp.rsvp(session_id, member.id)
    return session_id, members


async def rooms_of(cafe: Cafe, session_id: int) -> list[int]:
    return [r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id) if r.channel_id]


def who_sees(cafe: Cafe, members: list[SimMember], rooms: list[int]) -> dict[int, set[int]]:
    return {room: {m.id for m in members if cafe.sim.can_view(m, room)} for room in rooms}


async def test_open_rounds_rotation_and_close_cost_the_documented_minimum(cafe: Cafe) -> None:
    people, size = 14, 3
    session_id, members = await seat(cafe, people, size)
    rooms_count = 5  # ⌈14 / 3⌉
    since = len(cafe.sim.calls)
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    await cafe.sim.settle()
    # open = (categories + lobby + R) creates, each with its whole access; welcome + R prompts + lobby notice
    assert floor_calls(cafe, since) == Counter({CREATE: 1 + 1 + rooms_count, POST: 1 + rooms_count + 1})
    assert dashboard_calls(cafe, since) == Counter({POST: 1}), "the dashboard is posted once"
    rooms = await rooms_of(cafe, session_id)
    first = who_sees(cafe, members, rooms)
    assert sorted(len(v) for v in first.values()) == [2, 3, 3, 3, 3]
    assert set().union(*first.values()) == {m.id for m in members}
    assert all(cafe.sim.can_view(cafe.facilitator, room) for room in rooms)

    # Round 2 rotates: one edit per room (every room's people change), R prompts, the lobby notice.
    since = len(cafe.sim.calls)
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=cafe.hosts, cafe=session_id)
    await cafe.sim.settle()
    assert floor_calls(cafe, since) == Counter({EDIT: rooms_count, POST: rooms_count + 1})
    assert dashboard_calls(cafe, since) == Counter({EDIT_MESSAGE: 1}), "and edited once per burst"
    second = who_sees(cafe, members, rooms)
    assert second != first and set().union(*second.values()) == {m.id for m in members}
    assert all(sum(m.id in seen for seen in second.values()) == 1 for m in members)

    # Round 3 does not rotate: nobody's access changes, so no edit at all.
    since = len(cafe.sim.calls)
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=cafe.hosts, cafe=session_id)
    await cafe.sim.settle()
    assert floor_calls(cafe, since) == Counter({POST: rooms_count + 1})
    assert who_sees(cafe, members, rooms) == second

    # Close: closing words and one edit per channel (rooms and lobby), everyone read-only.
    since = len(cafe.sim.calls)
    await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor close", channel_id=cafe.hosts, cafe=session_id)
    await cafe.sim.settle()
    calls = floor_calls(cafe, since)
    assert calls[EDIT] == rooms_count + 1 and calls[POST] >= rooms_count + 1
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.lobby_channel_id is not None
    for room in [*rooms, session.lobby_channel_id]:
        assert not any(cafe.sim.can_send(m, room) for m in members)
    assert who_sees(cafe, members, rooms) == second, "people can still read their room after the close"


async def test_a_cafe_of_more_than_49_rooms_uses_several_categories(cafe: Cafe) -> None:
    session_id, members = await seat(cafe, 120, 2)
    since = len(cafe.sim.calls)
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    await cafe.sim.settle()
    # 60 rooms + the lobby: category 1 holds the lobby and rooms 1–49, category 2 rooms 50–60.
    assert floor_calls(cafe, since)[CREATE] == 2 + 1 + 60
    rooms = await rooms_of(cafe, session_id)
    parents = Counter(cafe.sim.channels[room]["parent_id"] for room in rooms)
    assert sorted(parents.values()) == [11, 49]
    assert all(len([r for r in rooms if cafe.sim.can_view(m, r)]) == 1 for m in members)


async def test_a_server_near_500_channels_is_refused_before_anything_is_made(cafe: Cafe) -> None:
    session_id, _ = await seat(cafe, 20, 2)  # 10 rooms: 12 channels with the category and lobby
    while len(cafe.sim.guild_channels()) < 490:
        cafe.sim.add_text_channel(f"busy-{len(cafe.sim.guild_channels())}")
    since = len(cafe.sim.calls)
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                   cafe=session_id)
    assert "needs 12 channels" in refused.content and "already has 490" in refused.content, refused.content
    assert CREATE not in made(cafe, since)
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.category_id is None and not await cafe.bot.services.cafes.sessions.rooms(session_id)


async def test_discord_failing_mid_opening_removes_what_was_made_and_tells_the_organisers(cafe: Cafe) -> None:
    session_id, _ = await seat(cafe, 12, 3)
    before = {c["id"] for c in cafe.sim.guild_channels()}
    cafe.sim.faults.fail("POST", "/guilds/{guild_id}/channels", nth=4, status=403, code=50013)
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                   cafe=session_id)
    await cafe.sim.settle()
    assert "could not open" in refused.content and "removed" in refused.content, refused.content
    assert {c["id"] for c in cafe.sim.guild_channels()} == before, "every channel it made is gone"
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert session.category_id is None and session.lobby_channel_id is None
    # Fixed, it opens cleanly.
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
