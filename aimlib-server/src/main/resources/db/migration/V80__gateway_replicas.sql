-- Issue 12: several gateway replicas on one database behave as one.

-- Every running gateway process, with a heartbeat; a replica whose heartbeat is older than the expiry is
-- dead: any replica deletes it, and with it (cascade) what it claimed below.
CREATE TABLE gateway_replicas (
    id           uuid PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    -- host:port of its peer link: other replicas open streams of the devices it holds through it
    peer_address text
);

-- Which replica holds how many tunnel connections of a device; devices.status is derived from it
-- (online while any live replica holds one, rotating while one of them rotates the device).
CREATE TABLE device_tunnel_presence (
    device_id   uuid    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    replica_id  uuid    NOT NULL REFERENCES gateway_replicas (id) ON DELETE CASCADE,
    connections integer NOT NULL CHECK (connections > 0),
    rotating    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (device_id, replica_id)
);
CREATE INDEX device_tunnel_presence_replica_idx ON device_tunnel_presence (replica_id);

-- Relay (CDP) clients of a session per replica; browser_sessions.relay_clients is their sum.
CREATE TABLE relay_presence (
    session_id uuid    NOT NULL REFERENCES browser_sessions (id) ON DELETE CASCADE,
    replica_id uuid    NOT NULL REFERENCES gateway_replicas (id) ON DELETE CASCADE,
    clients    integer NOT NULL CHECK (clients > 0),
    PRIMARY KEY (session_id, replica_id)
);
CREATE INDEX relay_presence_replica_idx ON relay_presence (replica_id);

-- Bucket4j's PostgreSQL proxy manager: one serialized token bucket per customer API key, shared by all replicas.
CREATE TABLE rate_limit_buckets (
    id    text PRIMARY KEY,
    state bytea
);
