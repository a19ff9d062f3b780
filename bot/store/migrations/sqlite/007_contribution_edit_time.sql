-- When a kept message's present text was written (its last edit), so a choice to stop recording
-- in that same millisecond takes the edit back too (ties are not recorded), live as after a restart.
ALTER TABLE contributions ADD COLUMN edited_at TEXT;
