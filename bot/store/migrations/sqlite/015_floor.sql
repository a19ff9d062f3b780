-- The café floor (issue 12): room access as a function of stored state, the live controls and the
-- facilitators' dashboard. Each channel's access is applied as one whole overwrite list; a change
-- of state marks the channels it touches `access_stale` in the same write, and applying a
-- channel's list clears its mark, so a change a crash cut short is finished on restart.

-- When the café was paused (NULL: running). Its pending steps are held while it is paused.
ALTER TABLE sessions ADD COLUMN paused_at TEXT;
-- 1 while everyone is called back to the lobby.
ALTER TABLE sessions ADD COLUMN recalled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN lobby_access_stale INTEGER NOT NULL DEFAULT 0;
-- Minutes before a round's end that each room is warned (NULL: the plan's, or the default).
ALTER TABLE sessions ADD COLUMN warning_minutes INTEGER;
-- The dashboard message in the facilitators' channel, edited in place.
ALTER TABLE sessions ADD COLUMN dashboard_channel_id INTEGER;
ALTER TABLE sessions ADD COLUMN dashboard_message_id INTEGER;
-- 1 while a facilitator has closed this one room (read-only).
ALTER TABLE rooms ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN access_stale INTEGER NOT NULL DEFAULT 0;

-- A café of more than 49 rooms spreads over several categories (Discord allows 50 channels in
-- one); category 1 is also sessions.category_id.
CREATE TABLE cafe_categories (
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    PRIMARY KEY (session_id, number)
);
