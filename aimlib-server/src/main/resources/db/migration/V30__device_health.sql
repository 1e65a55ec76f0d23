-- Issue 15: what a device's agent reports about its health, and whether the gateway considers it unhealthy.
-- One row per device, written by the gateway replica its agent is connected to (DeviceHealthMonitor).
CREATE TABLE device_health (
    device_id       uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    signal_dbm      integer,
    network_type    text,
    battery_pct     integer,
    temperature_c   double precision,
    probe_error     text,
    rtt_ms          double precision,
    first_seen_at   timestamptz NOT NULL,
    reported_at     timestamptz NOT NULL,
    -- The last time a what-is-my-IP probe from the device's binding succeeded.
    last_egress_at  timestamptz,
    -- Set when no egress was seen for the configured time (--device-unhealthy-after); null while healthy.
    unhealthy_since timestamptz
);
CREATE INDEX device_health_unhealthy_idx ON device_health (unhealthy_since) WHERE unhealthy_since IS NOT NULL;
