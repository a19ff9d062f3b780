"""When Discord refuses what a command needs, the person reads what is missing, never "Sorry"."""

from __future__ import annotations

from cafe_harness import Cafe


async def test_opening_without_manage_channels_says_which_permission_is_missing(cafe: Cafe) -> None:
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    cafe.sim.set_role_permissions(cafe.sim.bot_role_id, 0)  # a common set-up mistake
    refused = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                   cafe=session_id)
    assert "missing a permission" in refused.content and "Manage Channels" in refused.content, refused.content
    assert "Sorry" not in refused.content
