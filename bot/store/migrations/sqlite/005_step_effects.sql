-- Steps that resume (issue 9): every effect a café step has on Discord is written down as it
-- happens, so a step a crash interrupted is finished on restart without repeating anything.
-- A room's channel id was already stored (now as soon as the channel is made, not after all of
-- them); these columns add the rest: each prompt's and notice's message id, each person's room
-- access, the closing words and locks, and whether a restart interrupted a step (to tell the hosts).

ALTER TABLE round_prompts ADD COLUMN message_id TEXT;
ALTER TABLE rounds ADD COLUMN lobby_message_id TEXT;
-- 1 once the person's Discord access matches this round's room (granted there, removed elsewhere).
ALTER TABLE assignments ADD COLUMN access_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN closing_message_id TEXT;
ALTER TABLE rooms ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN welcome_message_id TEXT;
ALTER TABLE sessions ADD COLUMN lobby_closing_message_id TEXT;
ALTER TABLE sessions ADD COLUMN lobby_locked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scheduled_steps ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
