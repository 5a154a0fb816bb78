-- Who read whom: every read of a person's record, history or trajectory (API, CLI, pages) is
-- appended here before the answer leaves. Append-only for every role: a trigger refuses UPDATE,
-- DELETE and TRUNCATE, so changing the trail needs a schema change, itself visible.
CREATE TABLE IF NOT EXISTS access_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    token_id    text NOT NULL,
    who         text,          -- the token's label, or the operating-system user of a CLI read
    role        text NOT NULL,
    area        text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('api', 'cli', 'page')),
    action      text NOT NULL,  -- person, person_history, person_trajectory, household
    person_id   text,
    household_id text,
    client      text,          -- address of the HTTP client, or the host of a CLI read
    request_id  text
);
CREATE INDEX IF NOT EXISTS access_log_person ON access_log (person_id, at);
CREATE INDEX IF NOT EXISTS access_log_token ON access_log (token_id, at);

CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS access_log_no_change ON access_log;
CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log;
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
