-- The café floor: the twin of sqlite/015_floor.sql (see there). Ids are BIGINT, times TIMESTAMPTZ.
ALTER TABLE sessions ADD COLUMN paused_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN recalled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN lobby_access_stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN warning_minutes INTEGER;
ALTER TABLE sessions ADD COLUMN dashboard_channel_id BIGINT;
ALTER TABLE sessions ADD COLUMN dashboard_message_id BIGINT;
ALTER TABLE rooms ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN access_stale INTEGER NOT NULL DEFAULT 0;

CREATE TABLE cafe_categories (
    session_id  BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    channel_id  BIGINT NOT NULL,
    PRIMARY KEY (session_id, number)
);
