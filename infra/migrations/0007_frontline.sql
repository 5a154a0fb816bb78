-- The front line (producers/frontline): enrolled devices of collaborators and commune officers,
-- the one-time codes that enrol them, and held items the desk sent back to a collaborator.

-- A device's credential is an ordinary collector/clerk bearer token (api_tokens), so the gateway
-- checks it like any other; revoking the device revokes that token.
CREATE TABLE IF NOT EXISTS frontline_devices (
    device_id     text PRIMARY KEY,
    token_id      text NOT NULL UNIQUE REFERENCES api_tokens (token_id),
    collector_id  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('collector', 'clerk')),
    area          text NOT NULL,
    enrolled_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz,
    conflicts     integer NOT NULL DEFAULT 0,  -- pending conflicts the device last reported
    revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS frontline_devices_area ON frontline_devices (area);

-- Short one-time codes: only their sha256 is kept; a code enrols one device, before it expires.
CREATE TABLE IF NOT EXISTS frontline_codes (
    code_sha256   bytea PRIMARY KEY,
    collector_id  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('collector', 'clerk')),
    area          text NOT NULL,
    issued_by     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    device_id     text
);

-- A held item the commune officer sent back to the collaborator, with what to do.
CREATE TABLE IF NOT EXISTS frontline_sendbacks (
    event_id      text PRIMARY KEY,
    note          text NOT NULL,
    by_token      text NOT NULL,
    sent_back_at  timestamptz NOT NULL DEFAULT now()
);
