"""The host commands: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.services.plans import DEFAULT_PLANS_DIR
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
    assert f"schema version {available_migrations()[-1][0]} " in result.stdout


def test_plans_check_passes_the_shipped_plans_and_fails_a_broken_one(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plans", "check", str(ROOT / "prompts")]) == 0
    assert "whats-next-for-recovery" in capsys.readouterr().out
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "plan.yaml").write_text("id: broken\ntitle: [unclosed\n")
    assert main(["plans", "check", str(broken / "plan.yaml")]) == 1
    assert "starts on line 2" in capsys.readouterr().out


def test_plans_check_takes_an_organisers_plans_folder_and_refuses_a_missing_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (ROOT / "prompts" / "whats-next-for-recovery" / "plan.yaml").read_text(encoding="utf-8")
    (tmp_path / "our-cafe").mkdir()
    (tmp_path / "our-cafe" / "plan.yaml").write_text(shipped.replace("id: whats-next-for-recovery", "id: our-cafe", 1))
    assert main(["plans", "check", "--plans", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "our-cafe" in out and "whats-next-for-recovery" not in out

    with pytest.raises(SystemExit) as exit_info:
        main(["plans", "check", "--plans", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["plans", "check", str(tmp_path), "--plans", str(tmp_path)])
    assert "not allowed with argument path" in capsys.readouterr().err


def test_run_and_rehearse_take_a_plans_folder_defaulting_to_the_shipped_plans(tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["run", "--plans", str(tmp_path)]).plans == tmp_path
    assert parser.parse_args(["run"]).plans == DEFAULT_PLANS_DIR
    assert parser.parse_args(["rehearse", "--out", "x", "--plans", str(tmp_path)]).plans == tmp_path
    result = _blether(tmp_path, "run", "--plans", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr and "Traceback" not in result.stderr


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


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--out", "/dev/null"), "system folder"),
        (("--out", "/proc/self"), "system folder"),
        (("--out", "existing.txt"), "is a file, not a folder"),
        (("--out", "out", "--rounds", "99999999999999999999999"), "numbers from 1 to 1000"),
        (("--out", "out", "--rooms", "0,2"), "numbers from 1 to 1000"),
    ],
)
def test_export_out_and_numbers_that_cannot_work_say_what_to_fix(tmp_path: Path, args: tuple[str, ...],
                                                                   says: str) -> None:
    (tmp_path / "existing.txt").write_text("keep me")
    result = _blether(tmp_path, "export", "--session", "1", *args)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert (tmp_path / "existing.txt").read_text() == "keep me"
