"""The store's SQL is written once for both backends. This reads the source (not the database), so
SQL merged from a branch written before the PostgreSQL port fails here with what to change, rather
than only on PostgreSQL at run time. The rules are docs/ARCHITECTURE.md, "Writing SQL for both
backends"."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.store.db import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "bot" / "store"
MIGRATIONS = STORE / "migrations"
#: The backends themselves: the only place a dialect's own statements may appear.
BACKEND_MODULES = {"sqlite.py", "postgres.py"}
SEE = "see docs/ARCHITECTURE.md, 'Writing SQL for both backends'"

SQL = re.compile(r"\bSELECT\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
                 r"\bCREATE\s+TABLE\b|\bPRAGMA\b", re.I)
#: (pattern, what to write instead) for shared SQL in repositories.
UNPORTED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\?\d*"), "a '?' placeholder: number them $1, $2, … (a value used twice may reuse its number)"),
    (re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b", re.I),
     "INSERT OR …: use INSERT … ON CONFLICT (…) DO NOTHING / DO UPDATE SET col = excluded.col"),
    (re.compile(r"\bPRAGMA\b", re.I), "PRAGMA: only bot/store/sqlite.py may use it; ask the Database (tables(), "
                                      "foreign_keys_to())"),
    (re.compile(r"\bBEGIN\s+IMMEDIATE\b", re.I), "BEGIN IMMEDIATE: use `async with db.transaction() as tx`"),
    (re.compile(r"\b(instr|strftime|datetime|julianday|group_concat|ifnull|json_\w+)\s*\(", re.I),
     "a SQLite-only function: compute it in Python, or use LIKE, COALESCE, CASE (same in both)"),
    (re.compile(r"\b(MIN|MAX)\s*\([^()]*,[^()]*\)", re.I),
     "two-argument MIN/MAX (SQLite only): use CASE WHEN a < b THEN a ELSE b END"),
    (re.compile(r"\bsqlite_master\b", re.I), "sqlite_master: ask the Database (tables(), foreign_keys_to())"),
    (re.compile(r"\bAS\s+INTEGER\b", re.I), "CAST(… AS INTEGER) overflows a Discord id on PostgreSQL: AS BIGINT"),
]


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant in a module (implicitly joined pieces come as one), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _repositories() -> list[Path]:
    return sorted(p for p in STORE.glob("*.py") if p.name not in BACKEND_MODULES)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def unported(path: Path) -> list[str]:
    problems = []
    for line, text in _strings(path):
        if not SQL.search(text):
            continue
        for pattern, instead in UNPORTED:
            if pattern.search(text):
                problems.append(f"{_name(path)}:{line}: {instead} ({SEE})")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("lastrowid", "rowcount"):
            problems.append(f"{_name(path)}:{node.lineno}: cursor.{node.attr}: use "
                            f"`INSERT … RETURNING id` with tx.fetch_one, and the count tx.execute returns ({SEE})")
        if isinstance(node, ast.AsyncWith) and any(
                isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
                and item.context_expr.func.attr == "execute" for item in node.items):
            problems.append(f"{_name(path)}:{node.lineno}: `async with conn.execute(…) as cur`: read with "
                            f"`await tx.fetch_one(…)` / `tx.fetch_all(…)`; `tx.execute` returns the rows changed "
                            f"({SEE})")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "now_iso":
            problems.append(f"{_name(path)}:{node.lineno}: now_iso(): pass db.now() (an aware datetime); "
                            f"the SQLite backend stores its ISO text, PostgreSQL a timestamptz ({SEE})")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args
                and re.search(r"(^|_)(id|by)$", ast.unparse(node.args[0]))):
            problems.append(f"{_name(path)}:{node.lineno}: str({ast.unparse(node.args[0])}): a Discord "
                            f"id is passed as a Python int (BIGINT in PostgreSQL) ({SEE})")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("aiosqlite", "sqlite3", "asyncpg") for n in names):
                problems.append(f"{_name(path)}:{node.lineno}: a driver import: repositories use "
                                f"Tx and Row from bot.store.db ({SEE})")
    return problems


@pytest.mark.parametrize("path", _repositories(), ids=lambda p: p.name)
def test_repository_sql_is_written_for_both_backends(path: Path) -> None:
    problems = unported(path)
    assert not problems, "SQL not yet ported to both backends:\n" + "\n".join(problems)


def test_the_checker_catches_sql_written_the_old_way(tmp_path: Path) -> None:
    old = tmp_path / "old_style.py"
    old.write_text(
        "async def f(conn):\n"
        "    cur = await conn.execute('INSERT OR IGNORE INTO t (a) VALUES (?)', (1,))\n"
        "    await conn.execute(\"SELECT instr(text, ?) FROM t WHERE x = ?\", (1, 2))\n"
        "    await conn.execute('PRAGMA foreign_keys=ON')\n"
        "    async with conn.execute('SELECT a FROM t') as cursor:\n"
        "        await cursor.fetchone()\n"
        "    await conn.execute('UPDATE t SET at = ? WHERE guild_id = ?', (db.now_iso(), str(guild_id)))\n"
        "    return cur.lastrowid\n",
        encoding="utf-8",
    )
    found = "\n".join(unported(old))
    for expected in ("'?' placeholder", "INSERT OR", "SQLite-only function", "PRAGMA", "lastrowid", "now_iso",
                     "async with conn.execute", "str(guild_id)"):
        assert expected in found, expected


def _numbers(backend: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for path in sorted((MIGRATIONS / backend).glob("*.sql")):
        match = re.match(r"^(\d{3})_", path.name)
        assert match, f"{_name(path)}: a migration is named NNN_what_it_does.sql"
        number = int(match.group(1))
        assert number not in found, f"two {backend} migrations numbered {number:03d}: {found.get(number)}, {path.name}"
        found[number] = path.name
    return found


def test_every_migration_has_its_twin_in_the_other_backend() -> None:
    numbers = {backend: _numbers(backend) for backend in BACKENDS}
    stray = sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert not stray, (f"migrations {stray} sit directly in bot/store/migrations: move each to migrations/sqlite/ "
                       f"and write its PostgreSQL twin in migrations/postgresql/ with the same number ({SEE})")
    for backend in BACKENDS:
        for other in BACKENDS:
            missing = sorted(set(numbers[backend]) - set(numbers[other]))
            assert not missing, (f"migration(s) {[numbers[backend][n] for n in missing]} of {backend} have no "
                                 f"{other} twin: add migrations/{other}/NNN_….sql with the same number ({SEE})")


@pytest.mark.parametrize("path", sorted((MIGRATIONS / "postgresql").glob("*.sql")), ids=lambda p: p.name)
def test_postgresql_migrations_use_no_sqlite_constructs(path: Path) -> None:
    text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
    for construct in (r"\bAUTOINCREMENT\b", r"\bWITHOUT\s+ROWID\b", r"\bjson_valid\b", r"\bIFNULL\b", r"\bPRAGMA\b",
                      r"\bINSERT\s+OR\b", r"\?"):
        assert not re.search(construct, text, re.I), f"{path.name}: {construct} is SQLite's, not PostgreSQL's"
