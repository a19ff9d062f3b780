"""The `cafe` option: offered by name as people type, checked to be this server's, and inferred
from the channel where that is unambiguous."""

from __future__ import annotations

from cafe_harness import Cafe


async def test_typing_a_cafe_offers_this_servers_cafes_by_title(cafe: Cafe) -> None:
    first = await cafe.schedule(when="in 2 hours")
    second = await cafe.schedule(when="in 3 hours")
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements, cafe=first)

    offered = await cafe.sim.autocomplete(cafe.bot, cafe.organiser, "cafe open", focused="cafe", typed="",
                                          channel_id=cafe.announcements)
    assert offered.response_type == 8 and offered.choices is not None
    assert [c["value"] for c in offered.choices] == [second, first], "cafés to come first, then ended ones"
    assert all("What's next for recovery?" in c["name"] for c in offered.choices)
    assert "cancelled" in offered.choices[-1]["name"]

    narrowed = await cafe.sim.autocomplete(cafe.bot, cafe.organiser, "cafe open", focused="cafe",
                                           typed=f"#{second}", channel_id=cafe.announcements)
    assert narrowed.choices is not None and [c["value"] for c in narrowed.choices] == [second]


async def test_a_plan_is_offered_by_title_while_typing(cafe: Cafe) -> None:
    offered = await cafe.sim.autocomplete(cafe.bot, cafe.organiser, "cafe schedule", focused="plan",
                                          typed="recovery", channel_id=cafe.announcements)
    assert offered.choices is not None
    assert [c["value"] for c in offered.choices] == ["whats-next-for-recovery"]


async def test_a_cafe_number_that_is_not_here_is_refused_before_anything_happens(cafe: Cafe) -> None:
    session_id = await cafe.schedule()
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe cancel", channel_id=cafe.announcements,
                                   cafe=session_id + 1000)
    assert f"There is no café #{session_id + 1000} on this server" in refused.content
    session = await cafe.bot.services.cafes.sessions.get(session_id)
    assert session is not None and session.state.value == "scheduled"


async def test_in_a_room_the_cafe_is_the_rooms_and_elsewhere_the_only_one_under_way(cafe: Cafe) -> None:
    session_id = await cafe.schedule()
    for person in cafe.people:
        await cafe.join(session_id, person)
    await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    room = next(r.channel_id for r in await cafe.bot.services.cafes.sessions.rooms(session_id))

    moved = await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=room)
    assert "Round 2 of" in moved.content, moved.content

    await cafe.schedule(when="in 5 hours")  # a second café, not yet open: still only one under way
    moved = await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=cafe.announcements)
    assert "Round 3 of" in moved.content, moved.content


async def test_with_two_cafes_under_way_outside_their_rooms_the_command_asks_which(cafe: Cafe) -> None:
    ids = [await cafe.schedule(), await cafe.schedule(when="in 3 hours")]
    for session_id in ids:
        await cafe.join(session_id, cafe.people[0])
        await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    asked = await cafe.sim.slash(cafe.bot, cafe.facilitator, "floor next", channel_id=cafe.announcements)
    assert "Which café?" in asked.content
    for session_id in ids:
        session = await cafe.bot.services.cafes.sessions.get(session_id)
        assert session is not None and session.current_round == 1
