"""Tables before the café: people choosing theirs, the organiser's table plan, and what the opening
seats people by (who sits where, who hosts, who must or must not share a table).

Choices and the plan are wishes, not promises: the opening keeps tables even, so a choice or a
seat is honoured while the table has room and whoever does not fit goes to the least full table
(`bot/core/allocation.py`). Both are personal data (erased with the person, shown by `/mydata`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.allocation import Wishes
from bot.core.errors import UserError
from bot.core.facts import CafeFacts
from bot.core.table_plan import TablePlanError, parse_table_plan
from bot.core.timeline import SessionState
from bot.services.cafes import Cafes
from bot.store.attendance import AttendanceRepo


@dataclass(frozen=True)
class TableOption:
    """One table in the choice menu: its number, topic, how many chose it and how many fit."""

    number: int
    topic: str
    chosen: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.chosen >= self.capacity


@dataclass(frozen=True)
class OpeningWishes:
    """Everything the opening seats people by, in participant ids and tables counted from 0."""

    wishes: Wishes = field(default_factory=Wishes)
    named_hosts: Mapping[int, int] = field(default_factory=dict)  # participant → table


class TablesService:
    def __init__(self, cafes: Cafes) -> None:
        self.cafes = cafes
        self.attendance = AttendanceRepo(cafes.db)

    async def menu(self, session_id: int) -> list[TableOption]:
        """The tables to choose from, if the plan asks people to choose and the café has not opened."""
        session = await self.cafes.refreshed(session_id)
        plan = CafeFacts.of(session).plan
        if not plan.tables.choose or session.state is not SessionState.SCHEDULED:
            return []
        counts = Counter(table for _, table in await self.attendance.table_choices(session_id))
        return [TableOption(n, topic, counts[n], session.room_size)
                for n, topic in enumerate(plan.table_topics(), start=1)]

    async def choose(self, session_id: int, discord_user_id: int, number: int, guild_id: int | None = None) -> str:
        """Record a person's table; a full table is refused with the ones that still have room."""
        await self.cafes.require(session_id, guild_id)
        async with self.cafes.lock(session_id):
            session = await self.cafes.refreshed(session_id)
            if session.state is not SessionState.SCHEDULED:
                raise UserError("The café has opened, so tables are set; your room is in the café's channel list.")
            person = await self.cafes.people.participant_id(discord_user_id)
            if person is None or not await self.cafes.people.is_going(session_id, person):
                raise UserError("Press **I'll join** on the café's invitation first, then choose your table.")
            options = {o.number: o for o in await self.menu(session_id)}
            option = options.get(number)
            if option is None:
                raise UserError("That table is not on this café's list any more; choose again from the menu.")
            mine = dict(await self.attendance.table_choices(session_id)).get(person)
            if option.full and mine != number:
                free = [f"{o.number} ({o.topic})" for o in options.values() if not o.full]
                raise UserError(f"Table {number} ({option.topic}) is full: {option.chosen} people chose it. "
                                + (f"Tables with room: {', '.join(free)}." if free else
                                   "Every table is full; you'll be seated at the least full one when the café opens."))
            await self.attendance.choose_table(session_id, person, number)
        return (f"You chose table {number}: **{option.topic}**. When the café opens you'll sit there if it still has "
                "room in an even split, otherwise at the least full table. You can choose again until then.")

    async def upload(self, session_id: int, guild_id: int, text: str, names: Mapping[str, Sequence[int]],
                     actor_id: int) -> str:
        """Replace the café's table plan with this one, or refuse it whole, every problem listed."""
        session = await self.cafes.require(session_id, guild_id)
        if session.state is not SessionState.SCHEDULED:
            raise UserError(f"Café #{session_id} has already opened; a table plan is used when the rooms are made.")
        plan = CafeFacts.of(session).plan
        try:
            parsed = parse_table_plan(text, names=names, topics=plan.table_topics())
        except TablePlanError as exc:
            shown = exc.problems[:40]
            more = len(exc.problems) - len(shown)
            raise UserError("Nothing was saved; fix these lines and upload the file again:\n"
                            + "\n".join(f"- {p}" for p in shown)
                            + (f"\n…and {more} more." if more > 0 else "")) from None
        async with self.cafes.lock(session_id):
            await self.attendance.replace_wishes(session_id, parsed.seats, parsed.pairs)
        await self.cafes.audit.record(guild_id, session_id, actor_id, "table_plan",
                                      f"seats={len(parsed.seats)} pairs={len(parsed.pairs)}")
        hosts = sum(host for _, _, host in parsed.seats)
        return (f"Saved the table plan for café #{session_id}: {len(parsed.seats)} seat(s), {hosts} host(s), "
                f"{len(parsed.pairs)} pair(s). It replaces any earlier plan and is used when the rooms are made; "
                "people not in it are seated around it.")

    async def for_opening(self, session_id: int, going: Sequence[tuple[int, int]]) -> OpeningWishes:
        """The wishes of the people `going` ((participant, Discord id)), ready for `seat`."""
        by_discord = {discord_id: person for person, discord_id in going}
        fixed: dict[int, int] = {}
        named: dict[int, int] = {}
        apart: list[tuple[int, int]] = []
        together: list[tuple[int, int]] = []
        for kind, who, table, host, other in await self.attendance.wishes(session_id):
            person = by_discord.get(who)
            if person is None:
                continue
            if kind == "seat" and table is not None:
                fixed[person] = table - 1
                if host:
                    named[person] = table - 1
            elif other is not None and (partner := by_discord.get(other)) is not None:
                (apart if kind == "apart" else together).append((person, partner))
        going_ids = set(by_discord.values())
        choices = {person: table - 1 for person, table in await self.attendance.table_choices(session_id)
                   if person in going_ids}
        return OpeningWishes(Wishes(fixed=fixed, choices=choices, together=together, apart=apart), named)
