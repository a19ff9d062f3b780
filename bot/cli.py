"""`blether …` on the host: run the bot, sync its commands, rehearse a café, check plans, list cafés, export,
purge, upgrade.

Every failure a person can cause ends in one readable message and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as date_parser

from bot.config import Settings, SettingsError, load_settings
from bot.export.cli import add_export_parser, run_export_cli
from bot.services.plans import DEFAULT_PLANS_DIR, check_path, format_check_report
from bot.services.privacy import ErasureFailed, ErasureScope, PrivacyService
from bot.store.copy import CopyRefused, copy_database
from bot.store.db import Database, DatabaseUnavailable, SchemaTooNew, is_postgres_url, open_database, redacted
from bot.store.overview import list_cafes

log = logging.getLogger(__name__)

#: Blether's own loggers: these follow BLETHER_LOG_LEVEL.
BLETHER_LOGGERS: Final = ("bot", "cogs")
#: Other libraries' loggers and the most they may say, whatever BLETHER_LOG_LEVEL is. At DEBUG
#: discord.py logs every gateway event it receives (everyone's words, names and ids) and
#: aiosqlite every statement with its values (the words again); APScheduler narrates every job
#: at INFO, and Blether logs what matters about each step itself.
LIBRARY_LEVELS: Final[Mapping[str, int]] = {
    "discord": logging.INFO,
    "aiosqlite": logging.WARNING,
    "asyncpg": logging.WARNING,
    "apscheduler": logging.WARNING,
    "asyncio": logging.WARNING,
}
_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _BletherHandler(logging.StreamHandler):  # type: ignore[type-arg]  # stderr's stream type is not generic here
    """Blether's own handler, so configuring twice (tests, a restart in-process) adds it once."""


def configure_logging(level: str) -> None:
    """Log Blether's own records at ``level`` and everybody else's at WARNING (INFO for discord.py).

    Turning Blether up to DEBUG to chase a problem must never turn on another library's
    payload logging: the log file would then hold what people said in a café.
    """
    chosen = logging.getLevelName(level)
    root = logging.getLogger()
    if not any(isinstance(handler, _BletherHandler) for handler in root.handlers):
        handler = _BletherHandler()
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(max(logging.WARNING, chosen))
    for name in BLETHER_LOGGERS:
        logging.getLogger(name).setLevel(chosen)
    for name, most in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(most, chosen))


def _plans_folder(value: str) -> Path:
    """``--plans DIR``: an organiser's own folder of plans, checked when the command starts so a
    typo is reported at once rather than as "no such plan" halfway through a café."""
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a folder; give the folder that holds <plan-id>/plan.yaml")
    return folder


def _server_id(value: str) -> int:
    """``--guild ID``: a Discord server id, as Developer Mode's 'Copy Server ID' gives it."""
    if not (value.isdigit() and 15 <= len(value) <= 21):
        raise argparse.ArgumentTypeError(f"{value!r} is not a server id; in Discord turn on Developer Mode, "
                                         "right-click the server and choose 'Copy Server ID'")
    return int(value)


