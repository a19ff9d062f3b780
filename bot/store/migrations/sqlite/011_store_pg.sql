-- foreign_keys: off
-- The PostgreSQL port (issue 10): Discord ids become INTEGER columns, as they are BIGINT in
-- PostgreSQL, so both backends hand out the same Python ints and compare ids as numbers (a TEXT id
-- compares as text: '9' > '10'). SQLite cannot change a column's type in place, so each table
-- holding an id is rebuilt with its rows, by SQLite's own recipe: the runner turns foreign keys off
-- while this runs (the first line asks it to), and checks them all before it commits. It runs after
-- 008–010, so the columns they added (sessions.hold_minutes, contributions.key_point_role and
-- key_point_at) are carried over; the tables they made (waitlist, summary_offers, host_offers,
-- room_hosts, table_choices, table_wishes) were INTEGER from the start and only point at the rebuilt
-- tables by name, so they need no rebuild.

CREATE TABLE guild_config_v11 (
    guild_id                INTEGER PRIMARY KEY,
    organiser_role_id       INTEGER,
    facilitator_role_id     INTEGER,
    legacy_organiser_role   TEXT,
    legacy_facilitator_role TEXT,
    facilitators_channel_id INTEGER,
    organisers_channel_id   INTEGER,
    timezone                TEXT NOT NULL,
    retention_days          INTEGER NOT NULL DEFAULT 180,
    updated_at              TEXT NOT NULL,
    CHECK (organiser_role_id IS NULL OR organiser_role_id != facilitator_role_id)
);
INSERT INTO guild_config_v11
SELECT CAST(guild_id AS INTEGER), CAST(organiser_role_id AS INTEGER), CAST(facilitator_role_id AS INTEGER),
       legacy_organiser_role, legacy_facilitator_role, CAST(facilitators_channel_id AS INTEGER),
       CAST(organisers_channel_id AS INTEGER), timezone, retention_days, updated_at
FROM guild_config;
DROP TABLE guild_config;
ALTER TABLE guild_config_v11 RENAME TO guild_config;

CREATE TABLE sessions_v11 (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    series           TEXT NOT NULL,
    plan_id          TEXT NOT NULL,
    plan_title       TEXT NOT NULL,
    plan_snapshot    TEXT NOT NULL,
    starts_at        TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    room_size        INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (state IN ('scheduled', 'open', 'running', 'closing', 'closed', 'cancelled')),
    current_round    INTEGER NOT NULL DEFAULT 0,
    announce_channel_id INTEGER,
    announce_message_id INTEGER,
    category_id      INTEGER,
    lobby_channel_id INTEGER,
    lobby_last_seen_message_id INTEGER,
    created_at       TEXT NOT NULL,
    opened_at        TEXT,
    closed_at        TEXT,
    welcome_message_id INTEGER,
    lobby_closing_message_id INTEGER,
    lobby_locked     INTEGER NOT NULL DEFAULT 0,
    capacity         INTEGER CHECK (capacity IS NULL OR capacity >= 1),
    reminders        TEXT NOT NULL DEFAULT '[1440,15]'
                     CHECK (json_valid(reminders) AND json_type(reminders) = 'array'),
    hold_minutes     INTEGER CHECK (hold_minutes IS NULL OR hold_minutes >= 1)
);
INSERT INTO sessions_v11
SELECT id, CAST(guild_id AS INTEGER), series, plan_id, plan_title, plan_snapshot, starts_at, timezone, room_size,
       state, current_round, CAST(announce_channel_id AS INTEGER), CAST(announce_message_id AS INTEGER),
       CAST(category_id AS INTEGER), CAST(lobby_channel_id AS INTEGER), CAST(lobby_last_seen_message_id AS INTEGER),
       created_at, opened_at, closed_at, CAST(welcome_message_id AS INTEGER),
       CAST(lobby_closing_message_id AS INTEGER), lobby_locked, capacity, reminders, hold_minutes
FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v11 RENAME TO sessions;
CREATE INDEX sessions_guild_state ON sessions (guild_id, state);
CREATE INDEX sessions_lobby ON sessions (lobby_channel_id);

CREATE TABLE participants_v11 (
    id              INTEGER PRIMARY KEY,
    discord_user_id INTEGER NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
);
INSERT INTO participants_v11 SELECT id, CAST(discord_user_id AS INTEGER), created_at FROM participants;
DROP TABLE participants;
ALTER TABLE participants_v11 RENAME TO participants;

CREATE TABLE pseudonyms_v11 (
    guild_id       INTEGER NOT NULL,
    series         TEXT NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    PRIMARY KEY (guild_id, series, participant_id),
    UNIQUE (guild_id, series, code)
);
INSERT INTO pseudonyms_v11 SELECT CAST(guild_id AS INTEGER), series, participant_id, code FROM pseudonyms;
DROP TABLE pseudonyms;
ALTER TABLE pseudonyms_v11 RENAME TO pseudonyms;
CREATE INDEX pseudonyms_by_person ON pseudonyms (participant_id);

