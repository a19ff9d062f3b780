-- Wellbeing (issue 13). A support alert is kept without content: who asked, where, when, who
-- claimed it and when (handled_by / handled_at), when it was resolved, and the hosts' posts that
-- carry its Claim and Resolved buttons (so a press on either copy finds it, and both are edited).
ALTER TABLE support_requests ADD COLUMN resolved_at TEXT;
ALTER TABLE support_requests ADD COLUMN alert_channel_id INTEGER;
ALTER TABLE support_requests ADD COLUMN alert_message_id INTEGER;
ALTER TABLE support_requests ADD COLUMN raised_at TEXT;
ALTER TABLE support_requests ADD COLUMN raised_channel_id INTEGER;
ALTER TABLE support_requests ADD COLUMN raised_message_id INTEGER;
CREATE INDEX support_requests_by_person ON support_requests (session_id, participant_id, created_at);

-- A person agreed to the café's ground rules (the rules' fingerprint, as consent keeps its text's).
CREATE TABLE ground_rules_acks (
    session_id      INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id  INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    rules_version   TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

-- A person stepped out of the café quietly; until they come back (returned_at) no room opens to them.
CREATE TABLE step_outs (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    stepped_out_at TEXT NOT NULL,
    returned_at    TEXT,
    PRIMARY KEY (session_id, participant_id)
);
