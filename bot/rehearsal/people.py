"""Simulated participants: who they are, what they choose, and what they say.

Everything comes from one seeded random generator, so the same seed gives the same people,
choices and words. The sentences are stitched from phrases in the spirit of the national
conversation on recovery (the seed texts): varied enough that a rehearsal's export reads
like a café, plain enough that nobody mistakes it for real testimony.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = (
    "ailsa", "callum", "morag", "fraser", "isla", "euan", "kirsty", "ross", "shona", "hamish", "eilidh", "duncan",
    "fiona", "angus", "catriona", "lachlan", "mhairi", "struan", "rhona", "gregor", "iona", "ewan", "lorna", "craig",
    "skye", "finlay", "moira", "rory", "kenna", "alasdair",
)

OPENERS = (
    "For me,", "Honestly,", "From my own experience,", "I think", "Speaking for myself,", "What helped me was that",
    "I'd say", "Where I live,", "In my experience,", "Something I keep coming back to:",
)

BUILD_ON = (
    "the peer support group at the community centre kept me going when nothing else did",
    "having someone who had been there too made it easier to ask for help",
    "the online groups during lockdown meant I could join from my kitchen table",
    "my GP actually listened and treated me as a whole person, not a diagnosis",
    "small local projects like the walking group are where recovery really happens",
    "being asked what matters to me, not just what's wrong with me, changed everything",
    "the recovery college courses gave me confidence and a reason to get up",
    "volunteering with a peer project let me use what I've lived through to help others",
)

CHANGE = (
    "waiting lists are so long that people give up before they get any support",
    "it's too hard to find out what's out there; you need a map just to navigate the system",
    "lived experience is often asked for at the end, when decisions are already made",
    "services still treat your mental health separately from housing, money and work",
    "people in rural areas and on low incomes get far less choice than everyone else",
    "peer workers are paid and valued less than other staff, and that needs to change",
    "you have to tell your story again and again to every new person you see",
    "crisis support at night is almost impossible to reach in some places",
)

CREATE = (
    "a single place, online and in person, where anyone can find local support without a referral",
    "peer support roles in every GP practice and hospital ward",
    "community hubs run with people with lived experience, not just for them",
    "a recovery passport so you don't have to repeat your story",
    "funding that lasts longer than a year so good projects don't just vanish",
    "training for every service that is designed and delivered by people who've been there",
    "more choice: talking, creative, outdoor and digital options side by side",
    "a way to track whether changes actually reduce inequality, area by area",
)

FOLLOW_UPS = (
    "Does anyone else feel that?", "I really agree with what was said before.", "That's a good point.",
    "It took me years to realise that.", "I'm still working on this one.", "Sorry, that's hard to put into words.",
    "Thanks for listening.", "I'd love to hear what others think.",
)

REPLIES = (
    "Yes, that was my experience too.", "I hadn't thought of it that way — thank you.",
    "Same here, especially the bit about waiting.", "That's exactly what we need more of.",
)

HELLOS = ("Hi everyone!", "Hello from Dundee 👋", "Hiya, first time at one of these.", "Evening all.",
          "Hello — a bit nervous but glad to be here.")

TOPICS = {0: BUILD_ON, 1: CHANGE, 2: CREATE}


@dataclass
class Persona:
    handle: str
    records: bool
    quotes: bool
    talkativeness: int


def make_people(rng: random.Random, count: int) -> list[Persona]:
    """`count` people; about two in three consent to recording, and some of those to quoting."""
    names = list(FIRST_NAMES)
    rng.shuffle(names)
    people: list[Persona] = []
    for index in range(count):
        base = names[index % len(names)]
        handle = f"{base}{index // len(names) + 1}" if index >= len(names) else base
        records = rng.random() < 0.68 or index == 0
        if index == 1:
            records = False  # every rehearsal shows a refusal
        people.append(Persona(handle, records, records and rng.random() < 0.6, rng.randint(1, 3)))
    return people


def sentence(rng: random.Random, round_index: int) -> str:
    """One contribution for a round (0-based), varied in shape and length."""
    topic = TOPICS.get(round_index % 3, BUILD_ON)
    body = f"{rng.choice(OPENERS)} {rng.choice(topic)}."
    if rng.random() < 0.45:
        body += f" {rng.choice(FOLLOW_UPS)}"
    if rng.random() < 0.15:
        body += f" And also, {rng.choice(topic)}."
    return body


def reply_line(rng: random.Random) -> str:
    return rng.choice(REPLIES)


def hello(rng: random.Random) -> str:
    return rng.choice(HELLOS)
