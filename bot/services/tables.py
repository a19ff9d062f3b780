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

    async def arrange(self, session_id: int, guild_id: int, actor_id: int, *, text: str | None = None,
                      names: Mapping[str, Sequence[int]] | None = None, choose: bool | None = None) -> str:
        """The organiser's `/cafe tables`: a table plan (replacing the café's earlier one) and/or
        whether people choose their table. Everything is checked before anything is stored, so a
        refusal (every bad line of the plan listed at once) leaves the café as it was.

        Choice changes this café's copy of its plan, not the plan, and needs the plan's topics."""
        async with self.cafes.lock(session_id):
            session = await self.cafes.require(session_id, guild_id)
            if session.state is not SessionState.SCHEDULED:
                raise UserError(f"Café #{session_id} has already opened; tables were set when the rooms were made.")
            plan = CafeFacts.of(session).plan
            if choose and not plan.tables.topics:
                raise UserError(f"Café #{session_id}'s plan has no table topics to choose from. Add them to the plan "
                                "(`tables:` → `topics:`, see the README) and schedule the café from it. "
                                "Nothing was saved.")
            parsed = None
            if text is not None:
                try:
                    parsed = parse_table_plan(text, names=names or {}, topics=plan.table_topics())
                except TablePlanError as exc:
                    shown = exc.problems[:40]
                    more = len(exc.problems) - len(shown)
                    raise UserError("Nothing was saved; fix these lines and upload the file again:\n"
                                    + "\n".join(f"- {p}" for p in shown)
                                    + (f"\n…and {more} more." if more > 0 else "")) from None
            said = []
            if parsed is not None:
                await self.attendance.replace_wishes(session_id, parsed.seats, parsed.pairs)
                await self.cafes.audit.record(guild_id, session_id, actor_id, "table_plan",
                                              f"seats={len(parsed.seats)} pairs={len(parsed.pairs)}")
                hosts = sum(host for _, _, host in parsed.seats)
                said.append(f"Saved the table plan for café #{session_id}: {len(parsed.seats)} seat(s), "
                            f"{hosts} host(s), {len(parsed.pairs)} pair(s). It replaces any earlier plan and is used "
                            "when the rooms are made; people not in it are seated around it.")
            if choose is not None:
                changed = plan.model_copy(update={"tables": plan.tables.model_copy(update={"choose": choose})})
                await self.cafes.sessions.set_plan_snapshot(session_id, changed.to_snapshot())
                await self.cafes.audit.record(guild_id, session_id, actor_id, "table_choice", f"choose={int(choose)}")
                said.append(f"People who say they'll join café #{session_id} from now on choose their table from "
                            f"{len(plan.tables.topics)} topics; those who joined already can press **I'll join** "
                            "again." if choose else
                            f"People no longer choose their table at café #{session_id}; choices made so far "
                            "still count.")
        return "\n\n".join(said) or "Give a table plan (`file:`), `choose:`, or both."

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