def _add_plans_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plans", type=_plans_folder, default=DEFAULT_PLANS_DIR, metavar="DIR",
                        help="folder of your own plans, one <plan-id>/plan.yaml each (default: the shipped plans)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blether", description="Online conversation cafés on Discord.")
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default: .env)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser("run", help="go live on Discord (needs DISCORD_TOKEN)")
    _add_plans_option(run)

    sync = commands.add_parser(
        "sync", help="register the slash commands with Discord now, then exit (needs DISCORD_TOKEN)")
    sync.add_argument("--guild", type=_server_id, metavar="ID",
                      help="register them on this server only (they show there at once; for trying them out)")
    _add_plans_option(sync)

    rehearse = commands.add_parser("rehearse", help="run a whole café offline against a simulated Discord")
    rehearse.add_argument("--plan", default="whats-next-for-recovery", help="plan id or path")
    rehearse.add_argument("--participants", type=int, default=9, help="simulated participants (2-60)")
    rehearse.add_argument("--seed", type=int, default=1, help="same seed, same conversation")
    rehearse.add_argument("--speed", type=float, default=120.0, help="how many times faster than real time")
    rehearse.add_argument("--out", type=Path, required=True, help="folder for the exports and transcript")
    rehearse.add_argument("--quiet", action="store_true", help="print only the summary")
    _add_plans_option(rehearse)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_commands.required = True
    db_commands.add_parser("upgrade", help="apply any new migrations (SQLite or PostgreSQL, as BLETHER_DATABASE says)")
    copy = db_commands.add_parser("copy", help="copy a SQLite database into a new, empty PostgreSQL database")
    copy.add_argument("--from", dest="source", required=True, metavar="SQLITE_PATH", help="the SQLite database file")
    copy.add_argument("--to", dest="target", required=True, metavar="POSTGRESQL_URL",
                      help="postgresql://user@host/database (an empty database)")

    plans = commands.add_parser("plans", help="café plans")
    plan_commands = plans.add_subparsers(dest="plans_command", metavar="ACTION")
    plan_commands.required = True
    check = plan_commands.add_parser("check", help="validate plan files and list every problem")
    target = check.add_mutually_exclusive_group()
    target.add_argument("path", nargs="?", type=Path, help="a plan.yaml, a plan folder, or a folder of plans")
    target.add_argument("--plans", type=_plans_folder, metavar="DIR",
                        help="a folder of plans, as given to rehearse and run (default: the shipped plans)")

    cafes = commands.add_parser("cafes", help="list the cafés: id, server, series, plan, start, state, counts")
    cafes.add_argument("--server", type=int, metavar="ID", help="only this server's cafés (its Discord id)")

    add_export_parser(commands)

    purge = commands.add_parser("purge", help="organisers: delete the words of cafés that started before a date")
    purge.add_argument("--before", required=True, help="a date, e.g. 2026-06-01")
    purge.add_argument("--yes", action="store_true", help="don't ask for confirmation")

    erase = commands.add_parser(
        "erase", help="the data controller's erasure: everything held about one Discord user, on every server")
    erase.add_argument("--user", type=int, required=True, help="their Discord user id")
    erase.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "plans":
            text, code = format_check_report(check_path(args.path or args.plans))
            print(text)
            return code
        settings = load_settings(args.env_file)
        configure_logging(settings.log_level)
        return asyncio.run(_dispatch(args, settings))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return await _run(settings, args.plans)
    if args.command == "sync":
        return await _sync(settings, args.plans, args.guild)
    if args.command == "rehearse":
        from bot.rehearsal.run import RehearsalError, rehearse

        try:
            await rehearse(plan=args.plan, participants=args.participants, seed=args.seed, speed=args.speed,
                           out=args.out, quiet=args.quiet, plans_dir=args.plans)
        except RehearsalError as exc:
            print(f"rehearsal: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "db" and args.db_command == "copy":
        return await _copy(args.source, args.target)
    try:
        return await _with_database(args, settings)
    except (SchemaTooNew, DatabaseUnavailable) as exc:
        print(exc, file=sys.stderr)
        return 2


async def _with_database(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(settings.database_target) as db:
        if args.command == "db":
            done = ", ".join(str(n) for n in db.upgraded) or "none needed"
            print(f"Database {redacted(settings.database_target)} is at schema version {await db.schema_version()} "
                  f"(migrations applied now: {done}).")
            return 0
        if args.command == "cafes":
            return await _cafes(db, args.server)
        if args.command == "export":
            return await run_export_cli(args, db)
        if args.command == "purge":
            return await _purge(db, args, settings)
        if args.command == "erase":
            return await _erase(db, args)
    return 2


async def _copy(source: str, target: str) -> int:
    """`blether db copy`: an existing SQLite deployment into a new PostgreSQL database."""
    if is_postgres_url(source) or not await asyncio.to_thread(Path(source).is_file):
        print(f"--from {source!r} is not a SQLite database file; give the path of blether.sqlite3.", file=sys.stderr)
        return 2
    if not is_postgres_url(target):
        print(f"--to {target!r} is not a PostgreSQL URL; give postgresql://user@host/database.", file=sys.stderr)
        return 2
    try:
        async with open_database(source) as old, open_database(target) as new:
            print(f"Copying {source} into {redacted(target)}, table by table (source rows → copied rows):")
            copied = await copy_database(old, new)
    except (CopyRefused, SchemaTooNew, DatabaseUnavailable) as exc:
        print(f"Nothing was copied: {exc}" if isinstance(exc, CopyRefused) else exc, file=sys.stderr)
        return 2
    print(f"Copied {sum(c.target for c in copied)} row(s) in {len(copied)} tables; every count matches. "
          f"Set BLETHER_DATABASE={redacted(target)} to run on it.")
    return 0


async def _cafes(db: Database, server: int | None) -> int:
    """A table for the host: the ids `blether export --session` takes, and what each café holds."""
    cafes = await list_cafes(db, server)
    if not cafes:
        print("No cafés" + (f" on server {server}." if server is not None else " yet."))
        return 0
    header = ("id", "server", "series", "plan", "start", "state", "people", "contributions")
    lines = [header] + [
        (str(c.id), str(c.guild_id), c.series, c.plan_title, _local_start(c.starts_at, c.timezone), c.state,
         str(c.people), str(c.contributions))
        for c in cafes
    ]
    widths = [min(max(len(line[i]) for line in lines), 40) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell[:40].ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    return 0


def _local_start(moment: datetime, zone: str) -> str:
    """The start in the café's own time zone, as its organisers set it."""
    try:
        moment = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


async def _run(settings: Settings, plans_dir: Path) -> int:
    import discord

    from bot.bot import BletherBot

    token = settings.require_token()
    bot = BletherBot(settings, plans_dir=plans_dir)
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        print("Discord rejected DISCORD_TOKEN. Copy a fresh token from the Developer Portal (Bot → Reset Token) "
              "into .env.", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print("Discord refused the Message Content intent. In the Developer Portal open your application → Bot "
              "and switch on 'Message Content Intent', then start Blether again.", file=sys.stderr)
        return 2
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        print(f"Blether could not reach Discord ({exc or type(exc).__name__}). Check the network, then start "
              "Blether again.", file=sys.stderr)
        return 1
    except (SchemaTooNew, DatabaseUnavailable) as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:
        # Anything left is a fault of Blether's own: the operator gets one sentence, and the
        # traceback only when they asked for BLETHER_LOG_LEVEL=DEBUG to chase it.
        log.debug("Blether stopped", exc_info=exc)
        print(f"Blether stopped because of an unexpected error ({type(exc).__name__}). "
              "Start it again with `blether run`; if it keeps happening, run it with BLETHER_LOG_LEVEL=DEBUG and "
              "report what it logs.", file=sys.stderr)
        return 1
    return 0


async def _sync(settings: Settings, plans_dir: Path, guild_id: int | None) -> int:
    """Log in (no gateway connection, no café timers), sync the commands whatever the last sync
    recorded, record what Discord accepted, and exit. A running bot is not disturbed: it shares the
    database, and its next start sees the commands already in sync."""
    import discord

    from bot.bot import BletherBot

    token = settings.require_token()
    bot = BletherBot(settings, plans_dir=plans_dir, commands_only=True)
    try:
        async with bot:
            await bot.login(token)
            outcome = await bot.command_sync.sync(guild_id, force=True)
    except discord.LoginFailure:
        print("Discord rejected DISCORD_TOKEN. Copy a fresh token from the Developer Portal (Bot → Reset Token) "
              "into .env.", file=sys.stderr)
        return 2
    except (discord.HTTPException, OSError) as exc:
        print(f"Blether could not reach Discord ({exc or type(exc).__name__}). Check the network, then run "
              "`blether sync` again.", file=sys.stderr)
        return 1
    if outcome.failure is not None:
        print(outcome.describe(), file=sys.stderr)
        return 1
    print(outcome.describe())
    if failed := bot.failed_extensions:
        print(f"Left out because they failed to load: {', '.join(sorted(failed))}.", file=sys.stderr)
    return 0


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        print("Refusing to delete without confirmation: add --yes.", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


async def _purge(db: Database, args: argparse.Namespace, settings: Settings) -> int:
    try:
        parsed = date_parser.parse(args.before, dayfirst=True)
    except (ValueError, OverflowError):
        print(f"--before {args.before!r} is not a date. Use e.g. 2026-06-01.", file=sys.stderr)
        return 2
    before = parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(settings.timezone))
    if before > datetime.now(UTC):
        print("--before is in the future; that would delete the words of cafés still to come. Pick a past date.",
              file=sys.stderr)
        return 2
    if not _confirm(f"Delete every contribution of cafés that started before {before:%Y-%m-%d %H:%M %Z}?", args.yes):
        return 1
    deleted = await PrivacyService(db).purge_before(before)
    print(f"Deleted {deleted} contribution(s) of cafés that started before {before:%Y-%m-%d}.")
    return 0


async def _erase(db: Database, args: argparse.Namespace) -> int:
    if not _confirm(f"Erase everything Blether holds about Discord user {args.user}?", args.yes):
        return 1
    try:
        erasure = await PrivacyService(db).erase_person(args.user, ErasureScope.everywhere())
    except ErasureFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    print(erasure.describe())
    return 0
