"""`/cafe …`: organisers schedule and export, facilitators drive the café; `/cafes`: everyone sees
what is coming. Each command parses, checks the role (a decorator), calls one service and renders
the reply.

The `/cafe` group carries `default_permissions(manage_events=True)`: Discord shows it only to people
who can manage events (server admins can change who sees it in Server Settings → Integrations).
That is a courtesy, not the gate: each command's role check is what refuses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.models import Session
from bot.core.series import MAX_EVERY_DAYS, MAX_OCCURRENCES
from bot.core.timeline import DEFAULT_REMINDERS, FINAL_STATES, SessionState
from bot.core.waitlist import MAX_HOLD_MINUTES, MIN_HOLD_MINUTES
from bot.core.when import WhenError, describe, parse_reminders, stamp, stamps
from bot.export.request import DEFAULT_FORMATS, FORMATS, parse_day, parse_numbers, parse_words
from bot.services.exports import ExportDelivery, ExportError, ExportRequest, KeptBecause, send_export
from bot.services.overview import Picture
from bot.services.plans import list_plans
from bot.services.privacy import ErasureFailed, ErasureScope
from bot.services.scheduling import MAX_CAPACITY, Draft, ListedGroup, Scheduled, ScheduleRequest, overlap_names
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


def _listing(groups: Sequence[ListedGroup]) -> str:
    """The newest cafés, a series' occurrences under one heading; within Discord's 2000 characters."""
    blocks: list[str] = []
    for group in groups:
        if group.is_series:
            first = group.items[0].session
            lines = [f"**{group.title}**: series `{first.series}`, {len(group.items)} café(s)"]
            lines.extend("  · " + _listed_line(i.session, i.stamp, i.going) for i in group.items)
            blocks.append("\n".join(lines))
        else:
            item = group.items[0]
            blocks.append(_listed_line(item.session, item.stamp, item.going))
    shown: list[str] = []
    size = 0
    for block in reversed(blocks):
        if size + len(block) + 1 > 1900:
            break
        shown.insert(0, block)
        size += len(block) + 1
    hidden = len(blocks) - len(shown)
    return "\n".join(([f"({hidden} older group(s) not shown)"] if hidden else []) + shown)


def _minutes(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day(s)"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour(s)"
    return f"{minutes} minutes"


#: Overlapping cafés named in a draft at most; a long list would push the buttons' words out.
_OVERLAPS_SHOWN = 5
REPEAT_CHOICES = [
    app_commands.Choice(name="Weekly", value="weekly"),
    app_commands.Choice(name="Fortnightly", value="fortnightly"),
    app_commands.Choice(name="Every N days (give every_days)", value="days"),
]
SCOPE_CHOICES = [
    app_commands.Choice(name="This café only", value="this"),
    app_commands.Choice(name="This café and the rest of its series", value="rest"),
]


def draft_text(draft: Draft) -> str:
    """What the organiser checks before anything is created or moved: the instant(s) in everyone's
    own zone, the server-zone reading it came from, and any overlap that Confirm would accept."""
    if draft.move_of is not None:
        return _move_text(draft)
    lines = [
        f"**{draft.plan.title}** on {stamps(draft.starts_at)}, until {stamp(draft.ends_at, 't')}.",
        f"I read `{draft.request.when[:100]}` as {describe(draft.starts_at, draft.timezone)}.",
        f"Rooms of up to {draft.room_size}" + (f"; {draft.request.capacity} places, then a waitlist (a freed place "
                                                f"is held {_minutes(draft.request.hold_minutes or 120)})"
                                                if draft.request.capacity else "; no limit on places") + ".",
        "Reminders by DM: " + (", ".join(_minutes(m) for m in sorted(draft.request.reminders, reverse=True))
                               + " before." if draft.request.reminders else "none."),
    ]
    if draft.repeat is not None:
        lines.append(f"Repeats {draft.repeat.label}, at the same local time: {len(draft.starts)} cafés in the series "
                     f"**{draft.series}**, each with its own invitation:")
        lines.extend(f"{n}. {stamp(start, 'F')}" for n, start in enumerate(draft.starts, start=1))
    lines.extend(_overlap_lines(draft))
    what = "them and post their invitations" if draft.repeat is not None else "it and post the invitation"
    lines.append(f"Press **Confirm** to schedule {what} in this channel, or **Change** to give another (first) "
                 "time. (This waits 15 minutes.)")
    return "\n".join(lines)


#: Waitlist places listed one by one in `/cafe show`; the rest are counted.
SHOWN_QUEUE = 15
STEP_WORDS = {"pending": "to come", "running": "sending now", "done": "sent", "skipped": "skipped (late)",
              "failed": "failed", "cancelled": "cancelled"}


def picture_text(picture: Picture) -> str:
    """`/cafe show`: numbers and positions only; nobody who declined (or anyone else) is named."""
    session, counts, shown = picture.session, picture.counts, picture.shown
    running = f" (round {session.current_round}/{session.round_count})" if session.state is SessionState.RUNNING \
        else ""
    lines = [
        f"**☕ {session.plan_title}** — café #{session.id} — {session.state.value}{running}",
        f"Starts {stamps(session.starts_at)}, ends about {stamp(picture.ends_at, 't')}.",
        f"**Coming:** {counts.going}" + (f" of {session.capacity} places ({shown.places_left} left)"
                                         if session.capacity else " (no limit on places)")
        + f" · **can't come:** {counts.not_going}",
    ]
    if picture.queue:
        listed = [f"{q.position}. " + (f"place held until {stamp(q.offered_until, 't')} ({stamp(q.offered_until, 'R')})"
                                       if q.offered_until else "waiting") for q in picture.queue[:SHOWN_QUEUE]]
        more = f" … and {len(picture.queue) - SHOWN_QUEUE} more" if len(picture.queue) > SHOWN_QUEUE else ""
        lines.append(f"**Waitlist:** {counts.waiting} waiting, {counts.held} place(s) held — " + "; ".join(listed)
                     + more)
    elif session.capacity:
        lines.append("**Waitlist:** nobody waiting.")
    if session.capacity:
        lines.append(f"A freed place is held for {_minutes(int(picture.hold.total_seconds()) // 60)}, or until the "
                     "start if sooner.")
    consent = picture.consent
    lines.append(f"**Consent:** {consent.given} gave it, {consent.declined} declined, {consent.withdrawn} withdrew "
                 "(who chose what is never shown).")
    if picture.reminders:
        lines.append("**Reminders:** " + "; ".join(
            f"{_minutes(r.minutes_before)} before ({stamp(r.due_at, 'f')}): {STEP_WORDS.get(r.status, r.status)}"
            for r in picture.reminders))
    else:
        lines.append("**Reminders:** none.")
    if picture.rooms:
        lines.append("**Rooms:** " + ", ".join(
            (f"<#{line.room.channel_id}>" if line.room.channel_id else line.room.name) + f" {line.people}"
            for line in picture.rooms) + (f" · lobby <#{session.lobby_channel_id}>" if session.lobby_channel_id
                                          else ""))
    return "\n".join(lines)


def _overlap_lines(draft: Draft) -> list[str]:
    if not draft.overlaps:
        return []
    shown = overlap_names(draft.overlaps[:_OVERLAPS_SHOWN])
    more = f" and {len(draft.overlaps) - _OVERLAPS_SHOWN} more" if len(draft.overlaps) > _OVERLAPS_SHOWN else ""
    return [f"⚠️ It overlaps {shown}{more}. **Confirm** schedules it anyway."]


def _move_text(draft: Draft) -> str:
    assert draft.move_of is not None
    old = draft.move_of
    lines = [
        f"Move café #{old.id} **{old.plan_title}** from {stamp(old.starts_at, 'F')} to {stamps(draft.starts_at)}, "
        f"until {stamp(draft.ends_at, 't')}.",
        f"I read `{draft.request.when[:100]}` as {describe(draft.starts_at, draft.timezone)}.",
        "Its reminders move with it, and its invitation is edited to the new time.",
        *_overlap_lines(draft),
        "Press **Confirm** to move it, or **Change** to give another time. (This waits 15 minutes.)",
    ]
    return "\n".join(lines)


def _scheduled_text(scheduled: Scheduled) -> str:
    first = scheduled.session
    if len(scheduled.sessions) > 1:
        last = scheduled.sessions[-1]
        return (f"Scheduled café #{first.id}, **{first.plan_title}**, for {scheduled.when}, and "
                f"{len(scheduled.sessions) - 1} more in the series (#{scheduled.sessions[1].id}–#{last.id}, the last "
                f"on {stamp(last.starts_at, 'F')}). The invitations are posted in this channel.")
    return (f"Scheduled café #{first.id}, **{first.plan_title}**, for {scheduled.when}. The invitation is posted in "
            "this channel.")


def _moved_text(scheduled: Scheduled) -> str:
    moved = scheduled.session
    invitation = "Its invitation shows the new time." if scheduled.invitation_edited else (
        "I couldn't edit its invitation (check that Blether can still see that channel); the café has moved anyway.")
    return f"Moved café #{moved.id}, **{moved.plan_title}**, to {scheduled.when}. {invitation}"


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
            scheduling = blether(interaction).services.scheduling
            series = len(scheduling.pending(self.key, interaction.user.id, config.guild_id).starts) > 1
            if series:
                # A series posts one invitation per café: more than Discord's three seconds allow.
                await interaction.response.defer()
            scheduled = await scheduling.confirm(config, self.key, interaction.user.id)
            text = _moved_text(scheduled) if scheduled.moved else _scheduled_text(scheduled)
            if series:
                await interaction.edit_original_response(content=text, view=None)
            else:
                await interaction.response.edit_message(content=text, view=None)

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
    group = app_commands.Group(name="cafe", description="Organisers: schedule, run and export conversation cafés",
                               default_permissions=discord.Permissions(manage_events=True), guild_only=True)

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
        hold="Minutes a freed place is held for the next person waiting (default 120, or until the start)",
        repeat="Repeat the café at the same local time (give count or until too)",
        every_days="With repeat 'every N days': how many days apart",
        count="With repeat: how many cafés in all (2 to 52)",
        until="With repeat: the last day, e.g. 31 Mar or 2027-03-31 (read like `when`)",
    )
    @app_commands.choices(repeat=REPEAT_CHOICES)
    @organisers_only()
    async def schedule(self, interaction: discord.Interaction, plan: str, when: str, series: str | None = None,
                       room_size: app_commands.Range[int, 2, 25] | None = None,
                       capacity: app_commands.Range[int, 1, MAX_CAPACITY] | None = None,
                       reminders: str | None = None,
                       hold: app_commands.Range[int, MIN_HOLD_MINUTES, MAX_HOLD_MINUTES] | None = None,
                       repeat: str | None = None,
                       every_days: app_commands.Range[int, 1, MAX_EVERY_DAYS] | None = None,
                       count: app_commands.Range[int, 2, MAX_OCCURRENCES] | None = None,
                       until: app_commands.Range[str, 1, 100] | None = None) -> None:
        if interaction.channel_id is None or interaction.guild_id is None:
            raise UserError("Schedule a café from a text channel: the invitation is posted there.")
        try:
            times = DEFAULT_REMINDERS if reminders is None else parse_reminders(reminders)
        except WhenError as exc:
            raise UserError(str(exc)) from exc
        request = ScheduleRequest(interaction.guild_id, interaction.user.id, interaction.channel_id, plan, when,
                                  series, room_size, capacity, times, hold, repeat, every_days, count, until)
        draft = await blether(interaction).services.scheduling.draft(config_of(interaction), request)
        await reply(interaction, draft_text(draft), view=draft_view(draft.key))

    @schedule.autocomplete("plan")
    async def _plans(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        plans = await list_plans(blether(interaction).plans_dir)
        return [app_commands.Choice(name=f"{p.title} ({p.rounds} rounds, {p.minutes} min)"[:100], value=p.id)
                for p in plans if current.lower() in (p.id + p.title).lower()][:25]

    @app_commands.command(name="cafes", description="The cafés on this server and when they start")
    @app_commands.guild_only()
    async def cafes(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        groups = await blether(interaction).services.scheduling.list_grouped(interaction.guild_id)
        if not groups:
            await reply(interaction, "No cafés yet. Organisers can start one with `/cafe schedule`.")
            return
        await reply(interaction, _listing(groups))

    @group.command(name="show", description="Organisers: the whole picture of one café")
    @app_commands.describe(cafe="The café to show (see /cafes)")
    @organisers_only()
    async def show(self, interaction: discord.Interaction, cafe: CafeOption) -> None:
        picture = await blether(interaction).services.overview.picture(cafe.id, interaction.guild_id or 0)
        await reply(interaction, picture_text(picture))

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
    @app_commands.describe(cafe="The café to call off", scope="This café only (default), or it and the rest of its "
                                                                "series")
    @app_commands.choices(scope=SCOPE_CHOICES)
    @organisers_only()
    async def cancel(self, interaction: discord.Interaction, cafe: CafeOption, scope: str = "this") -> None:
        scheduling = blether(interaction).services.scheduling
        if scope == "rest":
            cancelled = await scheduling.cancel_rest(cafe.id, interaction.user.id, interaction.guild_id or 0)
            names = ", ".join(f"#{s.id}" for s in cancelled)
            await reply(interaction, f"Cancelled {len(cancelled)} café(s): {names}.")
            return
        one = await scheduling.cancel(cafe.id, interaction.user.id, interaction.guild_id or 0)
        await reply(interaction, f"Café #{one.id} is cancelled.")

    @group.command(name="reschedule", description="Organisers: move a café that hasn't opened to another time")
    @app_commands.describe(cafe="The café to move (one café of a series: the others stay)",
                           when="The new start, read like /cafe schedule's: next Tuesday 7pm, 3 Dec 6.30pm, …")
    @organisers_only()
    async def reschedule(self, interaction: discord.Interaction, cafe: CafeOption,
                         when: app_commands.Range[str, 1, 100]) -> None:
        if interaction.channel_id is None:
            raise UserError("Reschedule a café from a text channel.")
        draft = await blether(interaction).services.scheduling.draft_move(
            config_of(interaction), cafe.id, interaction.user.id, interaction.channel_id, when)
        await reply(interaction, draft_text(draft), view=draft_view(draft.key))

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
        # A place the person had, or had held for them, is free now: offer it to whoever waits.
        for listed in await bot.services.scheduling.list(config.guild_id):
            if listed.session.state not in FINAL_STATES and listed.session.capacity is not None:
                await bot.services.rsvp.refill(listed.session.id)
        await reply(interaction, f"Erased {sum(erased.values())} row(s) about that person from this server's cafés "
                                 f"({', '.join(f'{t} {n}' for t, n in erased.items()) or 'nothing held'}). "
                                 "Other servers' data is untouched: erasure everywhere is for the bot's host "
                                 "(`blether erase`). Exports already sent cannot be recalled; make a new export "
                                 "to replace them.")

    @group.command(name="export", description="Organisers: export a café's consented contributions")
    @app_commands.describe(
        cafe="The café to export (see /cafes)", series="Or: every café in a series",
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
