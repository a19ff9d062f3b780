"""Settings: defaults, every problem reported at once, and the token message."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, parse_settings


def test_defaults_need_nothing_set() -> None:
    settings = parse_settings({})
    assert settings.discord_token is None
    assert settings.database_path == Path("blether.sqlite3")
    assert settings.timezone == "Europe/London"
    assert settings.log_level == "INFO"
    assert settings.retention_days == 180
    assert settings.dev_guild_id is None
    assert settings.pseudonym_key is None
    assert settings.organiser_role != settings.facilitator_role


def test_good_values_are_read() -> None:
    settings = parse_settings({
        "DISCORD_TOKEN": " tok ", "BLETHER_TIMEZONE": "Europe/Dublin", "BLETHER_LOG_LEVEL": "debug",
        "BLETHER_DEV_GUILD_ID": "123456789012345678", "BLETHER_PSEUDONYM_KEY": "ab" * 16,
        "BLETHER_RETENTION_DAYS": "30",
    })
    assert settings.require_token() == "tok"
    assert settings.timezone == "Europe/Dublin"
    assert settings.log_level == "DEBUG"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.retention_days == 30


def test_every_bad_value_is_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({
            "BLETHER_TIMEZONE": "Mars/Olympus", "BLETHER_LOG_LEVEL": "loud", "BLETHER_DEV_GUILD_ID": "my server",
            "BLETHER_PSEUDONYM_KEY": "short", "BLETHER_RETENTION_DAYS": "forever",
            "BLETHER_ORGANISER_ROLE": "Hosts", "BLETHER_FACILITATOR_ROLE": "hosts",
        })
    problems = caught.value.problems
    assert len(problems) == 6
    for name in ("BLETHER_TIMEZONE", "BLETHER_LOG_LEVEL", "BLETHER_DEV_GUILD_ID", "BLETHER_PSEUDONYM_KEY",
                 "BLETHER_RETENTION_DAYS", "BLETHER_ORGANISER_ROLE"):
        assert sum(name in p for p in problems) == 1, name
    assert "6 problem(s)" in str(caught.value)


@pytest.mark.parametrize("days", ["0", "3651", "-5", "1.5"])
def test_retention_outside_one_to_3650_days_is_refused(days: str) -> None:
    with pytest.raises(SettingsError, match="BLETHER_RETENTION_DAYS"):
        parse_settings({"BLETHER_RETENTION_DAYS": days})


def test_missing_token_says_where_to_put_it() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"DISCORD_TOKEN": "  "}).require_token()
    assert "DISCORD_TOKEN is not set" in str(caught.value)
    assert ".env" in str(caught.value)


@pytest.mark.parametrize("zone", ["x" * 256, "posix/Europe/London", "right/Europe/London", "localtime", "Factory"])
def test_a_time_zone_must_be_a_place_in_the_zone_database(zone: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"BLETHER_TIMEZONE": zone})
    [problem] = caught.value.problems
    assert problem.startswith("BLETHER_TIMEZONE:") and "Europe/London" in problem


def test_paths_and_role_names_that_cannot_work_are_reported(tmp_path: Path) -> None:
    a_file = tmp_path / "exports.txt"
    a_file.write_text("")
    with pytest.raises(SettingsError) as caught:
        parse_settings({
            "BLETHER_DATABASE": str(tmp_path), "BLETHER_EXPORTS_DIR": str(a_file),
            "BLETHER_ORGANISER_ROLE": "o" * 101,
        })
    problems = caught.value.problems
    assert len(problems) == 3
    for name in ("BLETHER_DATABASE", "BLETHER_EXPORTS_DIR", "BLETHER_ORGANISER_ROLE"):
        assert sum(p.startswith(name) for p in problems) == 1, name
