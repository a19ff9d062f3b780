-- Wellbeing: the twin of sqlite/014_wellbeing.sql (see there). Ids are BIGINT, times TIMESTAMPTZ.
ALTER TABLE support_requests ADD COLUMN resolved_at TIMESTAMPTZ;
ALTER TABLE support_requests ADD COLUMN alert_channel_id BIGINT;
ALTER TABLE support_requests ADD COLUMN alert_message_id BIGINT;
ALTER TABLE support_requests ADD COLUMN raised_at TIMESTAMPTZ;
ALTER TABLE support_requests ADD COLUMN raised_channel_id BIGINT;
ALTER TABLE support_requests ADD COLUMN raised_message_id BIGINT;
CREATE INDEX support_requests_by_person ON support_requests (session_id, participant_id, created_at);

CREATE TABLE ground_rules_acks (
    session_id      BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id  BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    rules_version   TEXT NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);

CREATE TABLE step_outs (
    session_id     BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    stepped_out_at TIMESTAMPTZ NOT NULL,
    returned_at    TIMESTAMPTZ,
    PRIMARY KEY (session_id, participant_id)
);
