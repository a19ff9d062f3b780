-- Series and Discord Scheduled Events (issue 11). Runs after 011 rebuilt `sessions` with INTEGER
-- ids, so these columns are added to the rebuilt table (011 needs none of them).
--
-- A repeat made by one `/cafe schedule` is a run of sessions: `repeat_of` is the first
-- occurrence's id (itself included), `occurrence` its number in the run (1, 2, …). Both are NULL
-- for a café scheduled on its own. The `series` label still decides pseudonyms; the run is what
-- "cancel the rest" and the list group by, so two separate schedules of one plan never cancel
-- each other.
--
-- `event_id` is the Guild Scheduled Event that mirrors the café on Discord (NULL: none, because
-- the mirror failed or the café predates it).

ALTER TABLE sessions ADD COLUMN repeat_of INTEGER REFERENCES sessions (id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN occurrence INTEGER CHECK (occurrence IS NULL OR occurrence >= 1);
ALTER TABLE sessions ADD COLUMN event_id INTEGER;
CREATE INDEX sessions_by_repeat ON sessions (repeat_of);
CREATE INDEX sessions_by_event ON sessions (event_id);
