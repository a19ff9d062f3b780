-- Scheduling (issue 11): a café's capacity (how many may say yes; NULL: no limit) and its
-- reminder times, as minutes before the start (a JSON list, default a day and a quarter hour).
-- A person may stop reminders for one café or for a whole server (session_id NULL).

ALTER TABLE sessions ADD COLUMN capacity INTEGER CHECK (capacity IS NULL OR capacity >= 1);
ALTER TABLE sessions ADD COLUMN reminders TEXT NOT NULL DEFAULT '[1440,15]'
    CHECK (json_valid(reminders) AND json_type(reminders) = 'array');

-- Kept by Discord id, not participant: a server-wide opt-out belongs to no café, and must not hold
-- the participant row (and so a pseudonym) alive after a person's cafés are erased.
CREATE TABLE reminder_optouts (
    guild_id        TEXT NOT NULL,
    discord_user_id TEXT NOT NULL,
    session_id      INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    at              TEXT NOT NULL
);
CREATE UNIQUE INDEX reminder_optouts_one ON reminder_optouts (guild_id, discord_user_id, IFNULL(session_id, 0));
