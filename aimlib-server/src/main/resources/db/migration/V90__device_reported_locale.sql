-- The time zone and locale the device's agent reports (the phone's own settings). A session's profile defaults to
-- the operator's per-device values (timezone, locale), then to these, then to the device region's.
ALTER TABLE devices ADD COLUMN reported_timezone text, ADD COLUMN reported_locale text;
