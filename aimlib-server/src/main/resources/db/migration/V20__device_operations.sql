-- Issue 15: customer-driven IP rotation as stored operations, lease-scoped IP history, scheduled rotation.

-- One row per rotation (customer, schedule or operator). Any gateway replica answers GET /v1/operations/{id}
-- from here; the replica holding the device's tunnel claims a queued row and is the only writer until it ends.
CREATE TABLE device_operations (
    id          uuid PRIMARY KEY,
    kind        text        NOT NULL DEFAULT 'rotate_ip' CHECK (kind IN ('rotate_ip')),
    device_id   uuid        NOT NULL REFERENCES devices (id),
    customer_id uuid REFERENCES customers (id),
    lease_id    uuid REFERENCES leases (id),
    trigger     text        NOT NULL CHECK (trigger IN ('api', 'schedule', 'operator')),
    status      text        NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'timeout')),
    old_ip      text,
    new_ip      text,
    reason      text,
    claimed_by  text,
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz
);
-- At most one rotation per device at a time, whichever replica asks.
CREATE UNIQUE INDEX device_operations_one_open ON device_operations (device_id) WHERE status IN ('queued', 'running');
CREATE INDEX device_operations_device_idx ON device_operations (device_id, created_at DESC);
CREATE INDEX device_operations_customer_idx ON device_operations (customer_id, created_at DESC);

-- History rows now span an interval (first seen = observed_at, last seen moves with every report of the
-- same IP) and say whether a rotation or the carrier changed the address.
ALTER TABLE device_egress_history ADD COLUMN last_seen_at timestamptz;
ALTER TABLE device_egress_history ADD COLUMN source text NOT NULL DEFAULT 'observed' CHECK (source IN ('observed', 'rotation'));
ALTER TABLE device_egress_history ADD COLUMN operation_id uuid REFERENCES device_operations (id);
UPDATE device_egress_history SET last_seen_at = observed_at;
ALTER TABLE device_egress_history ALTER COLUMN last_seen_at SET DEFAULT now();
ALTER TABLE device_egress_history ALTER COLUMN last_seen_at SET NOT NULL;

-- Optional rotation schedule of a lease: rotate every interval, anchored at when it was set.
ALTER TABLE leases ADD COLUMN rotate_every_s integer CHECK (rotate_every_s IS NULL OR rotate_every_s > 0);
ALTER TABLE leases ADD COLUMN rotate_anchor_at timestamptz;
