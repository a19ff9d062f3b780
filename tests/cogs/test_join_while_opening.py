"""Pressing **I'll join** while the rooms are being made waits for the opening, then seats the person."""

from __future__ import annotations

import asyncio

from cafe_harness import Cafe


async def test_a_join_during_the_opening_is_seated_in_the_rooms_it_makes(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    for person in cafe.people[:3]:
        await cafe.join(session_id, person)
    late = cafe.people[3]
    # Hold the opening on its last room's channel: the café is half-made when the person presses.
    hold = sim.faults.hang("POST", "/guilds/{guild_id}/channels", nth=3)
    opening = asyncio.ensure_future(sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                              cafe=session_id))
    await asyncio.wait_for(hold.reached(), 10)
    # The service the button calls (the simulated Discord settles one interaction at a time).
    joining = asyncio.ensure_future(bot.services.rsvp.rsvp(session_id, late.id, sim.guild_id))
    await asyncio.sleep(0.05)
    assert not joining.done(), "the join waits for the opening instead of racing it"
    hold.release()
    opened, joined = await opening, await joining
    assert "is open" in opened.content, opened.content
    assert joined.seated, "seated in a room the opening made, not told to wait for the opening"
    rooms = [r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id)]
    cafe.room_of(late, rooms)  # exactly one room, by the harness's own check
    seats = await bot.services.cafes.sessions.assignments(session_id, 1)
    assert len(seats) == 4
