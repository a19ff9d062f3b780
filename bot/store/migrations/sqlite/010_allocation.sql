-- World Café tables: who hosts each room, and who offered to host.
--
-- A person who said yes to a café while holding the facilitator (or organiser) role offers to host a
-- table; at the opening each room gets one host where there are enough (bot/core/allocation.py,
-- choose_hosts). The host stays at their table when everyone else rotates, is named in the room,
-- and is marked in exports as a role ("host"), never by name. Both tables hold a person's id, so
-- they are erased with the person (bot/store/attendance.py).

CREATE TABLE host_offers (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    offered_at     TEXT NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

CREATE TABLE room_hosts (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id        INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, room_id)
);
CREATE INDEX room_hosts_by_person ON room_hosts (participant_id);

-- The table a person chose from the select menu after saying yes (plan `tables: {choose: true}`),
-- honoured at the opening while the table has room in an even split.
CREATE TABLE table_choices (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    table_number   INTEGER NOT NULL,
    chosen_at      TEXT NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

-- The organiser's pre-assignment (`/cafe tables`), by Discord id because people may not have said
-- yes yet: a seat at a table (host = 1 to host it), or a keep-apart / keep-together pair. An upload
-- replaces the café's whole set.
CREATE TABLE table_wishes (
    id               INTEGER PRIMARY KEY,
    session_id       INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('seat', 'apart', 'together')),
    discord_user_id  INTEGER NOT NULL,
    table_number     INTEGER,
    host             INTEGER NOT NULL DEFAULT 0,
    other_discord_id INTEGER
);
CREATE INDEX table_wishes_by_session ON table_wishes (session_id);
