-- Series and Discord Scheduled Events: the twin of sqlite/012_series_events.sql (see there for
-- what each column means). `repeat_of` is a session's id (BIGINT); `event_id` a Discord id.

ALTER TABLE sessions ADD COLUMN repeat_of BIGINT REFERENCES sessions (id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN occurrence INTEGER CHECK (occurrence IS NULL OR occurrence >= 1);
ALTER TABLE sessions ADD COLUMN event_id BIGINT;
CREATE INDEX sessions_by_repeat ON sessions (repeat_of);
CREATE INDEX sessions_by_event ON sessions (event_id);
