-- Retention (docs/privacy.md): an evidence file is removed from disk 2 years after the year's final assessment;
-- the row stays (with its hash) and records when the file went.
ALTER TABLE evidence ADD COLUMN file_purged_at timestamptz;
