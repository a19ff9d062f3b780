"""The dashboard's debouncer, driven by an injected sleep: a burst of changes costs one post or edit,
and a restart edits the same message."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.models import GuildConfig
from bot.services.closing import ClosingService
from bot.services.controls import ControlsService
from bot.services.dashboard import DashboardService
from bot.services.floor import FloorService
from bot.store.db import Database

from .fakes import FakeChat, FixedClock
from .test_cafes import opened, service

HOSTS_CHANNEL = 700000000000000001


class Gate:
    """A sleep that ends only when the test opens the gate (café time, not wall time)."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.waiting = 0

    async def sleep(self, _seconds: float) -> None:
        self.waiting += 1
        try:
            await self.open.wait()
        finally:
            self.waiting -= 1


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def dashboard(db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
              sleep: Callable[[float], Awaitable[None]]) -> DashboardService:
    cafes = service(db, chat, clock).cafes
    with_channel = replace(config, facilitators_channel_id=HOSTS_CHANNEL)

    async def config_for(_guild: int) -> GuildConfig:
        return with_channel

    cafes.set_config_source(config_for)
    controls = ControlsService(cafes, FloorService(cafes), ClosingService(cafes))
    return DashboardService(cafes, controls, delay=2.0, sleep=sleep)


def dashboard_posts(chat: FakeChat) -> list[str]:
    return [text for channel, text, _ in chat.posts if channel == HOSTS_CHANNEL]


async def test_a_burst_of_changes_is_one_post_then_one_edit_and_a_restart_edits_the_same_message(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    gate = Gate()
    board = dashboard(db, chat, clock, config, gate.sleep)
    for _ in range(5):
        await board.changed(session_id)
    await until(lambda: gate.waiting == 1, "one burst gathering")
    assert dashboard_posts(chat) == [], "nothing until the burst's wait is over"
    gate.open.set()
    await until(lambda: not board.debouncer.busy, "the burst's post")
    posts = dashboard_posts(chat)
    assert len(posts) == 1 and "Round 1 of 3" in posts[0]
    offers = next(o for channel, _, o in chat.posts if channel == HOSTS_CHANNEL)
    assert len(offers) == 6
    for _ in range(3):
        await board.changed(session_id)
    await until(lambda: not board.debouncer.busy, "the burst's edit")
    assert len(chat.edits) == 1 and len(dashboard_posts(chat)) == 1

    restarted = dashboard(db, chat, clock, config, gate.sleep)
    await restarted.changed(session_id)
    await until(lambda: not restarted.debouncer.busy, "the edit after a restart")
    assert len(dashboard_posts(chat)) == 1, "a restart edits the stored message, never posts a second"
    assert len(chat.edits) == 2 and chat.edits[0][1] == chat.edits[1][1]


async def test_a_change_while_a_burst_gathers_is_absorbed_and_one_after_it_starts_another(
    db: Database, chat: FakeChat, clock: FixedClock, config: GuildConfig,
) -> None:
    session_id = await opened(db, chat, clock, config)
    gate = Gate()
    board = dashboard(db, chat, clock, config, gate.sleep)
    gate.open.set()
    await board.changed(session_id)
    await until(lambda: not board.debouncer.busy, "the first post")
    gate.open.clear()
    await board.changed(session_id)
    await board.changed(session_id)
    await until(lambda: gate.waiting == 1, "the second burst gathering")
    assert chat.edits == []
    gate.open.set()
    await until(lambda: not board.debouncer.busy, "the second burst's edit")
    assert len(chat.edits) == 1
