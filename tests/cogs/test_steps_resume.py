"""Kill the bot inside every kind of café step, at every REST call of it, and restart it.

A reference run records which Discord calls each step makes (open, the rotating round 2, round 3,
close; three rooms). Then, for each of those calls, a fresh café is run to that step, the call is
held, the bot dies there (the held call raises past every handler, so nothing more is written, and
the bot is dropped), and a new bot starts on the same database. The café must end as the timeline
says: each room got each prompt once, access equals the assignments, no channel is left over or
made twice, and the hosts were told once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.bot import BletherBot
from bot.config import Settings
from bot.core.clock import utcnow
from bot.core.timeline import SessionState
from bot.simulation import SimulatedDiscord
from bot.simulation import permissions as perm
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo

RESTARTED = "a restart of Blether came in the middle"
MARKERS = ("Let's start with what is going well", "This round is about what gets in the way", "Now let's imagine")


@dataclass
class SteppedClock:
    """Café time that moves only when the test moves it; a step falls due the moment café time
    reaches it (its job is queued for now) and not before (queued a day away)."""

    moment: datetime = DEFAULT_START

    def now(self) -> datetime:
        return self.moment

    def to_wall(self, moment: datetime) -> datetime:
        return utcnow() if moment <= self.moment else utcnow() + timedelta(days=1)

    def wall_seconds(self, cafe_seconds: float) -> float:
        return cafe_seconds


class Crash(BaseException):
    """What a held call raises to kill the bot: no handler of Blether's catches a BaseException,
    so the step stops where it is with nothing more written, as if the process had died."""


@dataclass
class Run:
    cafe: Cafe
    clock: SteppedClock
    session_id: int
    #: (step kind, payload round) → the Discord calls (method, route template) it made
    calls: dict[tuple[str, int | None], list[tuple[str, str]]] = field(default_factory=dict)


async def _wait(predicate, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def _cafe_bot(sim: SimulatedDiscord, settings: Settings, clock: SteppedClock) -> BletherBot:
    """The bot with the café's own steps only: the feedback offer after the close, the event mirror
    after the opening and the close, and the dashboard's edits are work of their own (tested with
    their features), and their calls must not count as the café step's."""
    bot = await start_bot(sim, settings, clock=clock)
    bot.services.cafes.on_closed.remove(bot.services.feedback.cafe_closed)
    bot.services.cafes.on_opened.remove(bot.services.events.cafe_opened)
    bot.services.cafes.on_closed.remove(bot.services.events.cafe_closed)
    bot.services.cafes.on_changed.remove(bot.services.dashboard.changed)
    return bot


async def _start(tmp_path: Path) -> Run:
    clock = SteppedClock()
    sim, parts = make_guild(people=6)
    # Blether may pin (the lobby's support text): a refused call has no "after Discord acts" to crash in.
    sim.set_role_permissions(sim.bot_role_id, perm.DEFAULT_BOT | perm.MANAGE_MESSAGES)
    settings = make_settings(tmp_path)
    bot = await _cafe_bot(sim, settings, clock)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule(when="in 1 hour", room_size=2)
    # No time warnings: café time jumps straight to each step here, so a round's warning would fall
    # due with the next round and be interrupted with it (warnings are tested in test_floor_controls).
    await bot.services.controls.set_warning(session_id, 0, cafe.organiser.id, None)
    for person in cafe.people:
        await cafe.join(session_id, person)
    return Run(cafe, clock, session_id)


async def _steps(run: Run) -> list[tuple[str, int | None, int, str]]:
    """(kind, round, id, status) of the café's open, round and close steps, in order of due time."""
    steps = await StepRepo(run.cafe.bot.db).for_session(run.session_id)
    return [(s.kind, s.payload.get("round"), s.id, s.status) for s in steps  # type: ignore[misc]
            if s.kind in ("open", "round", "close")]


async def _next_due(run: Run) -> tuple[str, int | None]:
    pending = [s for s in await StepRepo(run.cafe.bot.db).for_session(run.session_id)
               if s.status == "pending" and s.kind in ("open", "round", "close")]
    step = min(pending, key=lambda s: s.due_at)
    run.clock.moment = max(run.clock.moment, step.due_at)
    assert run.cafe.bot.scheduler is not None
    return step.kind, step.payload.get("round")  # type: ignore[return-value]


