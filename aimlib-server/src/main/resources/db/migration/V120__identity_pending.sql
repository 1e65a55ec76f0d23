-- Issue 10: a host may report a session ready while it still applies the identity to the browser's first tab; the
-- relay (on any replica) holds a client's connection until the host says the identity is in effect.
ALTER TABLE browser_sessions ADD COLUMN identity_pending boolean NOT NULL DEFAULT false;
