"""Capture: compressed MESSAGE_CREATE frames through discord.py's own websocket handling.

The real bot (every cog, the real store on a real SQLite file) logs in to the simulated Discord,
which builds its guild through READY + GUILD_CREATE: 20 rooms and a lobby, 300 members, a café in
its first round, two thirds of the members consenting. The frames are what Discord sends on a
`compress=zlib-stream` connection: one zlib stream, each message a JSON dispatch ending in a sync
flush. They go through `DiscordWebSocket.received_message` (decompression, JSON, the parser, the
dispatch to listeners), with the event loop given a turn between frames as the socket's read loop
gives it.

The ceiling is the same frames, on an identical simulated guild, into a bare discord.py client
whose only `on_message` listener notes the time. A Blether message is done when the capture
service has committed it (its `on_message` returned); the ceiling's when its listener ran.

Flood: all frames at once; the figure is messages handled per second. Paced: frames at 200/s and
2,000/s; the figures are p50 and p99 of dispatch-to-commit of the consented messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
from common import Figure, percentile
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.bot import BletherBot
from bot.config import parse_settings
from bot.core.consent import Choice, Source
from bot.core.plan import parse_plan
from bot.discord_chat import intents
from bot.services.consent import ConsentService
from bot.services.plans import DEFAULT_PLANS_DIR
from bot.simulation import SimMember, SimulatedDiscord
from bot.simulation.clock import DEFAULT_START
from bot.store.db import open_database
from bot.store.people import PeopleRepo
from bot.store.sessions import SessionRepo

ROOMS, MEMBERS = 20, 300
WORDS = ("recovery", "hope", "support", "friends", "walking", "nurse", "sleep", "work", "café", "🌱", "talk",
         "mornings", "the", "and", "it", "helped", "me", "when", "someone", "listened")


@dataclass
class Guild:
    sim: SimulatedDiscord
    bot: discord.Client
    members: list[SimMember]
    rooms: list[int]
    consenting: set[int]
    done: dict[int, float] = field(default_factory=dict)  # message id → when it was committed / seen
    stored: int = 0
    waiter: tuple[int, asyncio.Event] | None = None

    def finished(self, message_id: int, stored: bool) -> None:
        self.done[message_id] = time.perf_counter()
        self.stored += stored
        if self.waiter is not None and len(self.done) >= self.waiter[0]:
            self.waiter[1].set()


def _guild(seed: int) -> tuple[SimulatedDiscord, list[SimMember], int, list[int]]:
    sim = SimulatedDiscord(seed=seed)
    members = [sim.add_member(f"person-{n:03d}") for n in range(MEMBERS)]
    category = sim.add_category("blether-cafe")
    lobby = sim.add_text_channel("lobby", category_id=category)
    rooms = [sim.add_text_channel(f"room-{n}", category_id=category) for n in range(1, ROOMS + 1)]
    return sim, members, lobby, rooms


async def _cafe_in_store(target: str, sim: SimulatedDiscord, members: list[SimMember], lobby: int,
                         rooms: list[int]) -> set[int]:
    """The running café, written through the store's own repositories; returns who consented."""
    plan_path = DEFAULT_PLANS_DIR / "whats-next-for-recovery" / "plan.yaml"
    plan = parse_plan(plan_path.read_text(encoding="utf-8"), source=str(plan_path))
    starts = DEFAULT_START - timedelta(hours=2)
    consenting: set[int] = set()
    async with open_database(target) as db:
        sessions = SessionRepo(db)
        session_id = await sessions.create(
            guild_id=sim.guild_id, series="bench", plan_id=plan.id, plan_title=plan.title,
            plan_snapshot=plan.to_snapshot(), starts_at=starts, timezone="Europe/London", room_size=plan.room_size,
            rounds=[(r.id, r.title, r.minutes, r.rotate) for r in plan.rounds], steps=[], actor_id=1,
        )
        people = [await PeopleRepo(db).rsvp(session_id, m.id, going=True) for m in members]
        await sessions.record_opening(session_id, category_id=sim.channels[lobby]["parent_id"] and
                                      int(sim.channels[lobby]["parent_id"]), lobby_channel_id=lobby,
                                      rooms=[(f"room-{n}", c) for n, c in enumerate(rooms, start=1)])
        room_ids = [room.id for room in await sessions.rooms(session_id)]
        await sessions.start_round(session_id, 1, prompts=[(r, "What helps?") for r in room_ids],
                                   assignments=[(p, room_ids[i % ROOMS]) for i, p in enumerate(people)],
                                   later_steps=[], at=starts)
        consent = ConsentService(db)
        for i, member in enumerate(members):
            if i % 3 != 2:
                await consent.choose(session_id, member.id, Choice.RECORD, source=Source.BUTTON,
                                     at=starts + timedelta(minutes=1))
                consenting.add(member.id)
    return consenting


async def blether_guild(tmp: Path) -> Guild:
    sim, members, lobby, rooms = _guild(seed=11)
    settings = parse_settings({"BLETHER_DATABASE": str(tmp / "blether.sqlite3"),
                               "BLETHER_EXPORTS_DIR": str(tmp / "exports"), "BLETHER_PSEUDONYM_KEY": "ab" * 32})
    consenting = await _cafe_in_store(settings.database_target, sim, members, lobby, rooms)
    bot = BletherBot(settings, sync_commands=False)
    await sim.connect(bot)
    guild = Guild(sim, bot, members, rooms, consenting)
    capture = bot.services.capture
    handle = capture.on_message

    async def on_message(msg: Any) -> bool:
        stored = await handle(msg)
        guild.finished(msg.id, stored)
        return stored

    capture.on_message = on_message  # type: ignore[method-assign]
    return guild