async def _finished(run: Run, key: tuple[str, int | None]) -> None:
    async def done() -> bool:
        return any((k, n) == key and status in ("done", "skipped", "failed") for k, n, _, status in await _steps(run))

    await _wait(done)
    await run.cafe.sim.settle()


async def _fire_next(run: Run) -> tuple[str, int | None]:
    key = await _next_due(run)
    assert run.cafe.bot.scheduler is not None
    await run.cafe.bot.scheduler.reconcile(run.session_id)
    return key


async def _run_to_close(run: Run) -> None:
    while (await run.cafe.bot.services.cafes.refreshed(run.session_id)).state is not SessionState.CLOSED:
        key = await _fire_next(run)
        await _finished(run, key)


async def reference(tmp_path: Path) -> dict[tuple[str, int | None], list[tuple[str, str]]]:
    run = await _start(tmp_path)
    sim = run.cafe.sim
    while (await run.cafe.bot.services.cafes.refreshed(run.session_id)).state is not SessionState.CLOSED:
        before = len(sim.calls)
        key = await _fire_next(run)
        await _finished(run, key)
        run.calls[key] = [(c.method, c.template) for c in sim.calls[before:] if c.via == "rest"]
    await check(run, restarts=0)
    await sim.disconnect(run.cafe.bot)
    return run.calls


async def check(run: Run, *, restarts: int, failures: int = 0) -> None:
    cafe, sim = run.cafe, run.cafe.sim
    bot = cafe.bot
    store = bot.services.cafes.sessions
    session = await store.get(run.session_id)
    assert session is not None and session.state is SessionState.CLOSED and session.current_round == 3
    rooms = await store.rooms(run.session_id)
    assert len(rooms) == 3 and all(r.channel_id is not None for r in rooms)
    # No channel left over or made twice: exactly this café's category, lobby and rooms exist.
    categories = [c for c in sim.guild_channels() if c["type"] == 4 and c["name"].endswith(f"#{run.session_id}")]
    assert [int(c["id"]) for c in categories] == [session.category_id]
    under = sorted(int(c["id"]) for c in sim.guild_channels() if c.get("parent_id") == str(session.category_id))
    assert under == sorted([session.lobby_channel_id] + [r.channel_id for r in rooms])  # type: ignore[list-item]
    mine = sim.bot_user.id
    for room in rooms:
        assert room.channel_id is not None
        posts = [m.content for m in sim.messages(room.channel_id) if m.author_id == mine]
        for marker in MARKERS:
            assert sum(marker in p for p in posts) == 1, (room.name, marker, posts)
        assert sum("This café has now closed" in p for p in posts) == 1
        for number in (1, 2, 3):  # each round's summary offer, once, as the round ended
            assert sum(p.startswith(f"Round {number} —") and "has ended" in p for p in posts) == 1, (room.name, number)
    assert session.lobby_channel_id is not None
    lobby = [m.content for m in sim.messages(session.lobby_channel_id) if m.author_id == mine]
    assert sum("has started in the breakout rooms" in p for p in lobby) == 3
    assert sum("This café has now closed" in p for p in lobby) == 1
    # Room access equals the last round's assignments.
    seats = await store.assignments(run.session_id, 3)
    by_discord = {await bot.services.cafes.people.discord_id(p): r for p, r in seats.items()}
    channel_of = {r.id: r.channel_id for r in rooms}
    for person in cafe.people:
        assert cafe.room_of(person, [r.channel_id for r in rooms]) == channel_of[by_discord[person.id]]  # type: ignore[misc]
    # The hosts were told once per restart, in each of their channels.
    for channel in (cafe.hosts, cafe.organisers):
        told = [m.content for m in sim.messages(channel) if RESTARTED in m.content]
        assert len(told) == restarts, told
    assert sum("didn't happen" in m.content for m in sim.messages(cafe.organisers)) == failures


MAX_CALLS = 30
CASES: list[tuple[str, int | None]] = [("open", None), ("round", 2), ("round", 3), ("close", None)]
_REFERENCE: dict[tuple[str, int | None], list[tuple[str, str]]] = {}


async def _calls(tmp_path: Path) -> dict[tuple[str, int | None], list[tuple[str, str]]]:
    if not _REFERENCE:
        _REFERENCE.update(await reference(tmp_path / "reference"))
    return _REFERENCE


