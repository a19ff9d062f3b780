"""The organiser's table plan: a small CSV saying who sits where, who hosts, and who must (not) sit
together. Pure: it reads text it is given and a directory of the server's names.

Organisers are not programmers and a plan is usually written in a spreadsheet, so every line's
problem is listed at once, each with its line number and what to write instead, and nothing is
kept unless every line is right. The format (also in the README)::

    # Lines starting with # are notes. A first line "person,table,host" is a heading and skipped.
    123456789012345678,2,host        a Discord user id, a table number, and "host" to host it
    Ailsa Grant,Recovery and work    a server name (display name or username), a table topic
    apart,Ailsa Grant,Bruce          these two never share a table
    together,Catriona,123456789012345678   these two always do
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

#: Beyond this many lines a plan is not a table plan (a café has at most a few hundred people).
MAX_LINES: Final = 2000
#: A café without table topics may still name tables by number, up to this many.
MAX_TABLES: Final = 100
_PAIR_KINDS: Final = ("apart", "together")


@dataclass(frozen=True)
class TablePlan:
    """Seats are (Discord id, table number from 1, hosts it); pairs are (kind, Discord id, Discord id)."""

    seats: list[tuple[int, int, bool]] = field(default_factory=list)
    pairs: list[tuple[str, int, int]] = field(default_factory=list)


class TablePlanError(ValueError):
    """Every line that is wrong, as `line N: what to fix`."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def parse_table_plan(text: str, *, names: Mapping[str, Sequence[int]], topics: Sequence[str],
                     tables: int | None = None) -> TablePlan:
    """Read a table plan, or raise `TablePlanError` listing every problem.

    `names` maps each casefolded server name to the ids it may mean (two people can share a display
    name, which is then refused as ambiguous). A table is a number from 1 to `tables` (the number of
    topics if there are topics, else up to `MAX_TABLES`) or one of the `topics`, in any case.
    """
    count = tables if tables is not None else (len(topics) or MAX_TABLES)
    by_topic = {topic.casefold(): n for n, topic in enumerate(topics, start=1)}
    problems: list[str] = []
    plan = TablePlan()
    seated: dict[int, int] = {}
    hosted: dict[int, int] = {}
    paired: dict[frozenset[int], tuple[str, int]] = {}
    known = ", ".join(repr(t) for t in topics) if topics else "none (this café's plan has no table topics)"
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise TablePlanError([f"the file has {len(lines)} lines; a table plan has at most {MAX_LINES}"])
    for number, line in enumerate(lines, start=1):
        try:
            cells = [cell.strip() for cell in next(csv.reader([line]), [])]
        except csv.Error:
            problems.append(f"line {number}: this is not a CSV line (is a quote left open?)")
            continue
        while cells and not cells[-1]:
            cells.pop()
        if not cells or cells[0].startswith("#"):
            continue
        if number == 1 and [c.casefold() for c in cells[:2]] == ["person", "table"]:
            continue
        where = f"line {number}"
        if cells[0].casefold() in _PAIR_KINDS:
            kind = cells[0].casefold()
            if len(cells) != 3:
                problems.append(f"{where}: write `{kind},first person,second person` (got {len(cells)} columns)")
                continue
            first, second = _who(cells[1], names, where, problems), _who(cells[2], names, where, problems)
            if first is None or second is None:
                continue
            if first == second:
                problems.append(f"{where}: a {kind} pair needs two different people")
                continue
            key = frozenset((first, second))
            if key in paired:
                before, first_line = paired[key]
                problems.append(f"{where}: this pair is already on line {first_line} ({before}); keep one of the two")
                continue
            paired[key] = (kind, number)
            plan.pairs.append((kind, first, second))
            continue
        if len(cells) < 2 or len(cells) > 3:
            problems.append(f"{where}: write `person,table` or `person,table,host` "
                            f"(or start with apart/together), got {len(cells)} column(s)")
            continue
        person = _who(cells[0], names, where, problems)
        table = _table(cells[1], count, by_topic, known, where, problems)
        host = len(cells) == 3
        if host and cells[2].casefold() != "host":
            problems.append(f"{where}: the third column is `host` or nothing (got {cells[2]!r})")
            continue
        if person is None or table is None:
            continue
        if person in seated:
            problems.append(f"{where}: this person is already seated on line {seated[person]}; keep one line")
            continue
        if host and table in hosted:
            problems.append(f"{where}: table {table} already has a host (line {hosted[table]}); one host a table")
            continue
        seated[person] = number
        if host:
            hosted[table] = number
        plan.seats.append((person, table, host))
    seats = {person: table for person, table, _ in plan.seats}
    for kind, first, second in plan.pairs:
        if kind == "apart" and first in seats and seats[first] == seats.get(second):
            problems.append(f"line {paired[frozenset((first, second))][1]}: these two must sit apart, but both are "
                            f"seated at table {seats[first]}")
        if kind == "together" and first in seats and second in seats and seats[first] != seats[second]:
            problems.append(f"line {paired[frozenset((first, second))][1]}: these two must sit together, but are "
                            f"seated at tables {seats[first]} and {seats[second]}")
    if problems:
        raise TablePlanError(problems)
    return plan


def _who(cell: str, names: Mapping[str, Sequence[int]], where: str, problems: list[str]) -> int | None:
    """A Discord user id (digits), a mention, or a server name that means exactly one person."""
    raw = cell.removeprefix("<@").removeprefix("!").removesuffix(">") if cell.startswith("<@") else cell
    if raw.isdigit() and 17 <= len(raw) <= 20:
        return int(raw)
    if not cell:
        problems.append(f"{where}: a person is missing; write their Discord user id or server name")
        return None
    found = list(dict.fromkeys(names.get(cell.casefold(), ())))
    if len(found) == 1:
        return found[0]
    if found:
        problems.append(f"{where}: {len(found)} people on this server are called {cell!r}; use their Discord "
                        "user id instead (right-click → Copy User ID)")
    else:
        problems.append(f"{where}: nobody on this server is called {cell!r}; check the spelling or use their "
                        "Discord user id")
    return None


def _table(cell: str, count: int, by_topic: Mapping[str, int], known: str, where: str,
           problems: list[str]) -> int | None:
    if cell.isdigit():
        table = int(cell)
        if 1 <= table <= count:
            return table
        problems.append(f"{where}: there is no table {table}; tables are numbered 1 to {count}")
        return None
    table_number = by_topic.get(cell.casefold())
    if table_number is not None:
        return table_number
    problems.append(f"{where}: {cell!r} is neither a table number nor a topic; the topics are {known}")
    return None