async def noop_guild() -> Guild:
    sim, members, _, rooms = _guild(seed=11)
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=intents(), help_command=None)
    guild = Guild(sim, bot, members, rooms, set())

    @bot.listen("on_message")
    async def seen(message: discord.Message) -> None:
        guild.finished(message.id, False)

    await sim.connect(bot)
    return guild


def frames(guild: Guild, count: int, rng: random.Random) -> tuple[list[bytes], list[int]]:
    """`count` messages posted in the simulated Discord (so history holds them) as zlib-stream frames."""
    sim = guild.sim
    deflate = zlib.compressobj()
    out: list[bytes] = []
    ids: list[int] = []
    for n in range(count):
        who = rng.randrange(MEMBERS)
        sim.advance(0.0005)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30)))
        message = sim._post_as(guild.members[who], guild.rooms[who % ROOMS], text, None, ())
        payload = {"op": 0, "s": n + 1, "t": "MESSAGE_CREATE", "d": sim.message_payload(message)}
        out.append(deflate.compress(json.dumps(payload).encode()) + deflate.flush(zlib.Z_SYNC_FLUSH))
        ids.append(message.id)
    return out, ids


def websocket(bot: discord.Client) -> DiscordWebSocket:
    """discord.py's gateway object with a fresh zlib stream, wired to the bot as `from_client` wires it."""
    ws = DiscordWebSocket(None, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
    ws._connection = bot._connection  # type: ignore[attr-defined]
    ws._discord_parsers = bot._connection.parsers  # type: ignore[attr-defined]
    ws._dispatch = bot.dispatch
    ws.shard_id = None  # type: ignore[attr-defined]
    return ws


async def feed(guild: Guild, data: list[bytes], ids: list[int],
               rate: float | None) -> tuple[float, dict[int, float], float]:
    """Send the frames (all at once, or `rate` per second); returns (first send, send times, last done)."""
    guild.done.clear()
    guild.stored = 0
    event = asyncio.Event()
    guild.waiter = (len(data), event)
    ws = websocket(guild.bot)
    sent: dict[int, float] = {}
    began = time.perf_counter()
    for n, (frame, message_id) in enumerate(zip(data, ids, strict=True)):
        if rate is not None:
            due = began + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        sent[message_id] = time.perf_counter()
        await ws.received_message(frame)
        await asyncio.sleep(0)  # the socket's read loop gives the event loop a turn per frame
    await asyncio.wait_for(event.wait(), 120.0)
    guild.waiter = None
    return began, sent, max(guild.done.values())


@dataclass
class Run:
    rate: float  # messages handled per second, first send to last done
    p50_ms: float
    p99_ms: float
    stored: int


async def one_run(guild: Guild, count: int, rate: float | None, rng: random.Random) -> Run:
    data, ids = frames(guild, count, rng)
    began, sent, last = await feed(guild, data, ids, rate)
    consented = [guild.done[i] - sent[i] for i in ids
                 if not guild.consenting or guild.sim.message(i).author_id in guild.consenting]
    if guild.consenting:
        expected = sum(1 for i in ids if guild.sim.message(i).author_id in guild.consenting)
        if guild.stored != expected:
            raise AssertionError(f"stored {guild.stored} of {expected} consented messages")
    return Run(count / (last - began), percentile(consented, 50) * 1000, percentile(consented, 99) * 1000,
               guild.stored)


async def measure(rounds: int, flood: int, seconds: float) -> list[Figure]:
    logging.disable(logging.WARNING)
    rng = random.Random(5)
    flood_fig = Figure("capture flood", "msg/s", higher_is_better=True, target="≥ 0.3×")
    paced: dict[int, tuple[Figure, Figure, Figure]] = {}
    for per_second in (200, 2000):
        paced[per_second] = (
            Figure(f"paced {per_second}/s: drained", "msg/s", higher_is_better=True, target="= the rate"),
            Figure(f"paced {per_second}/s: p50 dispatch→commit", "ms"),
            Figure(f"paced {per_second}/s: p99 dispatch→commit", "ms",
                   target="≤ 50 ms" if per_second == 2000 else ""),
        )
    with tempfile.TemporaryDirectory(prefix="blether-bench-capture-") as tmp:
        blether = await blether_guild(Path(tmp))
        noop = await noop_guild()
        try:
            # A first short flood each way warms caches and code paths; it is not counted.
            for guild in (blether, noop):
                await one_run(guild, 200, None, rng)
            for _ in range(rounds):
                ours, ceiling = await one_run(blether, flood, None, rng), await one_run(noop, flood, None, rng)
                flood_fig.add(ours.rate, ceiling.rate)
                for per_second, (drained, p50, p99) in paced.items():
                    count = int(per_second * seconds)
                    ours = await one_run(blether, count, per_second, rng)
                    ceiling = await one_run(noop, count, per_second, rng)
                    drained.add(ours.rate, ceiling.rate)
                    p50.add(ours.p50_ms, ceiling.p50_ms)
                    p99.add(ours.p99_ms, ceiling.p99_ms)
        finally:
            await blether.sim.disconnect(blether.bot)
            await noop.sim.disconnect(noop.bot)
    return [flood_fig, *(f for trio in paced.values() for f in trio)]


def run(rounds: int, flood: int, seconds: float) -> list[Figure]:
    return asyncio.run(measure(rounds, flood, seconds))


def main(argv: list[str] | None = None, report: Callable[[list[Figure]], Awaitable[None] | None] | None = None
         ) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flood", type=int, default=3000, help="messages per flood round")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each paced round")
    args = parser.parse_args(argv)
    figures = run(args.rounds, args.flood, args.seconds)
    for figure in figures:
        print(figure.line())
    return figures


if __name__ == "__main__":
    main()
