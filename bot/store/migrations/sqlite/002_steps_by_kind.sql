-- Durable steps by kind (issue 7). A step's kind is any registered name, not a closed list, and
-- what the step is about travels in a JSON object: a café's round number is `{"round": 2}`
-- rather than a column every other kind would leave at 0. `session_id` may be empty for timed
-- work that is not part of a café's life; a step that has one is cancelled when its café ends.
-- SQLite cannot drop a CHECK or a column in place, so the table is rebuilt with its rows.

CREATE TABLE scheduled_steps_v2 (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    payload      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload) AND json_type(payload) = 'object'),
    due_at       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'running', 'done', 'skipped', 'cancelled', 'failed')),
    misfire      TEXT NOT NULL CHECK (misfire IN ('skip_if_late', 'run_if_running')),
    claimed_at   TEXT,
    finished_at  TEXT,
    note         TEXT
);

-- Only round steps used their number (the opening's 1 and the others' 0 carried nothing).
-- json_object writes the same compact text the repository writes, so identities still match.
INSERT INTO scheduled_steps_v2 (id, session_id, kind, payload, due_at, status, misfire, claimed_at, finished_at, note)
SELECT id, session_id, kind,
       CASE WHEN kind = 'round' THEN json_object('round', round_number) ELSE '{}' END,
       due_at, status, misfire, claimed_at, finished_at, note
FROM scheduled_steps;

DROP TABLE scheduled_steps;
ALTER TABLE scheduled_steps_v2 RENAME TO scheduled_steps;

-- Start-up finds every pending step once; a café's reconcile reads only its own.
CREATE INDEX steps_pending ON scheduled_steps (status, due_at);
CREATE INDEX steps_by_session ON scheduled_steps (session_id, status);

-- One live step per identity (café, kind, payload): a plan that lists a round twice is refused,
-- while a feature may set the same timer again once the earlier one has finished.
CREATE UNIQUE INDEX steps_one_live ON scheduled_steps (IFNULL(session_id, 0), kind, payload)
    WHERE status IN ('pending', 'running');
