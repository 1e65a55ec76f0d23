-- Issue 14: saved logins (browser contexts) and customer-uploaded Chrome extensions.

-- A context is a session's cookies and origin storage, sealed with AES-256-GCM under the server key
-- (the row's id and customer id are the additional data, so a sealed blob opens only on its own row),
-- with the resolved profile it was saved with: a session started from it presents the same phone.
CREATE TABLE browser_contexts (
    id                uuid PRIMARY KEY,
    customer_id       uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name              text NOT NULL,
    resolved_profile  jsonb NOT NULL,
    state_enc         bytea NOT NULL,
    size_bytes        bigint NOT NULL,
    source_session_id uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX browser_contexts_customer ON browser_contexts (customer_id, created_at);

-- An extension as uploaded and validated: a normalized zip (regular files only, checked names), its manifest.
CREATE TABLE browser_extensions (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name         text NOT NULL,
    version      text NOT NULL,
    manifest     jsonb NOT NULL,
    archive      bytea NOT NULL,
    size_bytes   bigint NOT NULL,
    file_count   integer NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX browser_extensions_customer ON browser_extensions (customer_id, created_at);

-- What a session was started with: the context a persist writes back to, the extensions it loaded.
ALTER TABLE browser_sessions
    ADD COLUMN context_id uuid,
    ADD COLUMN extension_ids uuid[];
