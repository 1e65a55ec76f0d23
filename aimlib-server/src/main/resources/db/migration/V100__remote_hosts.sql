-- Issue 12: browser hosts on their own machines. A host holds no database access and no server key, only its
-- own credential (minted through the operator API, stored as a SHA-256 hash). It reports to the gateway over
-- HTTP and takes orders on its own authenticated API, whose base URL and secret (sealed with the server key)
-- it leaves at registration, so any gateway replica can call it.
ALTER TABLE browser_hosts ADD COLUMN token_hash bytea;
ALTER TABLE browser_hosts ADD COLUMN token_prefix text;
ALTER TABLE browser_hosts ADD COLUMN credential_revoked_at timestamptz;
ALTER TABLE browser_hosts ADD COLUMN api_url text;
ALTER TABLE browser_hosts ADD COLUMN api_secret_enc bytea;
CREATE UNIQUE INDEX browser_hosts_token_hash_key ON browser_hosts (token_hash) WHERE token_hash IS NOT NULL;

-- The upstream credential a session's bridge presents to the gateway's proxy front: minted per session by the
-- gateway (never the lease's own proxy password), stored hashed, usable only while the session is live; its
-- traffic counts against the session's lease and device.
CREATE TABLE session_bridge_credentials (
    session_id    uuid PRIMARY KEY REFERENCES browser_sessions (id) ON DELETE CASCADE,
    username      text        NOT NULL UNIQUE,
    password_hash bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
