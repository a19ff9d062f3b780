-- Issue 8, items 2 and 4.
--
-- Roles by id: a role name proves nothing (anyone with Manage Roles can create a second role
-- called "Café organiser"), so permission checks and room overwrites go by role id. Names cannot
-- be turned into ids without asking Discord, so the old names stay readable as `legacy_*`
-- columns: the role checks use them only to tell the server that an admin must run
-- `/blether setup` once more, and that setup resolves them to ids when no role is given.

CREATE TABLE guild_config_v3 (
    guild_id                TEXT PRIMARY KEY,
    organiser_role_id       TEXT,
    facilitator_role_id     TEXT,
    legacy_organiser_role   TEXT,
    legacy_facilitator_role TEXT,
    facilitators_channel_id TEXT,
    organisers_channel_id   TEXT,
    timezone                TEXT NOT NULL,
    retention_days          INTEGER NOT NULL DEFAULT 180,
    updated_at              TEXT NOT NULL,
    CHECK (organiser_role_id IS NULL OR organiser_role_id != facilitator_role_id)
);

INSERT INTO guild_config_v3 (guild_id, organiser_role_id, facilitator_role_id, legacy_organiser_role,
                             legacy_facilitator_role, facilitators_channel_id, organisers_channel_id, timezone,
                             retention_days, updated_at)
SELECT guild_id, NULL, NULL, organiser_role, facilitator_role, facilitators_channel_id, organisers_channel_id,
       timezone, retention_days, updated_at
FROM guild_config;

DROP TABLE guild_config;
ALTER TABLE guild_config_v3 RENAME TO guild_config;

-- Pseudonyms by server: a series is a free-text label (it defaults to the plan id), so two
-- unrelated servers can share one. The pseudonym now belongs to (server, series, person) and
-- the keyed hash takes the server's id too, so the same person gets unrelated codes on two
-- servers. An existing code stays with each server where the person already has rows in that
-- series (their past words carry it; changing it would split one person in two within a
-- series); a code with no such server is dropped, and a new one is made on next need.

CREATE TABLE pseudonyms_v3 (
    guild_id       TEXT NOT NULL,
    series         TEXT NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    PRIMARY KEY (guild_id, series, participant_id),
    UNIQUE (guild_id, series, code)
);

INSERT INTO pseudonyms_v3 (guild_id, series, participant_id, code)
SELECT DISTINCT s.guild_id, p.series, p.participant_id, p.code
FROM pseudonyms p JOIN sessions s ON s.series = p.series
WHERE EXISTS (SELECT 1 FROM contributions c WHERE c.session_id = s.id AND c.participant_id = p.participant_id)
   OR EXISTS (SELECT 1 FROM consent_ledger l WHERE l.session_id = s.id AND l.participant_id = p.participant_id)
   OR EXISTS (SELECT 1 FROM rsvps r WHERE r.session_id = s.id AND r.participant_id = p.participant_id);

DROP TABLE pseudonyms;
ALTER TABLE pseudonyms_v3 RENAME TO pseudonyms;
CREATE INDEX pseudonyms_by_person ON pseudonyms (participant_id);
