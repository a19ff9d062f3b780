"""`/cafe …`: organisers schedule and export, facilitators drive the café. Each command parses,
checks the role (a decorator), calls one service and renders the reply."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.models import Session
from bot.core.timeline import DEFAULT_REMINDERS, SessionState
from bot.core.when import WhenError, describe, parse_reminders, stamp, stamps
from bot.export.request import DEFAULT_FORMATS, FORMATS, parse_day, parse_numbers, parse_words
from bot.services.exports import ExportDelivery, ExportError, ExportRequest, KeptBecause, send_export
from bot.services.plans import list_plans
from bot.services.privacy import ErasureFailed, ErasureScope
from bot.services.scheduling import MAX_CAPACITY, Draft, ScheduleRequest, overlap_names
from cogs._common import (
    CafeOption,
    add_buttons,
    blether,
    cafe_here,
    config_of,
    is_organiser,
    organisers_only,
    reply,
    safely,
)

#: Discord's upload limit for a server without boosts, for an interaction that carries no guild.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
FORMAT_CHOICES = [
    app_commands.Choice(name="Default: CSV, JSONL, notes, report, QDPX and feedback", value="default"),
    app_commands.Choice(name="Everything: the default and the codebook (QDC)", value="all"),
    app_commands.Choice(name="Codebook only (QDC: rounds and themes as codes)", value="qdc"),
    app_commands.Choice(name="Spreadsheet (CSV)", value="csv"),
    app_commands.Choice(name="Session notes (Markdown)", value="md"),
    app_commands.Choice(name="Report (HTML)", value="html"),
    app_commands.Choice(name="NVivo / ATLAS.ti / MAXQDA (QDPX)", value="qdpx"),
    app_commands.Choice(name="Scripts (JSONL)", value="jsonl"),
    app_commands.Choice(name="Feedback survey (CSV)", value="feedback"),
]
FORMAT_SETS = {"default": DEFAULT_FORMATS, "all": FORMATS}
SCRUB_CHOICES = [
    app_commands.Choice(name="Default: only in the HTML report", value="default"),
    app_commands.Choice(name="Scrub every format", value="yes"),
    app_commands.Choice(name="Scrub no format", value="no"),
]
SCRUB_VALUES: dict[str, bool | None] = {"default": None, "yes": True, "no": False}
SOURCE_CHOICES = [
    app_commands.Choice(name="One source per room and round (default)", value="room_round"),
    app_commands.Choice(name="One source per café", value="session"),
]
CAFE_HELP = "The café (default: the one this channel belongs to, or the only one under way)"


def _listed_line(session: Session, when: str, going: int) -> str:
    running = f" (round {session.current_round}/{session.round_count})" if session.state is SessionState.RUNNING \
        else ""
    return f"#{session.id} **{session.plan_title}** — {when} — {session.state.value}{running} — {going} coming"


def _minutes(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day(s)"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour(s)"
    return f"{minutes} minutes"


def draft_text(draft: Draft) -> str:
    """What the organiser checks before anything is created: the instant in everyone's own zone,
    the server-zone reading it came from, and any overlap that Confirm would accept."""
    lines = [
        f"**{draft.plan.title}** on {stamps(draft.starts_at)}, until {stamp(draft.ends_at, 't')}.",
        f"I read `{draft.request.when[:100]}` as {describe(draft.starts_at, draft.timezone)}.",
        f"Rooms of up to {draft.room_size}" + (f"; {draft.request.capacity} places" if draft.request.capacity
                                                else "; no limit on places") + ".",
        "Reminders by DM: " + (", ".join(_minutes(m) for m in sorted(draft.request.reminders, reverse=True))
                               + " before." if draft.request.reminders else "none."),
    ]
    if draft.overlaps:
        lines.append(f"⚠️ It overlaps {overlap_names(draft.overlaps)}. **Confirm** schedules it anyway.")
    lines.append("Press **Confirm** to schedule it and post the invitation in this channel, or **Change** to give "
                 "another time. (This waits 15 minutes.)")
    return "\n".join(lines)


def draft_view(key: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton(key))
    view.add_item(ChangeButton(key))
    return view


async def _organiser_config(interaction: discord.Interaction) -> Any:
    """Buttons pass no command checks: the same organiser rule, asked here."""
    config = None if interaction.guild_id is None else await blether(interaction).services.servers.get(
        interaction.guild_id)
    if config is None or not is_organiser(interaction.user, config):
        raise UserError("Only organisers can schedule cafés.")
    return config


class ConfirmButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"blether:sched:ok:(?P<key>[A-Za-z0-9_-]{1,16})"):
    """Creates the drafted café. The key names a draft kept in memory for 15 minutes."""

    def __init__(self, key: str) -> None:
        super().__init__(discord.ui.Button(label="Confirm", custom_id=f"blether:sched:ok:{key}",
                                           style=discord.ButtonStyle.success))
        self.key = key

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ConfirmButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            config = await _organiser_config(interaction)
            scheduled = await blether(interaction).services.scheduling.confirm(config, self.key, interaction.user.id)
            await interaction.response.edit_message(
                content=f"Scheduled café #{scheduled.session.id}, **{scheduled.session.plan_title}**, for "
                        f"{scheduled.when}. The invitation is posted in this channel.", view=None)

        await safely(interaction, act)


class ChangeButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=r"blether:sched:edit:(?P<key>[A-Za-z0-9_-]{1,16})"):
    """Asks for another time for the drafted café."""

    def __init__(self, key: str) -> None:
        super().__init__(discord.ui.Button(label="Change", custom_id=f"blether:sched:edit:{key}",
                                           style=discord.ButtonStyle.secondary))
        self.key = key

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ChangeButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await _organiser_config(interaction)
            await interaction.response.send_modal(ChangeTime(self.key))

        await safely(interaction, act)


class ChangeTime(discord.ui.Modal, title="Another time"):
    when: discord.ui.TextInput[ChangeTime] = discord.ui.TextInput(
        label="When", placeholder="e.g. next Tuesday 7pm, 3 Dec 6.30pm, in an hour", max_length=100)

    def __init__(self, key: str) -> None:
        super().__init__(timeout=900, custom_id=f"blether:sched:when:{key}")
        self.key = key

    async def on_submit(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            config = await _organiser_config(interaction)
            draft = await blether(interaction).services.scheduling.redraft(config, self.key, interaction.user.id,
                                                                           self.when.value)
            await interaction.response.edit_message(content=draft_text(draft), view=draft_view(draft.key))

        await safely(interaction, act)


class Cafe(commands.Cog):
    group = app_commands.Group(name="cafe", description="Conversation cafés", guild_only=True)

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @group.command(name="schedule", description="Organisers: schedule a café from a plan")
    @app_commands.describe(
        plan="The plan to run (from prompts/)",
        when="Start, in the server's time zone: 3 Dec 6.30pm, next Tuesday 7pm, tomorrow 18:00, in an hour",
        series="Group cafés into a series (pseudonyms are stable within a series)",
        room_size="People per breakout room (default: the plan's)",
        capacity="Most people who can come; more go on a waitlist (default: no limit)",
        reminders="When to remind people by DM, before the start: e.g. 24h, 15m (the default) or none",
    )
    @organisers_only()
    async def schedule(self, interaction: discord.Interaction, plan: str, when: str, series: str | None = None,
                       room_size: app_commands.Range[int, 2, 25] | None = None,
                       capacity: app_commands.Range[int, 1, MAX_CAPACITY] | None = None,
                       reminders: str | None = None) -> None:
        if interaction.channel_id is None or interaction.guild_id is None:
            raise UserError("Schedule a café from a text channel: the invitation is posted there.")
        try:
            times = DEFAULT_REMINDERS if reminders is None else parse_reminders(reminders)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        request = ScheduleRequest(interaction.guild_id, interaction.user.id, interaction.channel_id, plan, when,
                                  series, room_size, capacity, times)
        draft = await blether(interaction).services.scheduling.draft(config_of(interaction), request)
        await reply(interaction, draft_text(draft), view=draft_view(draft.key))

    @schedule.autocomplete("plan")
    async def _plans(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        plans = await list_plans(blether(interaction).plans_dir)
        return [app_commands.Choice(name=f"{p.title} ({p.rounds} rounds, {p.minutes} min)"[:100], value=p.id)
                for p in plans if current.lower() in (p.id + p.title).lower()][:25]

    @group.command(name="list", description="The cafés on this server")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        listed = await blether(interaction).services.scheduling.list(interaction.guild_id)
        if not listed:
            await reply(interaction, "No cafés yet. Organisers can start one with `/cafe schedule`.")
            return
        await reply(interaction, "\n".join(_listed_line(i.session, i.stamp, i.going) for i in listed[-20:]))

    @group.command(name="open", description="Organisers: open a café now instead of at its start time")
    @app_commands.describe(cafe=CAFE_HELP)
    @organisers_only()
    async def open_(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await interaction.response.defer(ephemeral=True, thinking=True)
        opened = await blether(interaction).services.floor.open(
            session.id, config_of(interaction), actor_id=interaction.user.id, guild_id=interaction.guild_id)
        await reply(interaction, f"Café #{opened.id} is open: round 1 of {opened.round_count} has started in "
                                 f"<#{opened.lobby_channel_id}> and the breakout rooms.")

    @group.command(name="cancel", description="Organisers: call off a café that hasn't opened")
    @app_commands.describe(cafe="The café to call off")
    @organisers_only()
    async def cancel(self, interaction: discord.Interaction, cafe: CafeOption) -> None:
        cancelled = await blether(interaction).services.scheduling.cancel(cafe.id, interaction.user.id,
                                                                          interaction.guild_id or 0)
        await reply(interaction, f"Café #{cancelled.id} is cancelled.")

    @group.command(name="erase", description="Organisers: erase what this server's cafés hold about a member")
    @app_commands.describe(member="The person who asked for their data to be erased")
    @organisers_only()
    async def erase(self, interaction: discord.Interaction, member: discord.User) -> None:
        config = config_of(interaction)
        # An erasure checkpoints the database afterwards; answer within Discord's window first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = blether(interaction)
        # An organiser answers for their own server only; erasing across servers is the host's
        # `blether erase`, run by the data controller.
        try:
            erasure = await bot.services.privacy.erase_person(member.id, ErasureScope.server(config.guild_id),
                                                              requested_by=interaction.user.id)
        except ErasureFailed as exc:
            raise UserError(f"{exc} Try again; if it keeps failing, ask the bot's host to run `blether erase`."
                            ) from exc
        erased = erasure.cafe_rows
        await reply(interaction, f"Erased {sum(erased.values())} row(s) about that person from this server's cafés "
                                 f"({', '.join(f'{t} {n}' for t, n in erased.items()) or 'nothing held'}). "
                                 "Other servers' data is untouched: erasure everywhere is for the bot's host "
                                 "(`blether erase`). Exports already sent cannot be recalled; make a new export "
                                 "to replace them.")

    @group.command(name="export", description="Organisers: export a café's consented contributions")
    @app_commands.describe(
        cafe="The café to export (see /cafe list)", series="Or: every café in a series",
        formats="What to export (default: CSV, JSONL, notes, report and QDPX)",
        quotes_only="Only people who allowed quoting (default: everyone who consented)",
        key_points_only="Only contributions marked as key points (default: all)",
        rounds="Only these rounds, e.g. 1,3 (default: all)", rooms="Only these room numbers, e.g. 2 (default: all)",
        date_from="Only cafés on or after this date, e.g. 2026-06-30", date_to="Only cafés on or before this date",
        scrub="Replace e-mails, phone numbers and links (default: in the HTML report only)",
        redact="Words or names to replace by [redacted], separated by commas",
        qdpx_sources="QDPX: one source per room and round (default) or per café",
    )
    @app_commands.rename(date_from="from", date_to="to")
    @app_commands.choices(formats=FORMAT_CHOICES, scrub=SCRUB_CHOICES, qdpx_sources=SOURCE_CHOICES)
    @organisers_only()
    async def export(self, interaction: discord.Interaction, cafe: CafeOption | None = None,
                     series: str | None = None, formats: str = "default", quotes_only: bool = False,
                     key_points_only: bool = False, rounds: str | None = None, rooms: str | None = None,
                     date_from: str | None = None, date_to: str | None = None, scrub: str = "default",
                     redact: str | None = None, qdpx_sources: str = "room_round") -> None:
        config = config_of(interaction)
        if (cafe is None) == (series is None):
            raise UserError("Choose either a café (`cafe`) or a `series` to export, not both.")
        try:
            request = ExportRequest(
                session_id=cafe.id if cafe is not None else None, series=series,
                formats=FORMAT_SETS.get(formats, (formats,)), quotes_only=quotes_only,
                key_points_only=key_points_only, rounds=parse_numbers(rounds or ""), rooms=parse_numbers(rooms or ""),
                date_from=parse_day(date_from) if date_from else None, date_to=parse_day(date_to) if date_to else None,
                scrub=SCRUB_VALUES[scrub], redact=parse_words(redact or ""),
                qdpx_source_per="session" if qdpx_sources == "session" else "room_round",
            )
            request.validate()
        except ExportError as exc:
            raise UserError(f"That export can't be made: {exc}.") from exc
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = blether(interaction)
        limit = interaction.guild.filesize_limit if interaction.guild is not None else DEFAULT_UPLOAD_LIMIT
        try:
            delivery = await send_export(
                bot.db, bot.chat, request, exports_dir=bot.settings.exports_dir, guild_id=config.guild_id,
                channel_id=config.organisers_channel_id, upload_limit=limit, actor_id=interaction.user.id)
        except ExportError as exc:
            raise UserError(str(exc)) from exc
        await reply(interaction, _delivered(delivery, config.organisers_channel_id))


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KiB"


def _delivered(delivery: ExportDelivery, channel_id: int | None) -> str:
    rows = f"{delivery.summary.rows} contribution(s)"
    if delivery.sent and not delivery.split:
        return f"Done: {rows} exported to <#{channel_id}>."
    parts = [f"Exported {rows}."]
    if delivery.split:
        parts.append(f"The zip ({_size(delivery.size)}) is over this server's upload limit "
                     f"({_size(delivery.upload_limit)}), so the files went separately.")
    if delivery.posted:
        messages = len(delivery.message_ids)
        names = ", ".join(f"`{p.name}`" for p in delivery.posted)
        parts.append(f"Posted to <#{channel_id}> in {messages} message{'s' if messages != 1 else ''}: {names}.")
    kept = delivery.kept
    if kept:
        names = ", ".join(f"`{k.name}` ({_size(k.size)})" for k in kept)
        parts.append(f"Not posted, kept on the bot's host (private to the bot's account): {names}.")
        because = {k.because for k in kept}
        if KeptBecause.NO_CHANNEL in because:
            parts.append("There is no organisers' channel to post in: set one with "
                         "`/blether setup organisers_channel:` and export again.")
        if KeptBecause.TOO_LARGE in because:
            parts.append("A file over the upload limit on its own can only come from the host: ask the bot's host "
                         "for it, or export fewer formats, rounds or rooms at a time.")
        if KeptBecause.UPLOAD_FAILED in because:
            parts.append(f"Discord refused the upload to <#{channel_id}>: check that Blether may send messages and "
                         "attach files there, then export again.")
    return " ".join(parts)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, ConfirmButton, ChangeButton)
    await bot.add_cog(Cafe(bot))
