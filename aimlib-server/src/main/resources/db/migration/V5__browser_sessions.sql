-- Browser sessions (issue 4): when the boot began (for the measured ready_in_s estimate), and at most
-- one pre-bound (host-less idle) row per lease, so the sweeper and lease creation can race safely.
ALTER TABLE browser_sessions ADD COLUMN boot_started_at timestamptz;
CREATE UNIQUE INDEX browser_sessions_one_prebound_per_lease ON browser_sessions (lease_id)
    WHERE host_id IS NULL AND status = 'idle';
CREATE INDEX browser_sessions_lease_idx ON browser_sessions (lease_id);
CREATE INDEX browser_sessions_live_idx ON browser_sessions (status) WHERE status NOT IN ('gone', 'failed');
