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
