"""Finding, loading and checking café plans on disk.

Plans live in ``prompts/<plan-id>/plan.yaml``. Organisers refer to a plan by its id
(the folder name); the CLI may also pass a path. Loading is async because the bot calls
it from command handlers, and reading files must not stall the event loop; checking is
sync because only the CLI (``blether plans check``) uses it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import prompts
from bot.core.plan import SLUG_PATTERN, Plan, PlanError, PlanProblem, parse_plan

log = logging.getLogger(__name__)

#: The shipped plans (the ``prompts`` package's folder), found through the import system so
#: both a checkout and a non-editable install find them from any working directory.
DEFAULT_PLANS_DIR: Final = prompts.PLANS_DIR
PLAN_FILE: Final = "plan.yaml"


class PlanNotFound(ValueError):
    """No plan matches what was asked for; the message names the plans there are."""

    def __init__(self, ref: str, available: Sequence[str]) -> None:
        self.ref = ref
        self.available = list(available)
        if self.available:
            message = f"There is no plan called '{ref}'. Available plans: {', '.join(self.available)}."
        else:
            message = f"There is no plan called '{ref}', and no plans are available."
        super().__init__(message)


@dataclass(frozen=True)
class PlanSummary:
    """What a plan listing shows: enough to choose a plan without opening it."""

    id: str
    title: str
    rounds: int
    minutes: int

    @classmethod
    def of(cls, plan: Plan) -> PlanSummary:
        """Summarise a parsed plan."""
        return cls(id=plan.id, title=plan.title, rounds=len(plan.rounds), minutes=plan.total_minutes)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one plan file: the plan if it is usable, else its problems."""

    path: Path
    problems: list[PlanProblem] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        """True when the plan parsed with no problems."""
        return not self.problems


