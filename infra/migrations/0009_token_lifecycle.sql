-- Token lifecycle (popreg token list | revoke | rotate, GET/POST /v1/tokens): an expiry, when a
-- token was last used, and which token a rotation replaced. Revocation already had revoked_at.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS last_used_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS replaces text;
