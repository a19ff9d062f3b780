-- After the café (issue 14): a feedback form, an optional prize draw, and a list of people to
-- tell when the report is out.
--
-- Answers must never be linkable to a person or a pseudonym. So the answers table has no
-- participant column, keeps the café and the hour only, and has no rowid: its key is a random
-- token, so neither the key nor the storage order says who answered first or next. Whether a
-- person has answered is a separate marker (so a second answer can be refused) that carries no
-- time, and is deleted when the form closes.

-- One row per café that has closed with an after-café: the form's period, the draw's committed
-- seed, and when the report went out. Nothing here names a person.
CREATE TABLE after_cafe (
    session_id       INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    form_opened_at   TEXT NOT NULL,
    form_closes_at   TEXT NOT NULL,
    form_closed_at   TEXT,
    -- The draw: a secret seed fixed at the close (before anyone can enter) and its SHA-256,
    -- published in the audit log at once; the seed itself is revealed there after the draw.
    draw_seed        TEXT,
    draw_commitment  TEXT,
    drawn_at         TEXT,
    report_sent_at   TEXT,
    report_link      TEXT,
    CHECK ((draw_seed IS NULL) = (draw_commitment IS NULL))
);

CREATE TABLE feedback_answers (
    answer_key  TEXT PRIMARY KEY CHECK (length(answer_key) = 32),
    session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- The hour the answer came in, as 'YYYY-MM-DDTHH:00:00+00:00': never finer.
    hour        TEXT NOT NULL CHECK (substr(hour, 14) = ':00:00+00:00'),
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    answers     TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object')
) WITHOUT ROWID;

CREATE TABLE feedback_answered (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, participant_id)
) WITHOUT ROWID;

-- The draw's entry list holds only who entered; it is erased by the draw.
CREATE TABLE draw_entries (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, participant_id)
) WITHOUT ROWID;

-- "Tell me when the report is out"; erased once the report has been sent.
CREATE TABLE report_subscribers (
    session_id     INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, participant_id)
) WITHOUT ROWID;
