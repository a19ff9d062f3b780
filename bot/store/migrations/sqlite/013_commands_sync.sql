-- Command sync (issue 11): what the slash commands looked like when Discord last accepted them,
-- per application and scope (0: every server, else one server's id), so start-up syncs only when
-- they changed. A hash of the commands' own definitions: nobody's data.

CREATE TABLE command_syncs (
    application_id INTEGER NOT NULL,
    scope          INTEGER NOT NULL,
    payload_hash   TEXT NOT NULL,
    commands       INTEGER NOT NULL CHECK (commands >= 0),
    synced_at      TEXT NOT NULL,
    PRIMARY KEY (application_id, scope)
);
