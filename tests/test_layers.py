"""The layers hold: arrows point down only, and drivers and discord stay where they belong.

Read from the source with `ast`, so a stray import anywhere (even inside a function) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.mark.parametrize("path", sources("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_under_bot_imports_the_cogs(path: Path) -> None:
    assert not {m for m in imported_modules(path) if _top(m) == "cogs"}


@pytest.mark.parametrize("path", sources("bot/core", "bot/services", "bot/export"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_domain_services_and_exports_do_not_know_discord(path: Path) -> None:
    assert not {m for m in imported_modules(path) if _top(m) == "discord"}


@pytest.mark.parametrize("path", [p for p in sources("bot", "cogs")
                                  if not p.is_relative_to(ROOT / "bot/store")
                                  and not p.is_relative_to(ROOT / "bot/simulation")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_database_drivers_stay_in_the_store(path: Path) -> None:
    assert not {m for m in imported_modules(path) if _top(m) in {"aiosqlite", "sqlite3", "asyncpg"}}
