-- Room summaries written through the Write the summary button, and key points marked by
-- facilitators: the twin of sqlite/009_summaries.sql.
--
-- A summary keeps who wrote it as a role (never a person: the audit line names the writer) and
-- whether its current text has reached the lobby at a plenary (posted_at equal to updated_at).
ALTER TABLE summaries ADD COLUMN writer_role TEXT;
ALTER TABLE summaries ADD COLUMN posted_at TIMESTAMPTZ;

-- The button's message in each room at the end of each round: what the button means (its room and
-- round) and, on a restart, that it was already posted.
CREATE TABLE summary_offers (
    session_id   BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    room_id      BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    round_number INTEGER NOT NULL,
    message_id   BIGINT,
    PRIMARY KEY (session_id, room_id, round_number)
);
CREATE INDEX summary_offers_by_message ON summary_offers (message_id);

-- A key point's mark lives with its contribution (so it goes when the words go): who marked it, as a
-- role, and when. The theme a facilitator picked stays in contributions.theme.
ALTER TABLE contributions ADD COLUMN key_point_role TEXT;
ALTER TABLE contributions ADD COLUMN key_point_at TIMESTAMPTZ;
