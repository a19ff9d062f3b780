"""A small café written with plain SQL: two sessions of one series, tricky text on purpose.

Kept separate from conftest so the README excerpts and the screenshot can be made from the
same data the tests check.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.store.db import Database

GUILD = "912345678901234567"
SNOWFLAKES = [
    GUILD,
    "801234567890123456",  # discord user ids
    "801234567890123457",
    "801234567890123458",
    "801234567890123459",
    "801234567890123460",
    "801234567890123461",
    "701234567890123001",  # channel ids
    "701234567890123002",
    "701234567890123003",
    "701234567890123004",
    "601234567890120001",  # announce / category / lobby
    "601234567890120002",
    "601234567890120003",
    "601234567890120004",
]
MESSAGE_ID_BASE = 501234567890120000
USERNAMES = ["alice_wonder", "bob.the.builder", "carol#4321"]

PLAN = {
    "id": "whats-next",
    "title": "What's next for recovery?",
    "description": "A café about recovery",
    "version": 3,
    "room_size": 4,
    "welcome": "Welcome",
    "ground_rules": "Be kind",
    "consent_text": "We record what you write in the rooms.",
    "signposting": "Samaritans 116 123",
    "closing": "Thank you",
    "themes": [
        {"id": "hope", "name": "Hope", "description": "What gives people hope"},
        {"id": "services", "name": "Services", "description": "Experiences of services"},
    ],
    "rounds": [
        {
            "id": "arrive",
            "title": "Arriving",
            "prompt": "**Round 1 of 3** · How are you *arriving* today?",  # Markdown, as posted to Discord
            "minutes": 10,
            "rotate": False,
        },
        {"id": "share", "title": "What helped", "prompt": "What helped your recovery?", "minutes": 20, "rotate": True},
        {"id": "next", "title": "What next", "prompt": "What should change next?", "minutes": 15, "rotate": False},
    ],
}

# (participant id, discord id, pseudonym)
PEOPLE = [
    (1, SNOWFLAKES[1], "P-4F2K"),
    (2, SNOWFLAKES[2], "P-7QX9"),
    (3, SNOWFLAKES[3], "P-W1TH"),  # withdraws
    (4, SNOWFLAKES[4], "P-D3CL"),  # declines
    (5, SNOWFLAKES[5], "P-9ZZA"),  # allows quotes, then takes it back
    (6, SNOWFLAKES[6], "P-RSVP"),  # RSVP only
]

ARABIC = "أشعر بالأمل اليوم، شكراً لكم"
HEBREW = "אני מרגיש טוב יותר, תודה"
EMOJI = "Feeling 🌱💚 better, slowly 👩🏽‍⚕️ 🏳️‍🌈"
TRICKY = 'Hello, "friends"; commas, quotes and a backslash \\ too'
MULTILINE = 'Line one\nLine two, with a comma\r\nLine three "quoted"\n\n- not a list'
CONTACTS = "Email me jo.bloggs@example.org or call 07700 900123 or +44 (0)20 7946 0958, see https://mind.org.uk/help"
KEY_POINT = "Recovery isn't linear, and that's OK."
FORMULA = "=SUM(A1:A2) is how my week added up"
NAMED = "My nurse Alice said ALICE's door is open; Alicent is someone else"
WITHDRAWN = "This must never appear in an export"
HTMLISH = "<script>alert('x')</script> & <b>bold</b> # not a heading"
#: Discord's Markdown as a participant types it: shown formatted in the report, kept in the notes.
FORMATTED = (
    "**Peer support** helped me most, *honestly*\n- groups\n- a walk\n> what my nurse said\n"
    "||not ready to share|| and `meds` and ~~never~~\n# a heading in a message\n<img src=x onerror=alert(1)>"
)

# (id, session, room number or None, round, person, minute offset, text, reply_to, key_point, theme, edited)
CONTRIBUTIONS = [
    (1, 1, 1, 1, 1, 2, TRICKY, None, 0, None, 0),
    (2, 1, 1, 1, 2, 3, MULTILINE, 1, 0, None, 1),
    (3, 1, 1, 1, 5, 4, ARABIC, None, 0, None, 0),
    (4, 1, 2, 1, 4, 5, "Declined people are not recorded", None, 0, None, 0),
    (5, 1, 2, 1, 3, 5, WITHDRAWN, None, 0, None, 0),
    (6, 1, 2, 1, 2, 6, HEBREW, None, 0, None, 0),
    (7, 1, 1, 2, 1, 14, EMOJI, None, 0, None, 0),
    (8, 1, 1, 2, 2, 15, KEY_POINT, 7, 1, "hope", 0),
    (9, 1, 2, 2, 5, 16, CONTACTS, None, 0, None, 0),
    (10, 1, 2, 2, 1, 17, FORMULA, None, 1, None, 0),
    (11, 1, 1, 3, 2, 33, NAMED, None, 0, "services", 0),
    (12, 1, 2, 3, 1, 34, HTMLISH, None, 0, None, 0),
    (13, 1, None, 3, 5, 40, "Thanks all, see you next time", None, 0, None, 0),
    (16, 1, 1, 3, 1, 35, FORMATTED, None, 0, None, 0),
    (14, 2, 1, 1, 1, 3, "Second café, first words", None, 0, None, 0),
    (15, 2, 1, 2, 2, 16, "Second café, a key point about hope", None, 1, "hope", 0),
]

#: the table host of café 1: participant 2 hosts room 1 (Oak, room id 11)
HOST, HOST_ROOM = 2, 11

SESSIONS = [
    # id, starts_at (UTC), state
    (1, "2024-06-04T17:30:00+00:00", "closed"),
    (2, "2024-07-02T17:30:00+00:00", "closed"),
]


def _minute(start: str, minutes: int) -> str:
    hour, minute = 17 + (30 + minutes) // 60, (30 + minutes) % 60
    return f"{start[:11]}{hour:02d}:{minute:02d}:00+00:00"


async def seed(path: Path) -> Path:
    """Create the store at ``path`` and fill it with the café above."""
    async with Database(path) as db, db.transaction() as conn:
        for pid, discord_id, _ in PEOPLE:
            await conn.execute(
                "INSERT INTO participants (id, discord_user_id, created_at) VALUES ($1, $2, $3)",
                (pid, discord_id, "2024-05-01T10:00:00+00:00"),
            )
        await conn.execute(
            "INSERT INTO audit (guild_id, actor_id, action, detail, at) VALUES ($1, $2, $3, $4, $5)",
            (GUILD, SNOWFLAKES[1], "export", " ".join(USERNAMES), "2024-06-04T20:00:00+00:00"),
        )
        for sid, starts, state in SESSIONS:
            await conn.execute(
                "INSERT INTO sessions (id, guild_id, series, plan_id, plan_title, plan_snapshot, starts_at, "
                "timezone, room_size, state, announce_channel_id, announce_message_id, category_id, "
                "lobby_channel_id, created_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                (
                    sid,
                    GUILD,
                    "Recovery cafés 2024",
                    PLAN["id"],
                    PLAN["title"],
                    json.dumps(PLAN),
                    starts,
                    "Europe/London",
                    4,
                    state,
                    SNOWFLAKES[11],
                    SNOWFLAKES[12],
                    SNOWFLAKES[13],
                    SNOWFLAKES[14] if sid == 1 else None,
                    "2024-05-01T10:00:00+00:00",
                ),
            )
            for number, name, topic in ((1, "Oak", "Hope & home <b>"), (2, "Birch", None)):
                await conn.execute(
                    "INSERT INTO rooms (id, session_id, number, name, topic, channel_id, last_seen_message_id) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    (
                        sid * 10 + number,
                        sid,
                        number,
                        name,
                        topic,
                        SNOWFLAKES[6 + 2 * (sid - 1) + number],
                        str(MESSAGE_ID_BASE + 999),
                    ),
                )
            if sid == 1:  # Sam (participant 2) hosts Oak: a host there, a participant anywhere else
                await conn.execute("INSERT INTO room_hosts (session_id, room_id, participant_id) VALUES ($1, $2, $3)",
                                   (sid, HOST_ROOM, HOST))
            for number, rnd in enumerate(PLAN["rounds"], start=1):
                started = _minute(starts, [0, 12, 32][number - 1])
                await conn.execute(
                    "INSERT INTO rounds (session_id, number, round_key, title, minutes, rotate, started_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    (sid, number, rnd["id"], rnd["title"], rnd["minutes"], int(rnd["rotate"]), started),
                )
                for room, name in ((1, "Oak"), (2, "Birch")):
                    await conn.execute(
                        "INSERT INTO round_prompts (session_id, round_number, room_id, text, posted_at) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        (sid, number, sid * 10 + room, f"{name}: {rnd['prompt']}", started),
                    )
                for pid in (1, 2, 3, 5):
                    room = 1 + (pid + (number if rnd["rotate"] else 0)) % 2
                    await conn.execute(
                        "INSERT INTO assignments (session_id, round_number, participant_id, room_id) "
                        "VALUES ($1, $2, $3, $4)",
                        (sid, number, pid, sid * 10 + room),
                    )
            for pid in (1, 2, 3, 5, 6):
                await conn.execute(
                    "INSERT INTO rsvps (session_id, participant_id, status, responded_at) VALUES ($1, $2, $3, $4)",
                    (sid, pid, "going", "2024-05-20T09:00:00+00:00"),
                )
            ledger = [
                (2, "v1-0ld", "record"),  # consented to the older text
                (1, "v2-n3w", "record"),
                (1, "v2-n3w", "quote"),
                (3, "v2-n3w", "record"),
                (4, "v2-n3w", "decline"),
                (5, "v2-n3w", "record"),
                (5, "v2-n3w", "quote"),
                (5, "v2-n3w", "no_quote"),
                (3, "v2-n3w", "withdraw"),
            ]
            for n, (pid, version, choice) in enumerate(ledger):
                await conn.execute(
                    "INSERT INTO consent_ledger (session_id, participant_id, text_version, choice, source, "
                    "recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    (sid, pid, version, choice, "button", _minute(starts, n - 20)),
                )
        pseudonyms = {pid: pseudonym for pid, _, pseudonym in PEOPLE}
        for cid, sid, room, rnd, pid, minute, text, reply, key, theme, edited in CONTRIBUTIONS:
            start = SESSIONS[sid - 1][1]
            await conn.execute(
                "INSERT INTO contributions (id, session_id, room_id, round_number, participant_id, pseudonym, "
                "message_id, channel_id, created_at, text, reply_to_id, edited, key_point, theme, key_point_role) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                (
                    cid,
                    sid,
                    sid * 10 + room if room else None,
                    rnd,
                    pid,
                    pseudonyms[pid],
                    str(MESSAGE_ID_BASE + cid),
                    SNOWFLAKES[7],
                    _minute(start, minute),
                    text,
                    reply,
                    edited,
                    key,
                    theme,
                    "facilitator" if key else None,
                ),
            )
        summaries = [
            (1, 11, 1, "People arrived tired but hopeful. Contact: jo.bloggs@example.org", 0, "facilitator"),
            (1, 12, 2, "Services came up a lot; Alice was mentioned.", 1, "organiser"),
            (1, 11, None, "Room Oak overall: warm and honest.", 0, None),
        ]
        for sid, room_id, rnd, text, review, writer in summaries:
            await conn.execute(
                "INSERT INTO summaries (session_id, room_id, round_number, text, needs_review, updated_at, "
                "writer_role) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                (sid, room_id, rnd, text, review, "2024-06-04T19:00:00+00:00", writer),
            )
    return path
