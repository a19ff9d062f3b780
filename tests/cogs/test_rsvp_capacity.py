"""RSVP, capacity and the waitlist through the simulated Discord (issue 11): I'll join past capacity
joins an ordered waitlist, Can't come frees a place, the first person waiting is offered it by
DM (or one mention when their DMs are closed) and holds it for a while, a hold that lapses
passes on, a restart around a hold's end offers nothing twice, the invitation is one message
edited in place, and `/cafe show` gives organisers numbers, never names."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cafe_harness import Cafe, make_guild, make_settings, start_bot

from bot.bot import BletherBot
from bot.core.clock import utcnow
from bot.simulation import InteractionResult, SimMember, SimMessage, SimPermissionError
from bot.simulation.clock import DEFAULT_START
from bot.store.steps import StepRepo
from bot.store.waitlist import HOLD_STEP, OFFER_STEP

EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


@dataclass
class SteppedClock:
    """Café time that moves only when the test moves it: a step is queued for now once café time
    reaches it, and a day away before (so a hold ends exactly when the test says)."""

    moment: datetime = DEFAULT_START

    def now(self) -> datetime:
        return self.moment

    def to_wall(self, moment: datetime) -> datetime:
        return utcnow() if moment <= self.moment else utcnow() + timedelta(days=1)

    def wall_seconds(self, cafe_seconds: float) -> float:
        return cafe_seconds


class Crash(BaseException):
    """Raised by a held call to kill the bot mid-step: no handler of Blether's catches it."""


async def stepped_cafe(tmp_path: Path, clock: SteppedClock, people: int = 5) -> Cafe:
    sim, parts = make_guild(people=people)
    settings = make_settings(tmp_path)
    bot = await start_bot(sim, settings, clock=clock)
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    return cafe


def buttons(message: SimMessage) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for c in message.iter_components() if c.get("type") == 2}


async def press(cafe: Cafe, person: SimMember, message: SimMessage, label: str) -> InteractionResult:
    return await cafe.sim.click(cafe.bot, person, message, buttons(message)[label])