def _display(path: Path) -> str:
    """A path as a person would type it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


def _plan_folders(plans_dir: Path) -> list[Path]:
    """Folders directly in ``plans_dir`` that hold a plan file, sorted by name."""
    if not plans_dir.is_dir():
        return []
    return sorted(child for child in plans_dir.iterdir() if (child / PLAN_FILE).is_file())


#: Parsed plans (or their problems) by file, with the modification time and size they were
#: parsed at. Plan autocomplete lists every plan on each keystroke; parsing (which renders
#: every template) only happens again when a file changes.
_CACHE: dict[tuple[Path, bool], tuple[tuple[int, int], Plan | PlanError]] = {}
_CACHE_LIMIT: Final = 256


def _read_plan(path: Path, *, folder_is_id: bool) -> Plan:
    """Read and parse one plan file, or reuse the parse while the file is unchanged.

    Raises :class:`PlanError` for anything wrong with it (broken plans are remembered too, so
    a plan listing does not re-parse them either).
    """
    try:
        info = path.stat()
    except OSError:
        return _parse_plan_file(path, folder_is_id=folder_is_id)
    key, stamp = (path.resolve(), folder_is_id), (info.st_mtime_ns, info.st_size)
    cached = _CACHE.get(key)
    if cached is None or cached[0] != stamp:
        try:
            outcome: Plan | PlanError = _parse_plan_file(path, folder_is_id=folder_is_id)
        except PlanError as exc:
            outcome = exc
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[key] = (stamp, outcome)
    if isinstance(cached[1], PlanError):
        raise PlanError(cached[1].problems)
    return cached[1]


def _parse_plan_file(path: Path, *, folder_is_id: bool) -> Plan:
    """Read and parse one plan file; raise :class:`PlanError` for anything wrong with it.

    ``folder_is_id`` is set when the plan was found by scanning a plans folder: there the
    folder name is how people ask for the plan, so the id inside must agree with it.
    """
    source = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanError([PlanProblem(source, "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise PlanError([PlanProblem(source, f"cannot be read: {exc.strerror or exc}")]) from None
    plan = parse_plan(text, source=source)
    folder = path.parent.name
    if folder_is_id and plan.id != folder:
        raise PlanError(
            [
                PlanProblem(
                    "id",
                    f"is '{plan.id}' but the plan's folder is '{folder}'; "
                    "they must match (change the id or rename the folder)",
                )
            ]
        )
    return plan


def _load_plan_sync(ref: str, plans_dir: Path) -> Plan:
    if re.fullmatch(SLUG_PATTERN, ref):
        by_id = plans_dir / ref / PLAN_FILE
        if by_id.is_file():
            return _read_plan(by_id, folder_is_id=True)
    path = Path(ref).expanduser()
    if path.is_dir():
        path = path / PLAN_FILE
    if path.is_file():
        return _read_plan(path, folder_is_id=False)
    raise PlanNotFound(ref, [folder.name for folder in _plan_folders(plans_dir)])


async def load_plan(ref: str, plans_dir: Path = DEFAULT_PLANS_DIR) -> Plan:
    """Load a plan by id (``prompts/<id>/plan.yaml``), or from a path to a plan file or its folder.

    Raises :class:`PlanNotFound` when nothing matches, and
    :class:`~bot.core.plan.PlanError` (listing every problem) when the plan is broken.
    An id is looked up first, so a plan id never gets mistaken for a folder in the
    working directory.
    """
    return await asyncio.to_thread(_load_plan_sync, ref, plans_dir)


def _list_plans_sync(plans_dir: Path) -> list[PlanSummary]:
    summaries = []
    for folder in _plan_folders(plans_dir):
        try:
            summaries.append(PlanSummary.of(_read_plan(folder / PLAN_FILE, folder_is_id=True)))
        except PlanError as exc:
            log.warning("Skipping broken plan %s:\n%s", folder.name, exc)
    return summaries


async def list_plans(plans_dir: Path = DEFAULT_PLANS_DIR) -> list[PlanSummary]:
    """Summaries of the usable plans, by id. Broken plans are left out (and logged):
    ``blether plans check`` is where their problems are shown."""
    return await asyncio.to_thread(_list_plans_sync, plans_dir)


def _check_file(path: Path, *, folder_is_id: bool) -> CheckResult:
    try:
        return CheckResult(path, plan=_read_plan(path, folder_is_id=folder_is_id))
    except PlanError as exc:
        return CheckResult(path, problems=exc.problems)


def check_path(path: Path | None = None) -> list[CheckResult]:
    """Check plans without loading them into a café: one file, one plan folder, or a
    folder of plan folders (by default every plan in ``prompts/``).

    Always returns at least one result, so a wrong path is reported rather than passing
    silently as "nothing to check".
    """
    target = DEFAULT_PLANS_DIR if path is None else path
    if target.is_file():
        return [_check_file(target, folder_is_id=False)]
    if not target.is_dir():
        return [CheckResult(target, problems=[PlanProblem(_display(target), "no such file or folder")])]
    if (target / PLAN_FILE).is_file():
        return [_check_file(target / PLAN_FILE, folder_is_id=False)]
    folders = _plan_folders(target)
    if not folders:
        problem = PlanProblem(_display(target), f"no plans here: expected a {PLAN_FILE}, or folders that each hold one")
        return [CheckResult(target, problems=[problem])]
    return [_check_file(folder / PLAN_FILE, folder_is_id=True) for folder in folders]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_check_report(results: Sequence[CheckResult]) -> tuple[str, int]:
    """The report ``blether plans check`` prints, and its exit code (0 all good, 1 otherwise)."""
    lines = []
    for result in results:
        shown = _display(result.path)
        if result.plan is not None and result.ok:
            plan = result.plan
            lines.append(f"✓ {shown}: {_plural(len(plan.rounds), 'round')}, {_plural(plan.total_minutes, 'minute')}")
        else:
            lines.append(f"✗ {shown}: {_plural(len(result.problems), 'problem')}")
            lines.extend(f"    {problem}" for problem in result.problems)
    failed = sum(not result.ok for result in results)
    checked = _plural(len(results), "plan")
    lines.append(f"{checked} checked, all good." if not failed else f"{checked} checked, {failed} with problems.")
    return "\n".join(lines), 1 if failed else 0
