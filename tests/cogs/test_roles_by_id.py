"""Issue 8 item 2: powers go with role ids, not names; @everyone and managed roles cannot be staff."""

from __future__ import annotations

from cafe_harness import FACILITATOR, ORGANISER, ORGANISER_PERMISSIONS, Cafe

from bot.core.models import GuildConfig


async def _config(cafe: Cafe) -> GuildConfig:
    config = await cafe.bot.services.servers.get(cafe.sim.guild_id)
    assert config is not None
    return config


async def test_a_look_alike_role_with_the_organisers_name_gets_no_powers(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    # Anyone with Manage Roles can do this, and give it Manage Events so Discord shows it /cafe.
    impostor_role = sim.add_role(ORGANISER, permissions=ORGANISER_PERMISSIONS)
    impostor = sim.add_member("impostor", roles=[impostor_role])
    refused = await sim.slash(bot, impostor, "cafe schedule", channel_id=cafe.announcements,
                              plan="whats-next-for-recovery", when="in 2 hours")
    assert "Only organisers can do this" in refused.content
    assert await bot.services.scheduling.list(sim.guild_id) == []
    session_id = await cafe.schedule()
    exported = await sim.slash(bot, impostor, "cafe export", channel_id=cafe.organisers, cafe=session_id)
    assert "Only organisers can do this" in exported.content


async def test_renaming_the_organiser_role_keeps_its_powers(cafe: Cafe) -> None:
    cafe.sim.rename_role(ORGANISER, "Coffee wranglers")
    await cafe.schedule()  # asserts it was scheduled
    config = await _config(cafe)
    assert config.organiser_role_id == cafe.sim.role_id("Coffee wranglers")


async def test_renaming_the_facilitator_role_keeps_its_powers_over_a_running_cafe(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content, opened.content
    sim.rename_role(FACILITATOR, "Table hosts")
    moved = await sim.slash(bot, cafe.facilitator, "floor next", channel_id=cafe.announcements, cafe=session_id)
    assert "Round 2" in moved.content, moved.content
    closed = await sim.slash(bot, cafe.facilitator, "floor close", channel_id=cafe.announcements, cafe=session_id)
    assert "is closed" in closed.content, closed.content
    assert (await _config(cafe)).facilitator_role_id == sim.role_id("Table hosts")


async def test_rooms_open_to_the_staff_roles_by_id_not_by_name(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    look_alike = sim.add_member("look-alike", roles=[sim.add_role(FACILITATOR)])
    session_id = await cafe.schedule()
    await cafe.join(session_id, cafe.people[0])
    opened = await sim.slash(bot, cafe.organiser, "cafe open", channel_id=cafe.announcements, cafe=session_id)
    assert "is open" in opened.content, opened.content
    room = next(r.channel_id for r in await bot.services.cafes.sessions.rooms(session_id))
    assert room is not None
    assert sim.can_view(cafe.facilitator, room) and sim.can_view(cafe.organiser, room)
    assert not sim.can_view(look_alike, room)


async def test_everyone_and_managed_roles_are_refused_as_staff_roles(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    before = await _config(cafe)
    for option in ("organiser_role", "facilitator_role"):
        everyone = await sim.slash(bot, sim.owner, "blether setup", channel_id=cafe.announcements,
                                   **{option: sim.guild_id})
        assert "cannot be @everyone" in everyone.content, everyone.content
        managed = await sim.slash(bot, sim.owner, "blether setup", channel_id=cafe.announcements,
                                  **{option: sim.bot_role_id})
        assert "Discord manages" in managed.content, managed.content
    assert await _config(cafe) == before


async def test_a_server_set_up_by_role_names_is_asked_to_run_setup_again_which_resolves_them(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    # As migration 003 leaves a server that chose its roles by name: no ids, the names kept.
    old = await _config(cafe)
    await bot.services.servers.guilds.save(GuildConfig(
        old.guild_id, None, None, old.facilitators_channel_id, old.organisers_channel_id, old.timezone,
        old.retention_days, named_roles=(ORGANISER, FACILITATOR)))
    refused = await sim.slash(bot, cafe.organiser, "cafe schedule", channel_id=cafe.announcements,
                              plan="whats-next-for-recovery", when="in 2 hours")
    assert "run `/blether setup` once more" in refused.content and ORGANISER in refused.content

    again = await sim.slash(bot, sim.owner, "blether setup", channel_id=cafe.announcements)
    assert "Blether is set up" in again.content, again.content
    config = await _config(cafe)
    assert (config.organiser_role_id, config.facilitator_role_id) == (sim.role_id(ORGANISER), sim.role_id(FACILITATOR))
    await cafe.schedule()


async def test_setup_asks_which_role_when_two_share_the_old_name(cafe: Cafe) -> None:
    sim, bot = cafe.sim, cafe.bot
    old = await _config(cafe)
    await bot.services.servers.guilds.save(GuildConfig(
        old.guild_id, None, None, None, None, old.timezone, old.retention_days, named_roles=(ORGANISER, FACILITATOR)))
    sim.add_role(ORGANISER)
    again = await sim.slash(bot, sim.owner, "blether setup", channel_id=cafe.announcements)
    assert "More than one role is called" in again.content and "`organiser_role`" in again.content
    assert (await _config(cafe)).organiser_role_id is None
