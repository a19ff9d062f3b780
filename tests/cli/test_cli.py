"""The host commands: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.db import available_migrations

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_"))}
    env.update({"BLETHER_DATABASE": str(tmp_path / "db.sqlite3"), **extra})
    return env


def _blether(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), *args],
                          cwd=tmp_path, env=_env(tmp_path, **extra), capture_output=True, text=True, timeout=60,
                          check=False)


def test_run_without_a_token_says_where_to_put_one(tmp_path: Path) -> None:
    result = _blether(tmp_path, "run")
    assert result.returncode != 0
    assert "DISCORD_TOKEN is not set" in result.stderr and ".env" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_settings_are_listed_together(tmp_path: Path) -> None:
    result = _blether(tmp_path, "db", "upgrade", BLETHER_TIMEZONE="Mars/Olympus", BLETHER_LOG_LEVEL="LOUD")
    assert result.returncode == 2
    assert "2 problem(s)" in result.stderr and "Mars/Olympus" in result.stderr and "LOUD" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_reports_the_schema_version(tmp_path: Path) -> None:
    result = _blether(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"schema version {available_migrations()[-1][0]}." in result.stdout


def test_plans_check_passes_the_shipped_plans_and_fails_a_broken_one(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plans", "check", str(ROOT / "prompts")]) == 0
    assert "whats-next-for-recovery" in capsys.readouterr().out
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plan.yaml").write_text("id: broken\ntitle: [unclosed\n")
    assert main(["plans", "check", str(broken / "plan.yaml")]) == 1
    assert "starts on line 2" in capsys.readouterr().out


def test_purge_refuses_without_confirmation_and_a_future_date(tmp_path: Path) -> None:
    unconfirmed = _blether(tmp_path, "purge", "--before", "2020-01-01")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    future = _blether(tmp_path, "purge", "--before", "2999-01-01", "--yes")
    assert future.returncode == 2 and "future" in future.stderr
    nonsense = _blether(tmp_path, "purge", "--before", "someday", "--yes")
    assert nonsense.returncode == 2 and "not a date" in nonsense.stderr
    done = _blether(tmp_path, "purge", "--before", "2020-01-01", "--yes")
    assert done.returncode == 0 and "Deleted 0 contribution(s)" in done.stdout


def test_export_of_an_unknown_session_is_a_clear_error(tmp_path: Path) -> None:
    result = _blether(tmp_path, "export", "--session", "42", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "42" in result.stderr and "Traceback" not in result.stderr
