-- RSVP, capacity and waitlist (issue 11). A café may hold a freed place for its own time (minutes;
-- NULL: the default of two hours, or until the start if sooner).
ALTER TABLE sessions ADD COLUMN hold_minutes INTEGER CHECK (hold_minutes IS NULL OR hold_minutes >= 1);

-- People waiting for a place, in the order they asked (the id). A row is 'waiting', or 'offered'
-- with the moment its held place passes on and whether the offer has reached the person yet. A row
-- leaves when its person takes the place, can't come, lets the hold lapse, or is erased: nothing
-- is kept of a wait that ended.
CREATE TABLE waitlist (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    status         TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'offered')),
    joined_at      TEXT NOT NULL,
    hold_until     TEXT,
    offer_sent     INTEGER NOT NULL DEFAULT 0 CHECK (offer_sent IN (0, 1)),
    UNIQUE (session_id, participant_id),
    CHECK ((status = 'offered') = (hold_until IS NOT NULL))
);
CREATE INDEX waitlist_by_session ON waitlist (session_id, status, id);
