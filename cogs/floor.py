"""`/floor …`: the facilitators' live controls, and the dashboard's buttons that call the same ones.

Thin: each command checks the role (a decorator; buttons ask the same rule), finds the café, calls
one method of `ControlsService` and says in a sentence what happened.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import UserError
from bot.core.floor import MAX_EXTENSION
from bot.core.plan import MAX_WARNING_MINUTES
from bot.services.chat import OfferKind
from bot.services.controls import MAX_BROADCAST, ControlsService
from cogs._common import CafeOption, add_buttons, blether, cafe_here, facilitators_only, is_facilitator, reply, safely

CAFE_HELP = "The café (default: the one this channel belongs to, or the only one under way)"
#: What the dashboard's Extend button adds.
EXTEND_BY = 5


def _controls(interaction: discord.Interaction) -> ControlsService:
    return blether(interaction).services.controls


async def _facilitator(interaction: discord.Interaction) -> None:
    """Buttons pass no command checks: the same facilitator rule, asked here."""
    config = None if interaction.guild_id is None else await blether(interaction).services.servers.get(
        interaction.guild_id)
    if config is None or not is_facilitator(interaction.user, config):
        raise UserError("Only facilitators and organisers can use the café's controls.")


async def _thinking(interaction: discord.Interaction) -> None:
    """Controls touch every room; Discord wants an answer within 3 seconds, so say we are on it."""
    await interaction.response.defer(ephemeral=True, thinking=True)


_ACTIONS = "next|extend|pause|recall|say|end|endnow"
_LABELS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "next": ("Next round", discord.ButtonStyle.primary),
    "extend": (f"+{EXTEND_BY} minutes", discord.ButtonStyle.secondary),
    "pause": ("Pause / resume", discord.ButtonStyle.secondary),
    "recall": ("Recall / send out", discord.ButtonStyle.secondary),
    "say": ("Broadcast…", discord.ButtonStyle.secondary),
    "end": ("End café…", discord.ButtonStyle.danger),
    "endnow": ("Yes, end the café now", discord.ButtonStyle.danger),
}


class FloorButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=rf"blether:floor:(?P<action>{_ACTIONS}):(?P<cafe>\d+)"):
    """One of the dashboard's controls for one café."""

    def __init__(self, action: str, session_id: int) -> None:
        label, style = _LABELS[action]
        super().__init__(discord.ui.Button(label=label, style=style,
                                           custom_id=f"blether:floor:{action}:{session_id}"))
        self.action = action
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> FloorButton:
        return cls(match["action"], int(match["cafe"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await _facilitator(interaction)
            if self.action == "say":
                await interaction.response.send_modal(Broadcast(self.session_id))
                return
            if self.action == "end":
                view = discord.ui.View(timeout=None)
                view.add_item(FloorButton("endnow", self.session_id))
                await reply(interaction, f"End café #{self.session_id} now? Everyone gets the closing words and "
                                         "the rooms become read-only.", view=view)
                return
            await _thinking(interaction)
            await reply(interaction, await self._press(interaction))

        await safely(interaction, act)

    async def _press(self, interaction: discord.Interaction) -> str:
        controls, cafe, who, guild = _controls(interaction), self.session_id, interaction.user.id, interaction.guild_id
        if self.action == "next":
            moved = await controls.next_round(cafe, who, guild)
            return f"Round {moved.current_round} of {moved.round_count} has started in every room."
        if self.action == "extend":
            return (await controls.extend(cafe, EXTEND_BY, who, guild)).said
        if self.action == "pause":
            paused = (await controls.repo.state(cafe)).paused_at is not None
            return (await (controls.resume if paused else controls.pause)(cafe, who, guild)).said
        if self.action == "recall":
            recalled = (await controls.repo.state(cafe)).recalled
            return (await (controls.send_out if recalled else controls.recall)(cafe, who, guild)).said
        closed = await controls.end(cafe, who, guild)
        return f"Café #{closed.id} is closed. Rooms are read-only and nothing more is recorded."


class Broadcast(discord.ui.Modal, title="Broadcast to every room"):
    text: discord.ui.TextInput[Broadcast] = discord.ui.TextInput(
        label="Message", style=discord.TextStyle.paragraph, max_length=MAX_BROADCAST,
        placeholder="e.g. Five minutes to go: think about one thing to share with everyone.")

    def __init__(self, session_id: int) -> None:
        super().__init__(timeout=900, custom_id=f"blether:floor:broadcast:{session_id}")
        self.session_id = session_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        async def act() -> None:
            await _facilitator(interaction)
            await _thinking(interaction)
            done = await _controls(interaction).broadcast(self.session_id, self.text.value, interaction.user.id,
                                                          interaction.guild_id)
            await reply(interaction, done.said)

        await safely(interaction, act)


class Floor(commands.Cog):
    group = app_commands.Group(name="floor", description="Facilitators: the live café's controls", guild_only=True,
                               default_permissions=discord.Permissions(manage_messages=True))

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @group.command(name="next", description="Move the café on to the next round now")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def next_(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        moved = await _controls(interaction).next_round(session.id, interaction.user.id, interaction.guild_id)
        await reply(interaction, f"Round {moved.current_round} of {moved.round_count} has started in every room.")

    @group.command(name="goto", description="Jump ahead to a later round now (the rounds between are skipped)")
    @app_commands.describe(number="The round to start", cafe=CAFE_HELP)
    @app_commands.rename(number="round")
    @facilitators_only()
    async def goto(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 100],
                   cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        moved = await _controls(interaction).go_to_round(session.id, number, interaction.user.id,
                                                         interaction.guild_id)
        await reply(interaction, f"Round {moved.current_round} of {moved.round_count} has started in every room.")

    @group.command(name="extend", description="Give this round more time")
    @app_commands.describe(minutes="How many minutes to add", cafe=CAFE_HELP)
    @facilitators_only()
    async def extend(self, interaction: discord.Interaction, minutes: app_commands.Range[int, 1, MAX_EXTENSION],
                     cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).extend(session.id, minutes, interaction.user.id, interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="pause", description="Stop the clock: rooms become read-only with a calm notice")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def pause(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        await reply(interaction, (await _controls(interaction).pause(session.id, interaction.user.id,
                                                                     interaction.guild_id)).said)

    @group.command(name="resume", description="Start the clock again after a pause")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def resume(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        await reply(interaction, (await _controls(interaction).resume(session.id, interaction.user.id,
                                                                      interaction.guild_id)).said)

    @group.command(name="close", description="End the café now: closing words, then the rooms become read-only")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def close(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        closed = await _controls(interaction).end(session.id, interaction.user.id, interaction.guild_id)
        await reply(interaction, f"Café #{closed.id} is closed. Rooms are locked and nothing more is recorded. "
                                 "Organisers can now use `/cafe export`.")

    @group.command(name="broadcast", description="Post a message in every room and the lobby")
    @app_commands.describe(message="What everyone should read", cafe=CAFE_HELP)
    @facilitators_only()
    async def broadcast(self, interaction: discord.Interaction, message: app_commands.Range[str, 1, MAX_BROADCAST],
                        cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).broadcast(session.id, message, interaction.user.id, interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="warnings", description="How long before each round's end the rooms are warned")
    @app_commands.describe(minutes="Minutes before the end (0 turns the warning off)", cafe=CAFE_HELP)
    @facilitators_only()
    async def warnings(self, interaction: discord.Interaction,
                       minutes: app_commands.Range[int, 0, MAX_WARNING_MINUTES],
                       cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).set_warning(session.id, minutes, interaction.user.id, interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="move", description="Move a participant to another room for the rest of this round")
    @app_commands.describe(member="Who to move", room="The room number to move them to", cafe=CAFE_HELP)
    @facilitators_only()
    async def move(self, interaction: discord.Interaction, member: discord.User,
                   room: app_commands.Range[int, 1, 500], cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).move(session.id, member.id, room, interaction.user.id,
                                                 interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="close-room", description="Close one room: its people can read it but not write")
    @app_commands.describe(room="The room number", cafe=CAFE_HELP)
    @facilitators_only()
    async def close_room(self, interaction: discord.Interaction, room: app_commands.Range[int, 1, 500],
                         cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).set_room_open(session.id, room, False, interaction.user.id,
                                                          interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="open-room", description="Open a room you closed")
    @app_commands.describe(room="The room number", cafe=CAFE_HELP)
    @facilitators_only()
    async def open_room(self, interaction: discord.Interaction, room: app_commands.Range[int, 1, 500],
                        cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        done = await _controls(interaction).set_room_open(session.id, room, True, interaction.user.id,
                                                          interaction.guild_id)
        await reply(interaction, done.said)

    @group.command(name="recall", description="Call everyone back to the lobby (the rooms become read-only)")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def recall(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        await reply(interaction, (await _controls(interaction).recall(session.id, interaction.user.id,
                                                                      interaction.guild_id)).said)

    @group.command(name="send-out", description="Send everyone back to their rooms after a recall")
    @app_commands.describe(cafe=CAFE_HELP)
    @facilitators_only()
    async def send_out(self, interaction: discord.Interaction, cafe: CafeOption | None = None) -> None:
        session = await cafe_here(interaction, cafe)
        await _thinking(interaction)
        await reply(interaction, (await _controls(interaction).send_out(session.id, interaction.user.id,
                                                                        interaction.guild_id)).said)


def _offer(action: str) -> Any:
    return lambda session_id: FloorButton(action, session_id)


async def setup(bot: commands.Bot) -> None:
    add_buttons(bot, FloorButton, offers={
        OfferKind.FLOOR_NEXT: _offer("next"), OfferKind.FLOOR_EXTEND: _offer("extend"),
        OfferKind.FLOOR_PAUSE: _offer("pause"), OfferKind.FLOOR_RECALL: _offer("recall"),
        OfferKind.FLOOR_BROADCAST: _offer("say"), OfferKind.FLOOR_CLOSE: _offer("end"),
    })
    await bot.add_cog(Floor(bot))
