"""REST calls per café operation (open, round, rotation, recall, close) for R = 5, 20, 50 rooms.

The real bot drives a café through discord.py's own dispatch against the simulated Discord, which
records every REST and webhook call; the figure is the number of calls an operation made, the
ceiling the minimum from `bot.core.rest_minimum` (the one place the documented minima live, see
docs/rest-calls.md). Counts are deterministic, so one round is enough: the ratio is exact.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path

from common import ROOT, Figure

sys.path.insert(0, str(ROOT / "tests" / "cogs"))

from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.core.rest_minimum import OPERATIONS, minimum_calls
from bot.simulation import SimulatedDiscord

ROOM_SIZE = 2


def _calls(sim: SimulatedDiscord, since: int) -> list[str]:
    return [f"{c.method} {c.template}" for c in sim.calls[since:]]


async def one_cafe(rooms: int, tmp: Path) -> tuple[dict[str, tuple[int, Counter[str]]], str]:
    """Run a café with `rooms` rooms of two; the calls each operation made, and why it stopped
    early if Discord refused an operation (the operations after it are not measured)."""
    sim, parts = make_guild(seed=rooms, people=0)
    parts["people"] = [sim.add_member(f"person-{n:03d}") for n in range(rooms * ROOM_SIZE)]
    settings = make_settings(tmp)
    bot = await start_bot(sim, settings)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    made: dict[str, tuple[int, Counter[str]]] = {}
    refused = ""
    try:
        await cafe.setup()
        session_id = await cafe.schedule("in 2 hours", room_size=ROOM_SIZE)
        for person in cafe.people:
            await cafe.join(session_id, person)

        async def measured(operation: str, command: str, channel: int) -> bool:
            since = len(sim.calls)
            result = await sim.slash(bot, cafe.facilitator if operation != "open" else cafe.organiser, command,
                                     channel_id=channel, cafe=session_id)
            calls = _calls(sim, since)
            if not calls:
                raise AssertionError(f"{operation} made no calls: {result.content}")
            made[operation] = (len(calls), Counter(calls))
            return "Discord refused" not in result.content

        if not await measured("open", "cafe open", cafe.announcements):
            refused = "open refused by Discord: a category holds at most 50 channels (the lobby + R rooms)"
        else:
            opened = await bot.services.cafes.sessions.rooms(session_id)
            if len(opened) != rooms:
                raise AssertionError(f"expected {rooms} rooms, the café opened {len(opened)}")
            await measured("rotation", "cafe next", cafe.hosts)  # round 2 of the shipped plan rotates
            await measured("round", "cafe next", cafe.hosts)  # round 3 keeps people where they are
            await measured("close", "cafe close", cafe.hosts)
    finally:
        await sim.disconnect(bot)
    return made, refused


async def measure(sizes: tuple[int, ...]) -> tuple[list[Figure], dict[tuple[int, str], Counter[str]]]:
    logging.disable(logging.WARNING)
    figures: list[Figure] = []
    detail: dict[tuple[int, str], Counter[str]] = {}
    for rooms in sizes:
        with tempfile.TemporaryDirectory(prefix="blether-bench-rest-") as tmp:
            made, refused = await one_cafe(rooms, Path(tmp))
        for operation in OPERATIONS:
            figure = Figure(f"REST {operation}, R = {rooms}", "calls", target="= 1.00")
            minimum = minimum_calls(operation, rooms=rooms, people=rooms * ROOM_SIZE)
            if operation in made:
                count, calls = made[operation]
                detail[(rooms, operation)] = calls
                figure.add(count, minimum)
                figure.note = refused if operation == "open" else ""
            else:
                figure.add(float("nan"), minimum)
                figure.note = "not reached: " + refused
            figures.append(figure)
    return figures, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", default="5,20,50")
    parser.add_argument("--detail", action="store_true", help="print each operation's calls by route")
    args = parser.parse_args()
    figures, detail = asyncio.run(measure(tuple(int(r) for r in args.rooms.split(","))))
    for figure in figures:
        print(figure.line())
    if args.detail:
        for (rooms, operation), calls in detail.items():
            print(f"R={rooms} {operation}: {dict(calls)}")


if __name__ == "__main__":
    main()
