-- Command sync: the twin of sqlite/013_commands_sync.sql (see there). Application and server ids
-- are Discord ids (BIGINT); nobody's data.

CREATE TABLE command_syncs (
    application_id BIGINT NOT NULL,
    scope          BIGINT NOT NULL,
    payload_hash   TEXT NOT NULL,
    commands       INTEGER NOT NULL CHECK (commands >= 0),
    synced_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (application_id, scope)
);
