"""The cog tests' harness: a real BletherBot, cogs and all, on a simulated guild with hosts and people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import discord
from discord import app_commands

from bot.bot import EXTENSIONS_PACKAGE, BletherBot
from bot.config import Settings, parse_settings
from bot.core.clock import Clock, RealClock
from bot.simulation import InteractionResult, SimMember, SimMessage, SimulatedDiscord
from bot.simulation.permissions import DEFAULT_BOT, MANAGE_EVENTS, MANAGE_MESSAGES

ORGANISER = "Café organiser"
FACILITATOR = "Café facilitator"
#: What the README asks admins to give each role so Discord shows them their commands (the
#: groups' default permissions): organisers manage events (`/cafe`) and, like facilitators,
#: messages (`/floor`).
ORGANISER_PERMISSIONS = MANAGE_EVENTS | MANAGE_MESSAGES
FACILITATOR_PERMISSIONS = MANAGE_MESSAGES
#: What the README's invite link grants Blether (the simulated Discord's default bot role lacks
#: Manage Messages, so a server that withheld it can be tested).
BOT_PERMISSIONS = DEFAULT_BOT | MANAGE_MESSAGES


@dataclass
class Cafe:
    """The simulated server and the bot, with helpers for the steps every test repeats."""

    sim: SimulatedDiscord
    bot: BletherBot
    settings: Settings
    organiser: SimMember
    facilitator: SimMember
    people: list[SimMember]
    announcements: int
    hosts: int
    organisers: int
    invitations: dict[int, SimMessage] = field(default_factory=dict)

    async def setup(self) -> InteractionResult:
        return await self.sim.slash(
            self.bot, self.sim.owner, "blether setup", channel_id=self.announcements,
            organiser_role=self.sim.role_id(ORGANISER), facilitator_role=self.sim.role_id(FACILITATOR),
            facilitators_channel=self.hosts, organisers_channel=self.organisers,
        )

    async def schedule(self, when: str = "in 2 hours", **options: object) -> int:
        draft = await self.sim.slash(self.bot, self.organiser, "cafe schedule", channel_id=self.announcements,
                                     plan=options.pop("plan", "whats-next-for-recovery"), when=when, **options)
        result = await self.confirm(draft)
        assert "Scheduled café #" in result.content, result.content
        session_id = int(result.content.split("#", 1)[1].split(",", 1)[0])
        self.invitations[session_id] = self.sim.messages(self.announcements)[-1]
        return session_id

    async def confirm(self, draft: InteractionResult) -> InteractionResult:
        """Press **Confirm** under a `/cafe schedule` draft; the reply is the draft message edited."""
        assert "Press **Confirm**" in draft.content, draft.content
        message = draft.messages[-1]
        key = next(c["custom_id"] for row in message.components for c in row["components"]
                   if c["custom_id"].startswith("blether:sched:ok:"))
        return await self.sim.click(self.bot, self.organiser, message, key)

    async def join(self, session_id: int, person: SimMember, choice: str | None = "record") -> InteractionResult:
        panel = await self.sim.click(self.bot, person, self.invitations[session_id], f"blether:rsvp:{session_id}")
        if choice is not None:
            await self.sim.click(self.bot, person, panel.messages[-1], f"blether:choose:{session_id}:{choice}")
            # A person writes a moment after choosing: words in the very millisecond of a choice
            # count as written before it (ties are not recorded).
            self.sim.advance(1)
        return panel

    def room_of(self, person: SimMember, room_channels: list[int]) -> int:
        visible = [c for c in room_channels if self.sim.can_view(person, c)]
        assert len(visible) == 1, f"{person.name} sees {len(visible)} rooms"
        return visible[0]


async def _hello(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("Hello", ephemeral=True)


class UpgradedBot(BletherBot):
    """Blether with one command more than the code has, as after an upgrade that adds one."""

    async def load_extensions(self, package: str = EXTENSIONS_PACKAGE) -> None:
        await super().load_extensions(package)
        self.tree.add_command(app_commands.Command(name="hello", description="A command an upgrade added",
                                                  callback=_hello))


def make_settings(tmp_path: Path) -> Settings:
    return parse_settings({
        "BLETHER_DATABASE": str(tmp_path / "blether.sqlite3"),
        "BLETHER_EXPORTS_DIR": str(tmp_path / "exports"),
        "BLETHER_PSEUDONYM_KEY": "ab" * 32,
    })


async def start_bot(sim: SimulatedDiscord, settings: Settings, clock: Clock | None = None,
                    plans_dir: Path | None = None, bot_class: type[BletherBot] = BletherBot,
                    invitation_window: timedelta = timedelta(0), dashboard_delay: float = 0.05) -> BletherBot:
    """`invitation_window`: the cog tests edit an invitation at once after each press, so the
    edit lands inside that press's settle (a real window would make every press wait a second);
    tests/cogs/test_rsvp_capacity.py runs the production window and its coalescing.
    `dashboard_delay`: a dashboard burst gathers for 50 ms of café time, not the production two
    seconds, which the simulation's settle would otherwise wait out after every control."""
    kwargs: dict[str, object] = {"clock": clock or RealClock()}
    if plans_dir is not None:
        kwargs["plans_dir"] = plans_dir
    bot = bot_class(settings, **kwargs)  # type: ignore[arg-type]
    await sim.connect(bot)
    bot.services.rsvp.invitations.window = invitation_window
    bot.services.dashboard.debouncer.delay = dashboard_delay
    return bot


def make_guild(seed: int = 3, people: int = 4) -> tuple[SimulatedDiscord, dict[str, object]]:
    sim = SimulatedDiscord(seed=seed)
    # Hosts are given what the commands' default permissions ask for (/cafe: Manage Events, /floor:
    # Manage Messages), as a server's admin would; the role checks behind them are still the real gate.
    sim.add_role(ORGANISER, permissions=ORGANISER_PERMISSIONS)
    sim.add_role(FACILITATOR, permissions=FACILITATOR_PERMISSIONS)
    # Blether is invited with what the README's invite link asks for, Manage Messages (to pin the
    # support numbers in the lobby) included; a test of a server that withheld it sets its own.
    sim.set_role_permissions(sim.bot_role_id, BOT_PERMISSIONS)
    parts: dict[str, object] = {
        "organiser": sim.add_member("olive-organiser", roles=[ORGANISER]),
        "facilitator": sim.add_member("fergus-facilitator", roles=[FACILITATOR]),
        "people": [sim.add_member(name) for name in ("ailsa", "bruce", "catriona", "dougie", "eilidh",
                                                      "fraser")[:people]],
        "announcements": sim.add_text_channel("cafe-announcements"),
        "hosts": sim.add_text_channel("facilitators"),
        "organisers": sim.add_text_channel("organisers"),
    }
    return sim, parts