CREATE TABLE rooms_v11 (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    name        TEXT NOT NULL,
    topic       TEXT,
    channel_id  INTEGER UNIQUE,
    last_seen_message_id INTEGER,
    closing_message_id INTEGER,
    locked      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (session_id, number)
);
INSERT INTO rooms_v11
SELECT id, session_id, number, name, topic, CAST(channel_id AS INTEGER), CAST(last_seen_message_id AS INTEGER),
       CAST(closing_message_id AS INTEGER), locked
FROM rooms;
DROP TABLE rooms;
ALTER TABLE rooms_v11 RENAME TO rooms;

CREATE TABLE rounds_v11 (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    round_key   TEXT NOT NULL,
    title       TEXT NOT NULL,
    minutes     INTEGER NOT NULL,
    rotate      INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT,
    ended_at    TEXT,
    lobby_message_id INTEGER,
    UNIQUE (session_id, number)
);
INSERT INTO rounds_v11
SELECT id, session_id, number, round_key, title, minutes, rotate, started_at, ended_at,
       CAST(lobby_message_id AS INTEGER)
FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_v11 RENAME TO rounds;

CREATE TABLE round_prompts_v11 (
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    round_number INTEGER NOT NULL,
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    posted_at    TEXT NOT NULL,
    message_id   INTEGER,
    PRIMARY KEY (session_id, round_number, room_id)
);
INSERT INTO round_prompts_v11
SELECT session_id, round_number, room_id, text, posted_at, CAST(message_id AS INTEGER) FROM round_prompts;
DROP TABLE round_prompts;
ALTER TABLE round_prompts_v11 RENAME TO round_prompts;

CREATE TABLE contributions_v11 (
    id                  INTEGER PRIMARY KEY,
    session_id          INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id             INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
    round_number        INTEGER NOT NULL,
    participant_id      INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    pseudonym           TEXT NOT NULL,
    message_id          INTEGER NOT NULL UNIQUE,
    channel_id          INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    text                TEXT NOT NULL,
    reply_to_id         INTEGER REFERENCES contributions (id) ON DELETE SET NULL,
    edited              INTEGER NOT NULL DEFAULT 0,
    key_point           INTEGER NOT NULL DEFAULT 0,
    theme               TEXT,
    edited_at           TEXT,
    key_point_role      TEXT,
    key_point_at        TEXT
);
INSERT INTO contributions_v11
SELECT id, session_id, room_id, round_number, participant_id, pseudonym, CAST(message_id AS INTEGER),
       CAST(channel_id AS INTEGER), created_at, text, reply_to_id, edited, key_point, theme, edited_at,
       key_point_role, key_point_at
FROM contributions;
DROP TABLE contributions;
ALTER TABLE contributions_v11 RENAME TO contributions;
CREATE INDEX contributions_by_session ON contributions (session_id, round_number, room_id, created_at);
CREATE INDEX contributions_by_person ON contributions (participant_id, session_id);

CREATE TABLE support_requests_v11 (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id        INTEGER REFERENCES rooms (id) ON DELETE SET NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    handled_by     INTEGER,
    handled_at     TEXT
);
INSERT INTO support_requests_v11
SELECT id, session_id, room_id, participant_id, created_at, CAST(handled_by AS INTEGER), handled_at
FROM support_requests;
DROP TABLE support_requests;
ALTER TABLE support_requests_v11 RENAME TO support_requests;

CREATE TABLE audit_v11 (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    actor_id   INTEGER,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
);
INSERT INTO audit_v11
SELECT id, CAST(guild_id AS INTEGER), session_id, CAST(actor_id AS INTEGER), action, detail, at FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v11 RENAME TO audit;

CREATE TABLE exports_v11 (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER,
    scope      TEXT NOT NULL,
    formats    TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    made_at    TEXT NOT NULL,
    location   TEXT
);
INSERT INTO exports_v11 SELECT id, CAST(guild_id AS INTEGER), scope, formats, rows, made_at, location FROM exports;
DROP TABLE exports;
ALTER TABLE exports_v11 RENAME TO exports;

CREATE TABLE reminder_optouts_v11 (
    guild_id        INTEGER NOT NULL,
    discord_user_id INTEGER NOT NULL,
    session_id      INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    at              TEXT NOT NULL
);
INSERT INTO reminder_optouts_v11
SELECT CAST(guild_id AS INTEGER), CAST(discord_user_id AS INTEGER), session_id, at FROM reminder_optouts;
DROP TABLE reminder_optouts;
ALTER TABLE reminder_optouts_v11 RENAME TO reminder_optouts;
CREATE UNIQUE INDEX reminder_optouts_one ON reminder_optouts (guild_id, discord_user_id, IFNULL(session_id, 0));
