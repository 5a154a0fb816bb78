-- Gateway: bearer tokens (hashed) and the ids of accepted submissions (idempotency across restarts).

CREATE TABLE IF NOT EXISTS api_tokens (
    token_id     text PRIMARY KEY,
    token_sha256 bytea NOT NULL UNIQUE,
    role         text NOT NULL CHECK (role IN ('collector', 'clerk', 'analyst', 'operator')),
    area         text NOT NULL CHECK (area = 'VN' OR area ~ '^([0-9]{2}|[0-9]{3}|[0-9]{5})$'),
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- One row per event_id taken onto register.submissions.v1. The row is inserted in the same
-- PostgreSQL transaction that waits for the Kafka commit, so a resent event_id answers
-- "duplicate" (also after a gateway restart) and two concurrent copies publish once.
CREATE TABLE IF NOT EXISTS accepted_submissions (
    event_id    text PRIMARY KEY,
    type        text NOT NULL,
    commune     text NOT NULL,
    token_id    text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);
