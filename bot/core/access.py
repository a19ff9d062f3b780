"""Who may see and write in each of a café's channels, as a pure function of the café's state.

Room access is never changed person by person: every control (a round, a rotation, a move, a
pause, a recall, closing one room, the close) changes the stored state, and each channel's whole
overwrite list is computed here from it and applied in one call per channel. So whatever happened
before (a crash part-way, two controls in a row), applying the computed list makes Discord match
the store, and the cost of a change is one call per channel whose list changed.

The adapter turns the levels into the chat platform's permission bits; this module knows only
"read" and "write". Everyone not listed (and @everyone) cannot see the channel at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from math import ceil
from typing import Final


class Level(StrEnum):
    READ = "read"    # sees the channel and its history, cannot write or react
    WRITE = "write"  # sees, writes, reacts and attaches files


@dataclass(frozen=True)
class ChannelAccess:
    """A channel's complete overwrite list (besides @everyone hidden and the bot's own), sorted so
    two equal accesses compare equal."""

    roles: tuple[tuple[int, Level], ...]
    members: tuple[tuple[int, Level], ...]

    def level_of(self, member_id: int) -> Level | None:
        return dict(self.members).get(member_id)


@dataclass(frozen=True)
class FloorState:
    """What of a café's state bears on every channel at once."""

    staff_roles: tuple[int, ...]
    #: the timeline is stopped: rooms are read-only until it resumes
    paused: bool = False
    #: everyone is called back to the lobby: rooms are read-only until they are sent out again
    recalled: bool = False
    #: the café is closing or closed: every channel is read-only, staff included
    ended: bool = False


def _access(staff: Iterable[int], staff_level: Level, members: Iterable[int], level: Level) -> ChannelAccess:
    return ChannelAccess(roles=tuple((r, staff_level) for r in sorted(set(staff))),
                         members=tuple((m, level) for m in sorted(set(members))))


def room_access(floor: FloorState, members: Iterable[int], *, room_closed: bool = False) -> ChannelAccess:
    """A breakout room: its people write while the round runs; during a pause, a recall, once the
    room is closed by a facilitator or the café has ended they can read back but not write. Staff
    roles write until the café ends (they may need to step in anywhere)."""
    quiet = floor.paused or floor.recalled or room_closed or floor.ended
    staff_level = Level.READ if floor.ended else Level.WRITE
    return _access(floor.staff_roles, staff_level, members, Level.READ if quiet else Level.WRITE)


def lobby_access(floor: FloorState, everyone: Iterable[int]) -> ChannelAccess:
    """The lobby is where everyone meets (and, when recalled, where they talk): writable by all
    who are coming until the café ends. A pause leaves it open, so people can ask what is happening."""
    level = Level.READ if floor.ended else Level.WRITE
    return _access(floor.staff_roles, level, everyone, level)


#: Discord's limits: a category holds at most 50 channels, a server at most 500 (categories included).
CATEGORY_SIZE: Final = 50
SERVER_CHANNELS: Final = 500


def category_of(room_number: int) -> int:
    """Which of a café's categories (1, 2, …) holds room `room_number`: the first holds the lobby and
    rooms 1–49, each later one fifty rooms."""
    if room_number < CATEGORY_SIZE:
        return 1
    return 1 + ceil((room_number - (CATEGORY_SIZE - 1)) / CATEGORY_SIZE)


def categories_needed(rooms: int) -> int:
    return category_of(rooms) if rooms else 1


def channels_needed(rooms: int) -> int:
    """Every channel an opening makes: its categories, the lobby and the rooms."""
    return categories_needed(rooms) + 1 + rooms


def room_for_channels(existing: int, rooms: int) -> str | None:
    """Why a server with `existing` channels cannot take a café of `rooms` rooms, or None if it can."""
    needed = channels_needed(rooms)
    if existing + needed <= SERVER_CHANNELS:
        return None
    return (f"This café needs {needed} channels ({categories_needed(rooms)} categor"
            f"{'y' if categories_needed(rooms) == 1 else 'ies'}, the lobby and {rooms} rooms), but the server "
            f"already has {existing} of Discord's {SERVER_CHANNELS}. Delete {existing + needed - SERVER_CHANNELS} "
            "unused channels, or make the rooms larger so fewer are needed, then open it again.")
