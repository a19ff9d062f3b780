"""The layers hold: arrows point down only, and drivers and discord stay where they belong.

Read from the source with `ast`, so a stray import anywhere (even inside a function) fails here.
"""

from __future__ import annotations

import ast
import re
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


OUTSIDE_THE_STORE = [p for p in sources("bot", "cogs") if not p.is_relative_to(ROOT / "bot/store")]
#: A statement, not a word: "SELECT x FROM", "INSERT INTO", "UPDATE t SET", "DELETE FROM".
SQL = re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b", re.S)


@pytest.mark.parametrize("path", OUTSIDE_THE_STORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_database_drivers_stay_in_the_store(path: Path) -> None:
    """Nothing above the store (the simulation included) names a driver: layers name `bot.store.db`'s
    `Database`, `Tx` and `Row`, so either backend can sit under them."""
    assert not {m for m in imported_modules(path) if _top(m) in {"aiosqlite", "sqlite3", "asyncpg"}}


@pytest.mark.parametrize("path", OUTSIDE_THE_STORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_lives_in_the_store(path: Path) -> None:
    """Every statement is a repository method in bot/store, written once for both backends."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value)]
    assert found == [], f"SQL outside bot/store: move it into a repository method ({found[0][:60]!r})"
