"""The fewest Discord REST calls each café operation can make, as formulas in the number of rooms.

One place for the documented minima (docs/rest-calls.md explains each term), so the benchmark
(bench/rest_bench.py) and any test that holds an operation to its minimum read the same numbers.
Each counts what Discord's API cannot do with fewer calls:

- a slash command that may take longer than Discord's three seconds is deferred and then answered:
  2 calls;
- a channel is created with its permission overwrites in the same call, so seating people at
  opening costs nothing extra;
- a room's membership changes with one `PATCH /channels/{id}` carrying the whole overwrite list,
  however many people arrive or leave (one per room whose people change; a rotation changes all);
- each room's message (a prompt, closing words) is one `POST` per room, and the lobby's one more;
- a DM to someone the bot has not written to before opens the DM channel first: 2 calls.
"""

from __future__ import annotations

#: The operations with a minimum here (a café's "recall to the lobby" does not exist yet).
OPERATIONS: tuple[str, ...] = ("open", "round", "rotation", "close")

_ANSWER = 2  # the deferral and the answer of a slash command


def minimum_calls(operation: str, *, rooms: int, people: int) -> int:
    """The documented minimum for `operation` on a café of `rooms` rooms and `people` people coming."""
    if rooms < 1 or people < 0:
        raise ValueError("a café has at least one room and no negative number of people")
    if operation == "open":
        # category, lobby, each room (with its overwrites), the lobby's welcome, each room's first prompt
        return _ANSWER + 2 + rooms + 1 + rooms
    if operation == "round":
        # each room's prompt and the lobby's notice
        return _ANSWER + rooms + 1
    if operation == "rotation":
        # each room's new overwrite list, its prompt, and the lobby's notice
        return _ANSWER + rooms + rooms + 1
    if operation == "close":
        # each room's and the lobby's closing words and lock, and the feedback offer by DM
        # (opening each person's DM channel, then the message)
        return _ANSWER + 2 * (rooms + 1) + 2 * people
    raise ValueError(f"no documented minimum for {operation!r}: one of {', '.join(OPERATIONS)}")
