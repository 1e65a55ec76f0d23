-- Issue 9: the session's own downloads directory on its host, reported at ready. The CDP relay rewrites
-- every download path to it and lets file inputs read only from it.
ALTER TABLE browser_sessions ADD COLUMN downloads_dir text;
