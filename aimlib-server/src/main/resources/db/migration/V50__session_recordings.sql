-- Issue 14: opt-in recordings of a browser session (HAR, screenshots, video). The files live on the
-- gateway's recordings directory under <customer>/<session>/; this row says what was asked for and
-- whose they are. They are deleted (row and files) once the session ended longer than the retention ago.
CREATE TABLE session_recordings (
    session_id  uuid PRIMARY KEY REFERENCES browser_sessions (id) ON DELETE CASCADE,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    har         boolean     NOT NULL,
    screenshots boolean     NOT NULL,
    video       boolean     NOT NULL,
    dir         text        NOT NULL,
    budget_bytes bigint     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_recordings_customer_idx ON session_recordings (customer_id);

-- Per-customer storage quota for recordings; NULL: the gateway's default (--recording-quota-bytes).
ALTER TABLE customers ADD COLUMN storage_quota_bytes bigint CHECK (storage_quota_bytes IS NULL OR storage_quota_bytes >= 0);
