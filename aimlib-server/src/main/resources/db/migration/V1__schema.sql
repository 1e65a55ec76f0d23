-- The whole aimlib schema. Later migrations extend it; this file is never edited once released.

CREATE TABLE customers (
    id                   uuid PRIMARY KEY,
    name                 text        NOT NULL,
    status               text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    max_browser_sessions integer     NOT NULL DEFAULT 5 CHECK (max_browser_sessions >= 0),
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_name_key ON customers (name);

-- Keys are stored as a SHA-256 hash only; prefix is what a person sees in listings.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('customer', 'operator')),
    customer_id  uuid REFERENCES customers (id),
    name         text,
    scopes       text[]      NOT NULL DEFAULT '{}',
    prefix       text        NOT NULL,
    key_hash     bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CHECK ((kind = 'customer') = (customer_id IS NOT NULL))
);
CREATE INDEX api_keys_customer_idx ON api_keys (customer_id);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);

CREATE TABLE devices (
    id                   uuid PRIMARY KEY,
    name                 text        NOT NULL,
    region               text        NOT NULL DEFAULT 'local',
    carrier              text,
    current_egress_ip    text,
    max_browser_sessions integer     NOT NULL DEFAULT 1 CHECK (max_browser_sessions >= 0),
    monthly_cap_bytes    bigint CHECK (monthly_cap_bytes IS NULL OR monthly_cap_bytes >= 0),
    agent_token_hash     bytea UNIQUE,
    agent_token_prefix   text,
    status               text        NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline', 'rotating')),
    last_seen_at         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX devices_name_key ON devices (name);

-- Bytes through a device per calendar month (UTC), for the monthly cellular cap.
CREATE TABLE device_usage (
    device_id  uuid        NOT NULL REFERENCES devices (id),
    month      date        NOT NULL,
    bytes_up   bigint      NOT NULL DEFAULT 0,
    bytes_down bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, month)
);

CREATE TABLE device_egress_history (
    id          bigserial PRIMARY KEY,
    device_id   uuid        NOT NULL REFERENCES devices (id),
    ip          text        NOT NULL,
    observed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_egress_history_device_idx ON device_egress_history (device_id, observed_at DESC);

CREATE TABLE leases (
    id          uuid PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customers (id),
    device_id   uuid        NOT NULL REFERENCES devices (id),
    starts_at   timestamptz NOT NULL DEFAULT now(),
    ends_at     timestamptz,
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    bytes_up    bigint      NOT NULL DEFAULT 0,
    bytes_down  bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz
);
-- A device is leased to at most one customer at a time.
CREATE UNIQUE INDEX leases_one_active_per_device ON leases (device_id) WHERE status = 'active';
CREATE INDEX leases_customer_idx ON leases (customer_id, status);

-- One proxy per lease. The password must be handed back inside the proxy URL, so it is encrypted
-- (AES-GCM with the server key), not hashed.
CREATE TABLE proxies (
    id           uuid PRIMARY KEY,
    lease_id     uuid        NOT NULL UNIQUE REFERENCES leases (id),
    protocol     text        NOT NULL CHECK (protocol IN ('http', 'socks5')),
    username     text        NOT NULL UNIQUE,
    password_enc bytea       NOT NULL,
    status       text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE browser_hosts (
    id                uuid PRIMARY KEY,
    name              text        NOT NULL,
    region            text        NOT NULL,
    address           text        NOT NULL,
    capacity          integer     NOT NULL CHECK (capacity >= 0),
    status            text        NOT NULL DEFAULT 'up' CHECK (status IN ('up', 'down')),
    last_heartbeat_at timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX browser_hosts_name_key ON browser_hosts (name);

CREATE TABLE browser_sessions (
    id                 uuid PRIMARY KEY,
    customer_id        uuid        NOT NULL REFERENCES customers (id),
    device_id          uuid        NOT NULL REFERENCES devices (id),
    lease_id           uuid        NOT NULL REFERENCES leases (id),
    host_id            uuid REFERENCES browser_hosts (id),
    status             text        NOT NULL CHECK (status IN ('requested', 'provisioning', 'ready', 'active',
                                                              'idle', 'expiring', 'gone', 'failed')),
    connect_token_hash bytea,
    cdp_port           integer,
    cdp_path           text,
    ttl_s              integer     NOT NULL DEFAULT 1800,
    idle_timeout_s     integer     NOT NULL DEFAULT 120,
    sticky             boolean     NOT NULL DEFAULT false,
    profile            jsonb       NOT NULL DEFAULT '{}',
    resolved_profile   jsonb,
    egress_ip          text,
    data_cap_bytes     bigint,
    bytes_used         bigint      NOT NULL DEFAULT 0,
    relay_clients      integer     NOT NULL DEFAULT 0,
    version            integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    ready_at           timestamptz,
    expires_at         timestamptz,
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    ended_at           timestamptz,
    failure_reason     text
);
CREATE INDEX browser_sessions_device_idx ON browser_sessions (device_id, status);
CREATE INDEX browser_sessions_customer_idx ON browser_sessions (customer_id, status);
CREATE INDEX browser_sessions_host_idx ON browser_sessions (host_id, status);

CREATE TABLE tickets (
    id              uuid PRIMARY KEY,
    customer_id     uuid        NOT NULL REFERENCES customers (id),
    subject         text        NOT NULL,
    customer_closed boolean     NOT NULL DEFAULT false,
    operator_closed boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at);

CREATE TABLE ticket_messages (
    id         bigserial PRIMARY KEY,
    ticket_id  uuid        NOT NULL REFERENCES tickets (id),
    author     text        NOT NULL CHECK (author IN ('customer', 'operator')),
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, id);

-- Server-wide settings that must survive restarts (for example whether the demo was seeded).
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);