async def crash_inside(tmp_path: Path, key: tuple[str, int | None], index: int, *, after: bool) -> None:
    calls = (await _calls(tmp_path))[key]
    if index >= len(calls):
        pytest.skip(f"the {key} step makes {len(calls)} REST call(s)")
    method, template = calls[index]
    nth = sum(1 for c in calls[: index + 1] if c == (method, template))
    run = await _start(tmp_path / "crash")
    sim = run.cafe.sim
    while (fired := await _next_due(run)) != key:
        await _fire_next(run)
        await _finished(run, fired)
    old = run.cafe.bot
    assert old.scheduler is not None
    if after:
        # Discord does the work, then the bot dies before it hears back (so before the store writes).
        hit = sim.faults.fail(method, template, nth=nth, error=Crash(), after=True)
        await _fire_next(run)
        await asyncio.wait_for(hit.reached(), 10)
        await sim.settle()
        old.scheduler.shutdown()
    else:
        hold = sim.faults.hang(method, template, nth=nth)
        await _fire_next(run)
        await asyncio.wait_for(hold.reached(), 10)
        old.scheduler.shutdown()
        hold.release(error=Crash())
        await sim.settle()
    sim.faults.clear()
    running = [s for s in await _steps(run) if s[3] == "running"]
    assert [(k, n) for k, n, _, _ in running] == [key], "the crash left the step running"
    await sim.disconnect(old)
    run.cafe.bot = await _cafe_bot(sim, run.cafe.settings, run.clock)
    await _finished(run, key)
    await _run_to_close(run)
    await check(run, restarts=1)
    await sim.disconnect(run.cafe.bot)


@pytest.mark.parametrize("key", CASES, ids=lambda k: f"{k[0]}{k[1] or ''}")
@pytest.mark.parametrize("index", range(MAX_CALLS))
@pytest.mark.parametrize("after", [False, True], ids=["before-discord-acts", "after-discord-acts"])
async def test_a_crash_at_any_call_of_a_step_is_resumed_once_on_restart(
    tmp_path: Path, key: tuple[str, int | None], index: int, after: bool,
) -> None:
    await crash_inside(tmp_path, key, index, after=after)


async def test_the_reference_run_makes_calls_in_every_step(tmp_path: Path) -> None:
    calls = await _calls(tmp_path)
    assert set(calls) == set(CASES)
    assert all(calls[key] for key in CASES)
    assert len(calls[("open", None)]) >= 3 + 1 + 1 + 3, "category, lobby, three rooms, welcome, prompts"
    assert max(len(v) for v in calls.values()) <= MAX_CALLS, "raise the range in the crash test to cover every call"



async def test_an_early_open_by_hand_takes_the_scheduled_open_step(tmp_path: Path) -> None:
    run = await _start(tmp_path)
    cafe, sim = run.cafe, run.cafe.sim
    result = await sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                             cafe=run.session_id)
    assert "is open" in result.content, result.content
    opening = [(k, status) for k, _, _, status in await _steps(run) if k == "open"]
    assert opening == [("open", "done")]
    await _run_to_close(run)
    await check(run, restarts=0)
    assert not any("didn't happen" in m.content for m in sim.messages(cafe.hosts))
    await sim.disconnect(cafe.bot)


async def test_an_opening_that_failed_leaves_later_steps_quiet_and_open_by_hand_carries_on(tmp_path: Path) -> None:
    run = await _start(tmp_path)
    cafe, sim = run.cafe, run.cafe.sim
    refused = sim.faults.fail("POST", "/guilds/{guild_id}/channels", nth=3, status=403, code=50013)
    await _fire_next(run)
    await _finished(run, ("open", None))
    assert refused.hits
    told = [m.content for m in sim.messages(cafe.organisers) if "didn't happen" in m.content]
    assert len(told) == 1 and f"/cafe open cafe:{run.session_id}" in told[0]
    # Round 2 and the close fall due while the café never opened: skipped, nobody alarmed.
    for key in (("round", 2), ("round", 3), ("close", None)):
        assert await _fire_next(run) == key
        await _finished(run, key)
    statuses = {(k, n): status for k, n, _, status in await _steps(run)}
    assert statuses[("round", 2)] == statuses[("close", None)] == "skipped"
    assert len([m for m in sim.messages(cafe.organisers) if "didn't happen" in m.content]) == 1
    # The organiser opens it by hand: the half-made opening is finished, not made twice.
    result = await sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                             cafe=run.session_id)
    assert "is open" in result.content, result.content
    await _run_to_close(run)
    await check(run, restarts=0, failures=1)
    await sim.disconnect(cafe.bot)