async def until(predicate: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def step_statuses(bot: BletherBot, session_id: int, kind: str) -> list[str]:
    return [s.status for s in await StepRepo(bot.db).for_session(session_id) if s.kind == kind]


async def end_holds(cafe: Cafe, clock: SteppedClock, session_id: int) -> None:
    """Move café time to the end of the pending holds and let their steps run."""
    steps = StepRepo(cafe.bot.db)
    holds = [s for s in await steps.for_session(session_id) if s.kind == HOLD_STEP and s.status == "pending"]
    clock.moment = max(clock.moment, *(s.due_at for s in holds))
    assert cafe.bot.scheduler is not None
    await cafe.bot.scheduler.reconcile(session_id)

    async def ended() -> bool:
        return all(s.status not in ("pending", "running") or s.due_at > clock.moment
                   for s in await steps.for_session(session_id) if s.kind in (HOLD_STEP, OFFER_STEP))

    await until(ended)
    await cafe.sim.settle()


async def test_past_capacity_people_wait_in_order_on_one_invitation_edited_in_place(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await cafe.schedule("in 3 hours", capacity=2)
    invitation = cafe.invitations[session_id]
    assert list(buttons(invitation)) == ["I'll join", "Can't come", "My consent choices"]
    assert "2 places." in invitation.content
    posted = len(cafe.sim.messages(cafe.announcements))

    for person in (ailsa, bruce):
        joined = await cafe.join(session_id, person, choice=None)
        assert "You're on the list" in joined.content
    third = await cafe.join(session_id, catriona, choice=None)
    fourth = await cafe.join(session_id, dougie, choice=None)
    assert "waitlist: number **1**" in third.content and "waitlist: number **2**" in fourth.content
    assert "Your choices" not in third.content, "nobody waiting is asked for consent yet"

    # Asking again tells the same place (after the button's cooldown, on Discord's clock).
    cafe.sim.advance(31)
    again = await press(cafe, catriona, invitation, "I'll join")
    assert "number **1**" in again.content

    assert len(cafe.sim.messages(cafe.announcements)) == posted, "the invitation is edited, never reposted"
    assert "**2 coming** · full · 2 on the waitlist" in invitation.content
    assert invitation.edited
    await cafe.sim.disconnect(cafe.bot)


async def test_cant_come_frees_a_place_that_the_first_waiting_takes(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await cafe.schedule("in 3 hours", capacity=2)
    invitation = cafe.invitations[session_id]
    for person in (ailsa, bruce):
        await cafe.join(session_id, person)
    for person in (catriona, dougie):
        await cafe.join(session_id, person, choice=None)

    left = await press(cafe, ailsa, invitation, "Can't come")
    assert "not coming" in left.content and "Your place goes to the next person waiting" in left.content
    offers = cafe.sim.dm_messages(catriona)
    assert len(offers) == 1 and not cafe.sim.dm_messages(dougie), "only the first waiting is offered the place"
    offer = offers[0]
    assert list(buttons(offer)) == ["Take my place"]
    assert "<t:" in offer.content and ":R>" in offer.content
    assert "**1 coming** · full · 2 on the waitlist" in invitation.content, "a held place is not free"

    taken = await press(cafe, catriona, offer, "Take my place")
    assert taken.content.startswith("The place is yours.") and "Your choices" in taken.content
    assert "**2 coming** · full · 1 on the waitlist" in invitation.content
    assert await step_statuses(cafe.bot, session_id, HOLD_STEP) == ["cancelled"]

    # Dougie is next in the queue now.
    cafe.sim.advance(31)
    assert "number **1**" in (await press(cafe, dougie, invitation, "I'll join")).content

    # Can't come is kept as the person's answer and audited as counts, with nobody named.
    audit = await cafe.bot.db.fetch_all("SELECT actor_id, action, detail FROM audit WHERE action = 'cant_come'")
    assert [tuple(r) for r in audit] == [(None, "cant_come", "coming=1 cant_come=1 waiting=2")]
    await cafe.sim.disconnect(cafe.bot)


async def test_someone_waiting_who_cant_come_leaves_the_queue_without_freeing_a_place(cafe: Cafe) -> None:
    ailsa, bruce, catriona = cafe.people[:3]
    session_id = await cafe.schedule("in 3 hours", capacity=1)
    invitation = cafe.invitations[session_id]
    await cafe.join(session_id, ailsa)
    await cafe.join(session_id, bruce, choice=None)
    third = await cafe.join(session_id, catriona, choice=None)
    assert "number **2**" in third.content
    left = await press(cafe, bruce, invitation, "Can't come")
    assert "Your place goes" not in left.content
    cafe.sim.advance(31)
    assert "number **1**" in (await press(cafe, catriona, invitation, "I'll join")).content
    assert not cafe.sim.dm_messages(catriona), "no place came free"
    await cafe.sim.disconnect(cafe.bot)


async def test_closed_dms_get_one_mention_by_the_invitation_with_the_button(cafe: Cafe) -> None:
    ailsa, bruce = cafe.people[:2]
    bruce.dms_open = False
    session_id = await cafe.schedule("in 3 hours", capacity=1)
    invitation = cafe.invitations[session_id]
    await cafe.join(session_id, ailsa)
    await cafe.join(session_id, bruce, choice=None)
    before = cafe.sim.messages(cafe.announcements)
    await press(cafe, ailsa, invitation, "Can't come")
    mentions = [m for m in cafe.sim.messages(cafe.announcements) if m not in before]
    assert len(mentions) == 1
    assert mentions[0].content.count(f"<@{bruce.id}>") == 1 and f"<@{ailsa.id}>" not in mentions[0].content
    sent = [c for c in cafe.sim.calls if c.method == "POST" and c.template == "/channels/{channel_id}/messages"][-1]
    assert sent.json["allowed_mentions"]["users"] == [bruce.id], "the mention pings that one person only"
    taken = await press(cafe, bruce, mentions[0], "Take my place")
    assert taken.content.startswith("The place is yours.")
    await cafe.sim.disconnect(cafe.bot)


async def test_a_held_place_that_lapses_passes_to_the_next_person(tmp_path: Path) -> None:
    clock = SteppedClock()
    cafe = await stepped_cafe(tmp_path, clock)
    ailsa, bruce, catriona, dougie = cafe.people[:4]
    session_id = await cafe.schedule("in 3 hours", capacity=1, hold=30)
    invitation = cafe.invitations[session_id]
    await cafe.join(session_id, ailsa)
    for person in (bruce, catriona, dougie):
        await cafe.join(session_id, person, choice=None)
    await press(cafe, ailsa, invitation, "Can't come")
    [offer] = cafe.sim.dm_messages(bruce)
    assert not cafe.sim.dm_messages(catriona)

    clock.moment += timedelta(minutes=29)
    assert not cafe.sim.dm_messages(catriona), "the place is still held"
    await end_holds(cafe, clock, session_id)
    assert len(cafe.sim.dm_messages(catriona)) == 1 and not cafe.sim.dm_messages(dougie)
    assert len(cafe.sim.dm_messages(bruce)) == 1
    late = await press(cafe, bruce, offer, "Take my place")
    assert "no longer held for you" in late.content
    assert await step_statuses(cafe.bot, session_id, HOLD_STEP) == ["done", "pending"]
    assert "**0 coming** · full · 2 on the waitlist" in invitation.content

    # Bruce may ask again: the end of the queue.
    cafe.sim.advance(31)
    assert "number **2**" in (await press(cafe, bruce, invitation, "I'll join")).content
    await cafe.sim.disconnect(cafe.bot)


async def test_a_hold_never_outlasts_the_start(tmp_path: Path) -> None:
    clock = SteppedClock()
    cafe = await stepped_cafe(tmp_path, clock)
    ailsa, bruce = cafe.people[:2]
    session_id = await cafe.schedule("in 1 hour", capacity=1)
    await cafe.join(session_id, ailsa)
    await cafe.join(session_id, bruce, choice=None)
    await press(cafe, ailsa, cafe.invitations[session_id], "Can't come")
    [hold] = [s for s in await StepRepo(cafe.bot.db).for_session(session_id) if s.kind == HOLD_STEP]
    assert cafe.bot.services.cafes.sessions is not None
    session = await cafe.bot.services.cafes.refreshed(session_id)
    assert hold.due_at == session.starts_at, "two hours would pass the start: held until the start"
    await cafe.sim.disconnect(cafe.bot)


async def test_the_bot_down_across_a_holds_end_passes_it_on_once_when_back(tmp_path: Path) -> None:
    clock = SteppedClock()
    cafe = await stepped_cafe(tmp_path, clock)
    ailsa, bruce, catriona, dougie = cafe.people[:4]
    session_id = await cafe.schedule("in 3 hours", capacity=1, hold=30)
    await cafe.join(session_id, ailsa)
    for person in (bruce, catriona, dougie):
        await cafe.join(session_id, person, choice=None)
    await press(cafe, ailsa, cafe.invitations[session_id], "Can't come")
    await cafe.sim.disconnect(cafe.bot)

    clock.moment += timedelta(minutes=45)  # the hold ended while the bot was away
    cafe.bot = await start_bot(cafe.sim, cafe.settings, clock=clock)
    await until(lambda: _offered(cafe, catriona))
    await cafe.sim.settle()
    assert [len(cafe.sim.dm_messages(p)) for p in (bruce, catriona, dougie)] == [1, 1, 0]
    assert await step_statuses(cafe.bot, session_id, HOLD_STEP) == ["done", "pending"]
    assert await step_statuses(cafe.bot, session_id, OFFER_STEP) == ["done", "done"]

    # And once more across another restart: nothing is offered again.
    await cafe.sim.disconnect(cafe.bot)
    cafe.bot = await start_bot(cafe.sim, cafe.settings, clock=clock)
    await cafe.sim.settle()
    assert [len(cafe.sim.dm_messages(p)) for p in (bruce, catriona, dougie)] == [1, 1, 0]
    await cafe.sim.disconnect(cafe.bot)


async def test_a_crash_inside_a_holds_end_resumes_and_offers_nobody_twice(tmp_path: Path) -> None:
    clock = SteppedClock()
    cafe = await stepped_cafe(tmp_path, clock)
    ailsa, bruce, catriona, dougie = cafe.people[:4]
    session_id = await cafe.schedule("in 3 hours", capacity=1, hold=30)
    await cafe.join(session_id, ailsa)
    for person in (bruce, catriona, dougie):
        await cafe.join(session_id, person, choice=None)
    await press(cafe, ailsa, cafe.invitations[session_id], "Can't come")

    # The hold ends; the bot dies while opening the DM to Catriona, before Discord acts.
    old = cafe.bot
    assert old.scheduler is not None
    gate = cafe.sim.faults.hang("POST", "/users/@me/channels")
    clock.moment += timedelta(minutes=30)
    await old.scheduler.reconcile(session_id)
    await asyncio.wait_for(gate.reached(), 10)
    old.scheduler.shutdown()
    gate.release(error=Crash())
    await cafe.sim.settle()
    cafe.sim.faults.clear()
    assert await step_statuses(old, session_id, OFFER_STEP) == ["done", "running"]
    await cafe.sim.disconnect(old)

    cafe.bot = await start_bot(cafe.sim, cafe.settings, clock=clock)
    await until(lambda: _offered(cafe, catriona))
    await cafe.sim.settle()
    assert [len(cafe.sim.dm_messages(p)) for p in (bruce, catriona, dougie)] == [1, 1, 0]
    assert await step_statuses(cafe.bot, session_id, OFFER_STEP) == ["done", "done"]
    assert (await step_statuses(cafe.bot, session_id, HOLD_STEP))[0] in ("done", "skipped")
    taken = await press(cafe, catriona, cafe.sim.dm_messages(catriona)[0], "Take my place")
    assert taken.content.startswith("The place is yours.")
    await cafe.sim.disconnect(cafe.bot)


async def _offered(cafe: Cafe, person: SimMember) -> bool:
    return bool(cafe.sim.dm_messages(person))


async def test_a_latecomer_past_capacity_is_told_they_are_waiting(tmp_path: Path) -> None:
    clock = SteppedClock()
    cafe = await stepped_cafe(tmp_path, clock)
    ailsa, bruce, catriona = cafe.people[:3]
    session_id = await cafe.schedule("in 1 hour", capacity=2, room_size=2)
    await cafe.join(session_id, ailsa)
    opened = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe open", channel_id=cafe.announcements,
                                  cafe=session_id)
    assert "is open" in opened.content, opened.content
    late = await cafe.join(session_id, bruce, choice=None)
    assert "under way" in late.content, "a place left: seated at once"
    later = await cafe.join(session_id, catriona, choice=None)
    assert "waitlist: number **1**" in later.content
    await cafe.sim.disconnect(cafe.bot)


async def test_presses_in_a_burst_cost_the_invitation_one_edit(tmp_path: Path) -> None:
    sim, parts = make_guild(people=5)
    settings = make_settings(tmp_path)
    # Three seconds: longer than the simulation's settle waits for a sleeping task, so the presses
    # all land inside one window.
    bot = await start_bot(sim, settings, invitation_window=timedelta(seconds=3))
    cafe = Cafe(sim=sim, bot=bot, settings=settings, **parts)  # type: ignore[arg-type]
    await cafe.setup()
    session_id = await cafe.schedule("in 3 hours", capacity=3)
    invitation = cafe.invitations[session_id]
    since = len(sim.calls)

    def edits() -> int:
        return sum(1 for c in sim.calls[since:] if f"{c.method} {c.template}" == EDIT)

    for person in cafe.people:
        await sim.click(bot, person, invitation, f"blether:rsvp:{session_id}")
    assert edits() == 0, "nothing is edited before the window ends"
    assert bot.services.rsvp.invitations.pending == {session_id}

    async def edited() -> bool:
        return edits() > 0

    await until(edited)
    await sim.settle()
    assert edits() == 1, "five presses within the window: one edit"
    assert "**3 coming** · full · 2 on the waitlist" in invitation.content
    await sim.disconnect(bot)


async def test_an_rsvp_press_makes_the_documented_calls(cafe: Cafe) -> None:
    session_id = await cafe.schedule("in 3 hours", capacity=1)
    invitation = cafe.invitations[session_id]
    for person, outcome in ((cafe.people[0], "coming"), (cafe.people[1], "waiting")):
        since = len(cafe.sim.calls)
        await cafe.sim.click(cafe.bot, person, invitation, f"blether:rsvp:{session_id}")
        made = sorted(f"{c.method} {c.template}" for c in cafe.sim.calls[since:])
        # docs/rest-calls.md, "An RSVP press": the deferral, the answer, the invitation's edit.
        assert made == sorted([
            "POST /interactions/{webhook_id}/{webhook_token}/callback",
            "POST /webhooks/{webhook_id}/{webhook_token}",
            EDIT,
        ]), (outcome, made)
    since = len(cafe.sim.calls)
    await cafe.sim.click(cafe.bot, cafe.people[0], invitation, f"blether:cantcome:{session_id}")
    made = sorted(f"{c.method} {c.template}" for c in cafe.sim.calls[since:])
    assert made == sorted([
        "POST /interactions/{webhook_id}/{webhook_token}/callback",
        "POST /users/@me/channels",  # the offer to the first waiting (discord.py caches the DM channel)
        "POST /channels/{channel_id}/messages",
        "POST /webhooks/{webhook_id}/{webhook_token}",
        EDIT,
    ]), made
    await cafe.sim.disconnect(cafe.bot)


async def test_cafe_show_gives_organisers_numbers_and_never_names(cafe: Cafe) -> None:
    ailsa, bruce, catriona, dougie = cafe.people
    session_id = await cafe.schedule("in 3 hours", capacity=2, reminders="1h, 15m")
    await cafe.join(session_id, ailsa, choice="record")
    await cafe.join(session_id, bruce, choice="decline")
    for person in (catriona, dougie):
        await cafe.join(session_id, person, choice=None)
    await press(cafe, bruce, cafe.invitations[session_id], "Can't come")

    shown = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe show", channel_id=cafe.announcements,
                                 cafe=session_id)
    text = shown.content
    assert "café #" in text and "scheduled" in text and "<t:" in text and ":F>" in text
    assert "**Coming:** 1 of 2 places (0 left) · **can't come:** 1" in text
    assert "**Waitlist:** 1 waiting, 1 place(s) held — 1. place held until <t:" in text and "2. waiting" in text
    assert "**Consent:** 1 gave it, 1 declined, 0 withdrew" in text
    assert "1 hour(s) before" in text and "15 minutes before" in text and "to come" in text
    for person in cafe.people:
        assert person.name not in text and str(person.id) not in text

    with pytest.raises(SimPermissionError):  # /cafe is hidden from her by its default permissions
        await cafe.sim.slash(cafe.bot, ailsa, "cafe show", channel_id=cafe.announcements, cafe=session_id)
    cafe.sim.set_command_access("cafe", ailsa, True)  # an admin shows it to her: the role check still refuses
    refused = await cafe.sim.slash(cafe.bot, ailsa, "cafe show", channel_id=cafe.announcements, cafe=session_id)
    assert "Only organisers" in refused.content
    await cafe.sim.disconnect(cafe.bot)


async def test_erasing_a_person_frees_their_place_and_their_wait(cafe: Cafe) -> None:
    ailsa, bruce, catriona = cafe.people[:3]
    session_id = await cafe.schedule("in 3 hours", capacity=1)
    await cafe.join(session_id, ailsa)
    await cafe.join(session_id, bruce, choice=None)
    await cafe.join(session_id, catriona, choice=None)

    erased = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe erase", channel_id=cafe.announcements,
                                  member=catriona)
    assert "waitlist 1" in erased.content, erased.content
    erased = await cafe.sim.slash(cafe.bot, cafe.organiser, "cafe erase", channel_id=cafe.announcements,
                                  member=ailsa)
    assert "Erased" in erased.content
    assert len(cafe.sim.dm_messages(bruce)) == 1, "Ailsa's place went to the first person waiting"
    assert not cafe.sim.dm_messages(catriona), "an erased wait is never offered"
    assert "**0 coming** · full · 1 on the waitlist" in cafe.invitations[session_id].content
    await cafe.sim.disconnect(cafe.bot)


async def test_a_closed_cafe_keeps_no_waitlist(cafe: Cafe) -> None:
    ailsa, bruce = cafe.people[:2]
    session_id = await cafe.schedule("in 1 hour", capacity=1)
    await cafe.join(session_id, ailsa)
    await cafe.join(session_id, bruce, choice=None)
    for command in ("cafe open", "floor close"):
        done = await cafe.sim.slash(cafe.bot, cafe.organiser, command, channel_id=cafe.announcements,
                                    cafe=session_id)
        assert "Café #" in done.content, done.content
    rows = await cafe.bot.db.fetch_all("SELECT * FROM waitlist WHERE session_id = $1", (session_id,))
    assert rows == []
    await cafe.sim.disconnect(cafe.bot)
