-- Session start at the physical limit (issue 13): where each session's start went (queue/claim, launch or pool hit,
-- bridge and egress, first CDP, identity, ready report; milliseconds, with pool_hit and the total POST -> ready),
-- shown in the operator's session view; and when the egress reported at ready was last checked through the
-- session's own bridge (off the critical path).
ALTER TABLE browser_sessions ADD COLUMN start_phases jsonb;
ALTER TABLE browser_sessions ADD COLUMN egress_verified_at timestamptz;
