-- Blether's whole domain (docs/ARCHITECTURE.md). Times are ISO 8601 UTC text; Discord snowflakes are
-- text so the SQL stays portable to PostgreSQL (no 64-bit unsigned worries).

CREATE TABLE app_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE guild_config (
    guild_id                TEXT PRIMARY KEY,
    organiser_role          TEXT NOT NULL,
    facilitator_role        TEXT NOT NULL,
    facilitators_channel_id TEXT,
    organisers_channel_id   TEXT,
    timezone                TEXT NOT NULL,
    retention_days          INTEGER NOT NULL DEFAULT 180,
    updated_at              TEXT NOT NULL
);

CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    guild_id         TEXT NOT NULL,
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
    announce_channel_id TEXT,
    announce_message_id TEXT,
    category_id      TEXT,
    lobby_channel_id TEXT,
    lobby_last_seen_message_id TEXT,
    created_at       TEXT NOT NULL,
    opened_at        TEXT,
    closed_at        TEXT
);
CREATE INDEX sessions_guild_state ON sessions (guild_id, state);
CREATE INDEX sessions_lobby ON sessions (lobby_channel_id);

-- The internal person. The Discord id is needed to recognise them in chat; it never leaves
-- the database (exports carry pseudonyms only).
CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    discord_user_id TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL
);

-- One pseudonym per person per series: a keyed hash, lengthened on the rare collision and
-- kept here so it never changes once given.
CREATE TABLE pseudonyms (
    series         TEXT NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    PRIMARY KEY (series, participant_id),
    UNIQUE (series, code)
);

CREATE TABLE rsvps (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    status         TEXT NOT NULL CHECK (status IN ('going', 'not_going')),
    responded_at   TEXT NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

-- Append-only: rows are never updated (a trigger refuses it). Rows leave only through a full
-- erasure of the person or the session.
CREATE TABLE consent_ledger (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    text_version   TEXT NOT NULL,
    choice         TEXT NOT NULL
                   CHECK (choice IN ('record', 'decline', 'quote', 'no_quote', 'withdraw')),
    source         TEXT NOT NULL CHECK (source IN ('button', 'command', 'rehearsal', 'system')),
    recorded_at    TEXT NOT NULL
);
CREATE INDEX consent_by_person ON consent_ledger (session_id, participant_id, id);
CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE ON consent_ledger
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;

CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    name        TEXT NOT NULL,
    topic       TEXT,
    channel_id  TEXT UNIQUE,
    last_seen_message_id TEXT,
    UNIQUE (session_id, number)
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    round_key   TEXT NOT NULL,
    title       TEXT NOT NULL,
    minutes     INTEGER NOT NULL,
    rotate      INTEGER NOT NULL DEFAULT 0,
    started_at  TEXT,
    ended_at    TEXT,
    UNIQUE (session_id, number)
);

-- The prompt exactly as posted into each room (rendered with that room's name).
CREATE TABLE round_prompts (
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    round_number INTEGER NOT NULL,
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    posted_at    TEXT NOT NULL,
    PRIMARY KEY (session_id, round_number, room_id)
);

CREATE TABLE assignments (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    round_number   INTEGER NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    room_id        INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, round_number, participant_id)
);

CREATE TABLE contributions (
    id                  INTEGER PRIMARY KEY,
    session_id          INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id             INTEGER REFERENCES rooms (id) ON DELETE CASCADE,
    round_number        INTEGER NOT NULL,
    participant_id      INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    pseudonym           TEXT NOT NULL,
    message_id          TEXT NOT NULL UNIQUE,
    channel_id          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    text                TEXT NOT NULL,
    reply_to_id         INTEGER REFERENCES contributions (id) ON DELETE SET NULL,
    edited              INTEGER NOT NULL DEFAULT 0,
    key_point           INTEGER NOT NULL DEFAULT 0,
    theme               TEXT
);
CREATE INDEX contributions_by_session ON contributions (session_id, round_number, room_id, created_at);
CREATE INDEX contributions_by_person ON contributions (participant_id, session_id);

CREATE TABLE summaries (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id      INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    round_number INTEGER,
    text         TEXT NOT NULL,
    needs_review INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL,
    UNIQUE (session_id, room_id, round_number)
);

-- A call for support carries no content: who, where and when, and who answered.
CREATE TABLE support_requests (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id        INTEGER REFERENCES rooms (id) ON DELETE SET NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    created_at     TEXT NOT NULL,
    handled_by     TEXT,
    handled_at     TEXT
);

CREATE TABLE scheduled_steps (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('reminder', 'open', 'round', 'close', 'retention')),
    round_number INTEGER NOT NULL DEFAULT 0,
    due_at       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'skipped', 'cancelled', 'failed')),
    misfire      TEXT NOT NULL CHECK (misfire IN ('skip_if_late', 'run_if_running')),
    claimed_at   TEXT,
    finished_at  TEXT,
    note         TEXT,
    UNIQUE (session_id, kind, round_number)
);
CREATE INDEX steps_pending ON scheduled_steps (status, due_at);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    guild_id   TEXT NOT NULL,
    session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
    actor_id   TEXT,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
);

CREATE TABLE exports (
    id         INTEGER PRIMARY KEY,
    guild_id   TEXT,
    scope      TEXT NOT NULL,
    formats    TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    made_at    TEXT NOT NULL,
    location   TEXT
);
