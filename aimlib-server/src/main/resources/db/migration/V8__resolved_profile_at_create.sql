-- Device identity (issue 10): the gateway resolves a session's profile at create time, so it needs the real
-- Chromium version of the host it picks, and the device's own time zone and locale (set by an operator; NULL
-- falls back to the device's region, see docs/identity.md).
ALTER TABLE browser_hosts ADD COLUMN chrome_version text;
ALTER TABLE devices ADD COLUMN timezone text;
ALTER TABLE devices ADD COLUMN locale text;
