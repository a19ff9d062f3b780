"""`blether rehearse`: a whole café, offline, with the real bot against the simulated guild.

Simulated people press the real buttons and write in the real rooms; café time runs `speed`
times faster than the wall clock, so the default café takes well under a minute. A facilitator
joins and hosts a table, writes its summary after round 1 and pins a key point in round 2. It ends by
answering the feedback form, entering the prize draw and asking for the report, then the organiser's
`/cafe draw` and `/cafe report-published`; and it ends by exporting through the real `/cafe export`
and unpacking the zip the bot posted into DIR, beside `transcript.jsonl` — the ground truth the
export (the contributions and the feedback survey) is checked against.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.bot import BletherBot
from bot.config import parse_settings
from bot.core.clock import CompressedClock
from bot.core.models import Session
from bot.core.timeline import SessionState
from bot.rehearsal.people import Persona, hello, make_people, reply_line, sentence
from bot.services.plans import DEFAULT_PLANS_DIR, PlanNotFound, load_plan
from bot.simulation import InteractionResult, SimMember, SimMessage, SimulatedDiscord
from bot.simulation.clock import DEFAULT_START
from bot.simulation.permissions import MANAGE_EVENTS, MANAGE_MESSAGES
from bot.store.attendance import AttendanceRepo

_MENTION = re.compile(r"<@!?\d+>")
_PSEUDONYM = re.compile(r"\bP-[0-9A-Z]{4,12}\b")
ORGANISER_ROLE = "Café organiser"
FACILITATOR_ROLE = "Café facilitator"


class RehearsalError(Exception):
    """Bad options, or a rehearsal whose exports do not match what was said."""


@dataclass
class Speaker:
    persona: Persona
    member: SimMember
    recording: bool = False
    withdrawn: bool = False
    said: list[int] = field(default_factory=list)


@dataclass
class Transcript:
    lines: list[dict[str, object]] = field(default_factory=list)

    def message(self, msg: SimMessage, room: str, round_number: int, speaker: Speaker) -> None:
        self.lines.append({"event": "message", "message_id": str(msg.id), "room": room, "round": round_number,
                           "author": speaker.persona.handle, "consented": speaker.recording, "text": msg.content})

    def event(self, **fields: object) -> None:
        self.lines.append(fields)

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            for line in self.lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


def expected_export(lines: list[dict[str, object]]) -> dict[str, str]:
    """message id → text that the CSV must hold: consented, not deleted, last edit, no withdrawn author."""
    kept: dict[str, str] = {}
    author_of: dict[str, str] = {}
    withdrawn: set[str] = set()
    for line in lines:
        event = line.get("event", "message")
        if event == "message" and line["consented"]:
            kept[str(line["message_id"])] = str(line["text"])
            author_of[str(line["message_id"])] = str(line["author"])
        elif event == "edited" and str(line["message_id"]) in kept and line.get("consented", True):
            kept[str(line["message_id"])] = str(line["text"])
        elif event == "deleted":
            kept.pop(str(line["message_id"]), None)
        elif event == "withdrawn":
            withdrawn.add(str(line["author"]))
    return {mid: text for mid, text in kept.items() if author_of[mid] not in withdrawn}


class Rehearsal:
    def __init__(self, *, plan: str, participants: int, seed: int, speed: float, out: Path, quiet: bool,
                 plans_dir: Path = DEFAULT_PLANS_DIR) -> None:
        self.plan_ref = plan
        self.plans_dir = plans_dir
        self.count = participants
        self.rng = random.Random(seed)
        self.seed = seed
        self.speed = speed
        self.out = out
        self.quiet = quiet
        self.sim = SimulatedDiscord(seed=seed, guild_name="Blether Rehearsal", start_time=DEFAULT_START)
        self.clock = CompressedClock(origin=DEFAULT_START, speed=speed)
        self.transcript = Transcript()
        self.speakers: list[Speaker] = []

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def tick(self) -> None:
        """Keep the simulated Discord's clock on café time, so ids and timestamps agree with it."""
        now = self.clock.now()
        if now > self.sim.now:
            self.sim.now = now

    async def run(self) -> dict[str, object]:
        plan = await load_plan(self.plan_ref, self.plans_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        database = self.out / "rehearsal.sqlite3"
        for stale in self.out.glob("rehearsal.sqlite3*"):
            stale.unlink()
        settings = parse_settings({"BLETHER_DATABASE": str(database), "BLETHER_EXPORTS_DIR": str(self.out / "large"),
                                   "BLETHER_PSEUDONYM_KEY": f"{self.seed:064x}"})
        sim = self.sim
        # Organisers manage the server's events and facilitators its messages, so Discord shows them
        # `/cafe` and `/floor` (the groups' default permissions).
        sim.add_role(ORGANISER_ROLE, permissions=MANAGE_EVENTS | MANAGE_MESSAGES)
        sim.add_role(FACILITATOR_ROLE, permissions=MANAGE_MESSAGES)
        organiser = sim.add_member("organiser", roles=[ORGANISER_ROLE])
        facilitator = sim.add_member("facilitator", roles=[FACILITATOR_ROLE])
        announcements = sim.add_text_channel("cafe-announcements")
        hosts = sim.add_text_channel("facilitators")
        organisers = sim.add_text_channel("organisers")
        self.speakers = [Speaker(p, sim.add_member(p.handle)) for p in make_people(self.rng, self.count)]
        # The facilitator joins too, and so hosts a table: the host stays put when people rotate.
        self.host = Speaker(Persona("Morven", records=True, quotes=False, talkativeness=1), facilitator)

        bot = BletherBot(settings, clock=self.clock, plans_dir=self.plans_dir)
        await sim.connect(bot)
        try:
            self.tick()
            admin = sim.owner
            await self.expect(sim.slash(bot, admin, "blether setup", channel_id=announcements,
                                        organiser_role=sim.role_id(ORGANISER_ROLE),
                                        facilitator_role=sim.role_id(FACILITATOR_ROLE),
                                        facilitators_channel=hosts, organisers_channel=organisers),
                              "setup")
            draft = await self.expect(sim.slash(bot, organiser, "cafe schedule", channel_id=announcements,
                                                plan=plan.id, when="in 10 minutes"), "schedule")
            confirm = next(c["custom_id"] for row in draft.messages[-1].components for c in row["components"]
                           if c["custom_id"].startswith("blether:sched:ok:"))
            scheduled = await self.expect(sim.click(bot, organiser, draft.messages[-1], confirm), "confirm")
            self.say(f"organiser ▸ /cafe schedule → {scheduled.content}")
            if "Scheduled café #" not in scheduled.content:
                raise RehearsalError(f"the café was not scheduled: {scheduled.content}")
            session_id = int(scheduled.content.split("#", 1)[1].split(",", 1)[0])
            invitation = sim.messages(announcements)[-1]
            await self.join_and_consent(bot, invitation)
            await self.join(bot, invitation, self.host)
            await self.wait_for(bot, session_id, lambda s: s.current_round >= 1, "the café to open")
            for number in range(1, len(plan.rounds) + 1):
                await self.wait_for(bot, session_id, _round_started(number), f"round {number}")
                if number == 2:
                    await self.write_summary(bot, session_id)
                await self.talk_round(bot, session_id, number, plan.rounds[number - 1].minutes)
            await self.wait_for(bot, session_id, lambda s: s.state is SessionState.CLOSED, "the café to close")
            await self.after_cafe(bot, session_id, organiser, organisers)
            self.tick()
            export = await self.expect(sim.slash(bot, organiser, "cafe export", channel_id=organisers,
                                                 cafe=session_id, formats="all"), "export")
            self.say(f"organiser ▸ /cafe export → {export.content}")
            files = self.unpack_export(organisers)
        finally:
            await sim.disconnect(bot)
        self.transcript.write(self.out / "transcript.jsonl")
        if not self.quiet:
            self.print_rooms()
        return self.check(files, facilitator)

    async def expect(self, pending: Awaitable[InteractionResult], what: str) -> InteractionResult:
        result = await pending
        if not result.messages:
            raise RehearsalError(f"the bot did not answer the {what} command")
        return result

    async def join_and_consent(self, bot: BletherBot, invitation: SimMessage) -> None:
        for speaker in self.speakers:
            await self.join(bot, invitation, speaker)

    async def join(self, bot: BletherBot, invitation: SimMessage, speaker: Speaker) -> None:
        self.tick()
        panel = await self.sim.click(bot, speaker.member, invitation, f"blether:rsvp:{self.session_of(invitation)}")
        choice = "record" if speaker.persona.records else "decline"
        panel_message = next((m for m in panel.messages for c in m.iter_components()
                              if str(c.get("custom_id", "")).startswith("blether:choose:")), None)
        if panel_message is None:
            raise RehearsalError(f"{speaker.persona.handle} pressed I'll join and got no consent choices")
        self.tick()
        await self.sim.click(bot, speaker.member, panel_message, f"blether:choose:{self.session_of(invitation)}:"
                                                                 f"{choice}")
        speaker.recording = speaker.persona.records
        if speaker.persona.quotes:
            self.tick()
            await self.sim.click(bot, speaker.member, panel_message,
                                 f"blether:choose:{self.session_of(invitation)}:quote")
        self.say(f"{speaker.persona.handle} ▸ joins and chooses: "
                 f"{'record my words' if speaker.recording else 'do not record me'}"
                 f"{', quote me' if speaker.persona.quotes else ''}")

    @staticmethod
    def session_of(invitation: SimMessage) -> int:
        for button in invitation.iter_components():
            custom_id = str(button.get("custom_id", ""))
            if custom_id.startswith("blether:rsvp:"):
                return int(custom_id.rsplit(":", 1)[1])
        raise RehearsalError("the invitation has no RSVP button")

    async def wait_for(self, bot: BletherBot, session_id: int, ready: Callable[[Session], bool], what: str) -> None:
        deadline = asyncio.get_running_loop().time() + 120
        while True:
            self.tick()
            session = await bot.services.cafes.sessions.get(session_id)
            if session is not None and ready(session):
                await self.sim.settle()
                return
            if asyncio.get_running_loop().time() > deadline:
                raise RehearsalError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    def handle_of(self, member_id: int) -> str:
        return next((s.persona.handle for s in self.speakers if s.member.id == member_id), "someone")

    def room_of(self, speaker: Speaker, session_rooms: list[tuple[str, int]]) -> tuple[str, int] | None:
        for name, channel_id in session_rooms:
            if self.sim.can_view(speaker.member, channel_id):
                return name, channel_id
        return None

    async def talk_round(self, bot: BletherBot, session_id: int, number: int, minutes: int) -> None:
        """Everyone talks in their room across the first half of the round, then waits for the next."""
        rooms = [(r.name, r.channel_id) for r in await bot.services.cafes.sessions.rooms(session_id)
                 if r.channel_id is not None]
        session = await bot.services.cafes.sessions.get(session_id)
        assert session is not None and session.lobby_channel_id is not None
        turns: list[tuple[Speaker, str, int]] = []
        for speaker in self.speakers:
            placed = self.room_of(speaker, rooms)
            if placed is not None:
                turns.extend((speaker, placed[0], placed[1]) for _ in range(speaker.persona.talkativeness))
        self.rng.shuffle(turns)
        if number == 1:
            turns[:0] = [(s, "lobby", session.lobby_channel_id) for s in self.speakers[:3]]
        pause = self.clock.wall_seconds(minutes * 60) * 0.5 / max(1, len(turns))
        for index, (speaker, room, channel_id) in enumerate(turns):
            await asyncio.sleep(pause)
            current = await bot.services.cafes.sessions.get(session_id)
            if current is None or current.current_round != number or current.state is not SessionState.RUNNING:
                break  # the round moved on: nobody talks over the next prompt
            self.tick()
            text = hello(self.rng) if room == "lobby" else sentence(self.rng, number - 1)
            reply_to = None
            if room != "lobby" and index % 5 == 4:
                earlier = [m for m in self.sim.messages(channel_id) if m.author_id != self.sim.bot_user.id]
                if earlier:
                    reply_to = earlier[-1].id
                    text = reply_line(self.rng)
            if index == 2 and number == 1:
                other = self.speakers[0] if speaker is not self.speakers[0] else self.speakers[-1]
                text = f"<@{other.member.id}> said it well earlier. {text}"
            msg = await self.sim.say(bot, speaker.member, channel_id, text, reply_to=reply_to)
            speaker.said.append(msg.id)
            self.transcript.message(msg, room, number, speaker)
            shown = _MENTION.sub(lambda m: "@" + self.handle_of(int(m.group(0).strip("<@!>"))), text)
            self.say(f"[{room} · round {number}] {speaker.persona.handle}: {shown}")
        await self.sim.settle()
        if number == 1:
            await self.host_speaks(bot, session_id)
        if number == 2:
            await self.key_point(bot, rooms)
        await self.edits_and_withdrawal(bot, number)

    async def host_room(self, bot: BletherBot, session_id: int) -> tuple[str, int]:
        participant = await bot.services.cafes.people.participant_id(self.host.member.id)
        hosted = {p: r for r, p in (await AttendanceRepo(bot.db).hosts(session_id)).items()}
        room_id = hosted.get(participant) if participant is not None else None
        room = next((r for r in await bot.services.cafes.sessions.rooms(session_id) if r.id == room_id), None)
        if room is None or room.channel_id is None:
            raise RehearsalError("the facilitator who joined hosts no table")
        return room.name, room.channel_id

    async def host_speaks(self, bot: BletherBot, session_id: int) -> None:
        """The table's host opens up the conversation (their words carry the host's role in the export)."""
        room, channel_id = await self.host_room(bot, session_id)
        self.tick()
        text = "As your host: thank you all for sharing so openly. " + sentence(self.rng, 0)
        msg = await self.sim.say(bot, self.host.member, channel_id, text)
        self.host.said.append(msg.id)
        self.transcript.message(msg, room, 1, self.host)
        self.say(f"[{room} · round 1] host: {text}")

    async def write_summary(self, bot: BletherBot, session_id: int) -> None:
        """Round 1 has ended: the host writes their table's summary through **Write the summary**."""
        room, channel_id = await self.host_room(bot, session_id)
        offer = next((m for m in self.sim.messages(channel_id) for c in m.iter_components()
                      if str(c.get("custom_id", "")) == f"blether:summary:{session_id}"), None)
        if offer is None:
            raise RehearsalError(f"{room} was not offered **Write the summary** after round 1")
        self.tick()
        opened = await self.sim.click(bot, self.host.member, offer, f"blether:summary:{session_id}")
        if opened.modal is None:
            raise RehearsalError("**Write the summary** opened no form")
        saved = await self.sim.submit_modal(bot, self.host.member, opened.modal["custom_id"], {"summary": SUMMARY})
        self.transcript.event(event="summary", room=room, text=SUMMARY)
        self.say(f"host ▸ writes {room}'s summary of round 1 → {saved.content}")

    async def key_point(self, bot: BletherBot, rooms: list[tuple[str, int]]) -> None:
        """A facilitator pins a consenting person's words of this round as a key point."""
        for speaker in self.speakers:
            if speaker.recording and speaker.said:
                target = self.sim.message(speaker.said[-1])
                self.tick()
                await self.sim.react(bot, self.host.member, target, "📌")
                self.transcript.event(event="key_point", message_id=str(target.id))
                self.say(f"host ▸ 📌 marks a key point by {speaker.persona.handle}")
                return
        raise RehearsalError("nobody consenting spoke in round 2, so there was no key point to mark")

    async def edits_and_withdrawal(self, bot: BletherBot, number: int) -> None:
        """Round 1: an edit and a deletion. Round 2: a consenting person withdraws."""
        recorders = [s for s in self.speakers if s.recording and s.said]
        if number == 1 and recorders:
            editor = recorders[0]
            target = editor.said[-1]
            self.tick()
            new_text = self.sim.message(target).content + " (edited: I meant the evening group.)"
            await self.sim.edit(bot, target, new_text)
            self.transcript.event(event="edited", message_id=str(target), text=new_text,
                                  author=editor.persona.handle, consented=editor.recording)
            self.say(f"{editor.persona.handle} edits a message")
            deleter = recorders[-1]
            if len(deleter.said) > 1 or deleter is not editor:
                victim = deleter.said[0]
                self.tick()
                await self.sim.delete(bot, victim)
                self.transcript.event(event="deleted", message_id=str(victim), author=deleter.persona.handle)
                self.say(f"{deleter.persona.handle} deletes a message")
        if number == 2 and len(recorders) > 2:
            leaver = recorders[1]
            self.tick()
            confirm = await self.sim.slash(bot, leaver.member, "withdraw")
            self.tick()
            session_button = next(b for b in confirm.buttons() if str(b["custom_id"]).startswith("blether:withdraw:"))
            await self.sim.click(bot, leaver.member, confirm.messages[-1], str(session_button["custom_id"]))
            leaver.recording = False
            leaver.withdrawn = True
            self.transcript.event(event="withdrawn", author=leaver.persona.handle)
            self.say(f"{leaver.persona.handle} ▸ /withdraw → erased and no longer recorded")
        await self.sim.settle()

    async def after_cafe(self, bot: BletherBot, session_id: int, organiser: SimMember, organisers: int) -> None:
        """After the close: some people answer the feedback form from their DM, some enter the draw,
        some ask to hear about the report; then the organiser draws and publishes the report."""
        sim = self.sim
        entered = asked = 0
        for index, speaker in enumerate(self.speakers):
            offer = next((m for m in sim.dm_messages(speaker.member)
                          if any(c.get("custom_id") == f"blether:feedback:{session_id}" for c in m.iter_components())),
                         None)
            if offer is None:
                raise RehearsalError(f"{speaker.persona.handle} was not offered the feedback form")
            self.tick()
            if index == 0 or self.rng.random() < 0.7:
                rating = self.rng.choice((3, 4, 4, 5, 5, 2))
                fields = {"rating": str(rating), "worked": self.rng.choice(_WORKED),
                          "change": self.rng.choice(_CHANGE) if self.rng.random() < 0.6 else ""}
                opened = await sim.click(bot, speaker.member, offer, f"blether:feedback:{session_id}")
                if opened.modal is None:
                    raise RehearsalError(f"the feedback form did not open: {opened.content}")
                saved = await sim.submit_modal(bot, speaker.member, f"blether:feedback-form:{session_id}", fields)
                if "Thank you" not in saved.content:
                    raise RehearsalError(f"feedback was not saved: {saved.content}")
                self.transcript.event(event="feedback", rating=rating, worked=fields["worked"], change=fields["change"])
                self.say(f"{speaker.persona.handle} ▸ answers the feedback form (rating {rating})")
            if index == 0 or self.rng.random() < 0.6:
                await sim.click(bot, speaker.member, offer, f"blether:draw-entry:{session_id}")
                entered += 1
            if index == 0 or self.rng.random() < 0.5:
                await sim.click(bot, speaker.member, offer, f"blether:report-updates:{session_id}")
                asked += 1
        self.transcript.event(event="draw_entries", count=entered)
        self.transcript.event(event="report_requests", count=asked)
        self.say(f"{entered} people enter the prize draw; {asked} ask to hear when the report is out")
        self.tick()
        drawn = await self.expect(sim.slash(bot, organiser, "cafe draw", channel_id=organisers, cafe=session_id),
                                  "draw")
        self.say(f"organiser ▸ /cafe draw → {drawn.content}")
        winners = [s for s in self.speakers if any("You won the prize draw" in m.content
                                                   for m in sim.dm_messages(s.member))]
        if len(winners) != 1:
            raise RehearsalError(f"the draw told {len(winners)} winners by DM")
        self.speakers[-1].member.dms_open = False  # someone who has since closed their DMs is counted, not chased
        self.tick()
        published = await self.expect(sim.slash(bot, organiser, "cafe report-published", channel_id=organisers,
                                                cafe=session_id, link=REPORT_LINK,
                                                note="Thank you for everything you shared."), "report-published")
        self.say(f"organiser ▸ /cafe report-published → {published.content}")
        told = sum(any(REPORT_LINK in m.content for m in sim.dm_messages(s.member)) for s in self.speakers)
        self.transcript.event(event="report_dms", count=told)

    def unpack_export(self, organisers_channel: int) -> list[str]:
        posted = [m for m in self.sim.messages(organisers_channel) if m.attachments]
        if not posted:
            raise RehearsalError("the bot posted no export in the organisers' channel")
        attachment = posted[-1].attachments[-1]
        with zipfile.ZipFile(io.BytesIO(attachment["data"])) as archive:
            archive.extractall(self.out)
            return sorted(archive.namelist())

    def print_rooms(self) -> None:
        print("\n=== What each room saw ===")
        print(self.sim.transcript())

    def check(self, files: list[str], facilitator: SimMember) -> dict[str, object]:
        csv_files = sorted(p for p in self.out.glob("**/*.csv")
                           if not p.name.endswith((FEEDBACK_SUFFIX, "-summaries.csv")))
        if not csv_files:
            raise RehearsalError("the export has no CSV file")
        self.check_feedback()
        with csv_files[0].open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        expected = sorted(expected_export(self.transcript.lines).values())
        exported = sorted(comparable(row["text"]) for row in rows)
        cleaned_expected = sorted(comparable(t) for t in expected)
        if exported != cleaned_expected:
            missing = set(cleaned_expected) - set(exported)
            extra = set(exported) - set(cleaned_expected)
            raise RehearsalError(f"the CSV does not match the consented transcript: {len(missing)} missing, "
                                 f"{len(extra)} unexpected (e.g. {next(iter(missing or extra), '')!r})")
        self.check_floor(rows)
        summary = {"out": str(self.out), "files": files, "messages": sum(1 for line in self.transcript.lines
                                                                         if line.get("event") == "message"),
                   "exported": len(rows)}
        print(f"\nRehearsal done: {summary['messages']} messages said, {summary['exported']} consented ones "
              f"exported (checked against transcript.jsonl).\nExports in {self.out}/: " + ", ".join(files))
        return summary


    def check_floor(self, rows: list[dict[str, str]]) -> None:
        """The café floor reached the analyst: the host's words carry the host's role (never a name), the
        pinned words are a key point, and the host's summary is in the summaries file."""
        host_said = {comparable(str(line["text"])) for line in self.transcript.lines
                     if line.get("event") == "message" and line.get("author") == self.host.persona.handle}
        roles = {comparable(row["text"]): row["speaker_role"] for row in rows}
        if not host_said or any(roles.get(text) != "host" for text in host_said):
            raise RehearsalError("the export does not mark the table host's words with the host's role")
        if not any(row["key_point"] == "yes" for row in rows):
            raise RehearsalError("the export has no key point")
        summaries = sorted(self.out.glob("*-summaries.csv"))
        if not summaries or SUMMARY not in summaries[0].read_text(encoding="utf-8-sig"):
            raise RehearsalError("the export does not carry the host's summary")

    def check_feedback(self) -> None:
        """The feedback CSV holds exactly the answers given (as a multiset: it keeps no order), and the
        report has its feedback section."""
        found = sorted(self.out.glob(f"*{FEEDBACK_SUFFIX}"))
        if not found:
            raise RehearsalError("the export has no feedback CSV")
        with found[0].open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        given = [line for line in self.transcript.lines if line.get("event") == "feedback"]
        if sorted(int(r["rating"]) for r in rows) != sorted(int(str(g["rating"])) for g in given):
            raise RehearsalError(f"the feedback CSV holds {len(rows)} answers; {len(given)} were given")
        report = next(self.out.glob("*-report.html")).read_text(encoding="utf-8")
        if 'id="feedback"' not in report:
            raise RehearsalError("the report has no feedback section")


_WORKED = ("Small rooms made it easy to talk.", "Hearing from people who've been there.", "The prompts were gentle.",
           "Being able to pass.")
_CHANGE = ("More time in the last round.", "A break halfway.", "Start a bit later in the evening.")
REPORT_LINK = "https://example.org/rehearsal-report"
SUMMARY = "The table talked about peer support, waiting times, and being listened to."
FEEDBACK_SUFFIX = "-feedback.csv"


def _round_started(number: int) -> Callable[[Session], bool]:
    return lambda session: session.current_round >= number


def comparable(text: str) -> str:
    """The transcript holds raw mentions; the export holds pseudonyms: compare them as one marker."""
    return _PSEUDONYM.sub("@", _MENTION.sub("@", text)).replace("[participant]", "@")


async def rehearse(*, plan: str, participants: int, seed: int, speed: float, out: Path,
                   quiet: bool = False, plans_dir: Path = DEFAULT_PLANS_DIR) -> dict[str, object]:
    if not 2 <= participants <= 60:
        raise RehearsalError("--participants must be between 2 and 60.")
    if not 1 <= speed <= 10_000:
        raise RehearsalError("--speed must be between 1 and 10000.")
    try:
        await load_plan(plan, plans_dir)
    except PlanNotFound as exc:
        raise RehearsalError(str(exc)) from exc
    except ValueError as exc:
        raise RehearsalError(f"the plan has problems:\n{exc}") from exc
    rehearsal = Rehearsal(plan=plan, participants=participants, seed=seed, speed=speed, out=out, quiet=quiet,
                          plans_dir=plans_dir)
    return await rehearsal.run()


