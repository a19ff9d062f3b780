"""`blether …` on the host: run the bot, rehearse a café, check plans, export, purge, upgrade.

Every failure a person can cause ends in one readable message and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

from bot.config import Settings, SettingsError, load_settings
from bot.export.cli import add_export_parser, run_export_cli
from bot.services.plans import check_path, format_check_report
from bot.services.privacy import ErasureFailed, ErasureScope, PrivacyService
from bot.store.db import Database


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blether", description="Online conversation cafés on Discord.")
    parser.add_argument("--env-file", type=Path, default=Path(".env"), help="settings file (default: .env)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    commands.add_parser("run", help="go live on Discord (needs DISCORD_TOKEN)")

    rehearse = commands.add_parser("rehearse", help="run a whole café offline against a simulated Discord")
    rehearse.add_argument("--plan", default="whats-next-for-recovery", help="plan id or path")
    rehearse.add_argument("--participants", type=int, default=9, help="simulated participants (2-60)")
    rehearse.add_argument("--seed", type=int, default=1, help="same seed, same conversation")
    rehearse.add_argument("--speed", type=float, default=120.0, help="how many times faster than real time")
    rehearse.add_argument("--out", type=Path, required=True, help="folder for the exports and transcript")
    rehearse.add_argument("--quiet", action="store_true", help="print only the summary")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_commands.required = True
    db_commands.add_parser("upgrade", help="apply any new migrations")

    plans = commands.add_parser("plans", help="café plans")
    plan_commands = plans.add_subparsers(dest="plans_command", metavar="ACTION")
    plan_commands.required = True
    check = plan_commands.add_parser("check", help="validate plan files and list every problem")
    check.add_argument("path", nargs="?", type=Path, help="a plan.yaml, a plan folder, or a folder of plans")

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
            text, code = format_check_report(check_path(args.path))
            print(text)
            return code
        settings = load_settings(args.env_file)
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # APScheduler narrates every job at INFO; Blether logs what matters about each step itself.
        logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
        return asyncio.run(_dispatch(args, settings))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        return await _run(settings)
    if args.command == "rehearse":
        from bot.rehearsal.run import RehearsalError, rehearse

        try:
            await rehearse(plan=args.plan, participants=args.participants, seed=args.seed, speed=args.speed,
                           out=args.out, quiet=args.quiet)
        except RehearsalError as exc:
            print(f"rehearsal: {exc}", file=sys.stderr)
            return 2
        return 0
    async with Database(settings.database_path) as db:
        if args.command == "db":
            print(f"Database {settings.database_path} is at schema version {await db.schema_version()}.")
            return 0
        if args.command == "export":
            return await run_export_cli(args, db)
        if args.command == "purge":
            return await _purge(db, args, settings)
        if args.command == "erase":
            return await _erase(db, args)
    return 2


async def _run(settings: Settings) -> int:
    import discord

    from bot.bot import BletherBot

    token = settings.require_token()
    bot = BletherBot(settings)
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
