-- Issue 14 (list, start URL, adoption): why a session ended, the URL its first tab opens, and a lookup of a session
-- by its connect token's hash (the relay's token-routed endpoint /cdp, which Puppeteer's browserURL form reaches).
ALTER TABLE browser_sessions ADD COLUMN end_reason text;
ALTER TABLE browser_sessions ADD COLUMN start_url text;
CREATE INDEX browser_sessions_token_idx ON browser_sessions (connect_token_hash) WHERE connect_token_hash IS NOT NULL;
-- GET /v1/sessions pages through a customer's sessions newest first.
CREATE INDEX browser_sessions_customer_created_idx ON browser_sessions (customer_id, created_at DESC, id DESC);
