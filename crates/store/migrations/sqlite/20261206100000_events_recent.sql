-- A profile's most recent events, newest first, read without sorting all of them (the
-- console's profile page).
CREATE INDEX events_profile_time ON events (profile_id, time, id);
