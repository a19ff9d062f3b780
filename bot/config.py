"""Settings from the environment and `.env`, checked all at once.

Start-up fails with one message listing every problem, because an organiser fixing a `.env`
file one error per restart is a poor first hour with the tool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from bot.core.when import TimezoneError, valid_timezone
from bot.store.db import is_postgres_url

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_ROLE_NAME = 100
#: How long recorded words are kept after a café when neither the host nor the server says otherwise.
DEFAULT_RETENTION_DAYS = 180


class SettingsError(ValueError):
    """Every problem with the settings, each with how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Blether's settings need fixing ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class Settings:
    discord_token: str | None
    database_path: Path
    timezone: str
    organiser_role: str
    facilitator_role: str
    pseudonym_key: str | None
    log_level: str
    dev_guild_id: int | None
    exports_dir: Path
    retention_days: int
    #: ask Discord for the privileged Server Members intent: only to offer the RSVP button to
    #: people who mark a café's event Interested (discord.py passes that on only for known members)
    members_intent: bool = False
    #: BLETHER_DATABASE as given: a SQLite file path, or a ``postgresql://`` URL (which a Path
    #: would mangle, so `database_path` is only meaningful for SQLite). Read it as `database_target`.
    database: str = ""

    @property
    def database_target(self) -> str:
        """What `open_database` takes: the URL or path as set (Settings made in code may give only a path)."""
        return self.database or str(self.database_path)

    def require_token(self) -> str:
        if not self.discord_token:
            raise SettingsError(
                [
                    "DISCORD_TOKEN is not set. Put your bot token in a .env file next to where you run "
                    "Blether (copy .env.example to .env) or export DISCORD_TOKEN. The README's "
                    "'Going live on Discord' section shows where to find the token."
                ]
            )
        return self.discord_token


def load_settings(env_file: Path | None = Path(".env"), environ: Mapping[str, str] | None = None) -> Settings:
    """Read `.env` (if present) under the real environment, which wins, and validate it."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return parse_settings(values)


def parse_settings(values: Mapping[str, str]) -> Settings:
    problems: list[str] = []

    def get(name: str, default: str = "") -> str:
        return values.get(name, default).strip()

    timezone = get("BLETHER_TIMEZONE", "Europe/London") or "Europe/London"
    try:
        timezone = valid_timezone(timezone)
    except TimezoneError as exc:
        problems.append(f"BLETHER_TIMEZONE: {exc}")

    log_level = (get("BLETHER_LOG_LEVEL", "INFO") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"BLETHER_LOG_LEVEL={log_level!r} is not one of {', '.join(LOG_LEVELS)}.")

    dev_guild_id: int | None = None
    raw_guild = get("BLETHER_DEV_GUILD_ID")
    if raw_guild:
        if raw_guild.isdigit() and 15 <= len(raw_guild) <= 21:
            dev_guild_id = int(raw_guild)
        else:
            problems.append(
                f"BLETHER_DEV_GUILD_ID={raw_guild!r} is not a server id. In Discord turn on Developer "
                "Mode, right-click your server and choose 'Copy Server ID'; or leave it empty."
            )

    key = get("BLETHER_PSEUDONYM_KEY") or None
    if key is not None and (len(key) < 32 or any(c not in "0123456789abcdefABCDEF" for c in key)):
        problems.append(
            "BLETHER_PSEUDONYM_KEY must be at least 32 hexadecimal characters (for example the output of "
            "`python -c \"import secrets; print(secrets.token_hex(32))\"`), or empty to let Blether "
            "generate one and keep it in the database."
        )

    retention_days = DEFAULT_RETENTION_DAYS
    raw_retention = get("BLETHER_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS)) or str(DEFAULT_RETENTION_DAYS)
    if raw_retention.isdigit() and 1 <= int(raw_retention) <= 3650:
        retention_days = int(raw_retention)
    else:
        problems.append(f"BLETHER_RETENTION_DAYS={raw_retention!r} must be a whole number of days from 1 to 3650.")

    organiser_role = get("BLETHER_ORGANISER_ROLE", "Café organiser") or "Café organiser"
    facilitator_role = get("BLETHER_FACILITATOR_ROLE", "Café facilitator") or "Café facilitator"
    if organiser_role.casefold() == facilitator_role.casefold():
        problems.append("BLETHER_ORGANISER_ROLE and BLETHER_FACILITATOR_ROLE must name different roles.")
    for name, role in (("BLETHER_ORGANISER_ROLE", organiser_role), ("BLETHER_FACILITATOR_ROLE", facilitator_role)):
        if len(role) > MAX_ROLE_NAME:
            problems.append(f"{name} is {len(role)} characters long; Discord role names have at most {MAX_ROLE_NAME}.")

    database = get("BLETHER_DATABASE", "blether.sqlite3") or "blether.sqlite3"
    if not is_postgres_url(database) and Path(database).is_dir():
        problems.append(f"BLETHER_DATABASE={database!r} is a folder; give a file name such as data/blether.sqlite3.")
    exports_dir = get("BLETHER_EXPORTS_DIR", "exports") or "exports"
    if Path(exports_dir).exists() and not Path(exports_dir).is_dir():
        problems.append(f"BLETHER_EXPORTS_DIR={exports_dir!r} is a file, not a folder; name a folder for exports.")

    raw_members = (get("BLETHER_SERVER_MEMBERS_INTENT", "no") or "no").lower()
    if raw_members not in ("yes", "no"):
        problems.append(f"BLETHER_SERVER_MEMBERS_INTENT={raw_members!r} must be yes or no.")

    if problems:
        raise SettingsError(problems)
    return Settings(
        discord_token=get("DISCORD_TOKEN") or None,
        database_path=Path(database),
        database=database,
        timezone=timezone,
        organiser_role=organiser_role,
        facilitator_role=facilitator_role,
        pseudonym_key=key,
        log_level=log_level,
        dev_guild_id=dev_guild_id,
        exports_dir=Path(exports_dir),
        retention_days=retention_days,
        members_intent=raw_members == "yes",
    )
