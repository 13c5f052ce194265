-- When each version was shown to relay detection, so that the log can be
-- pruned: a version observed longer ago than relay.window is outside every
-- process's index, and no process needs to read it again. Rows logged
-- before this migration have none; they go with the first pruning that
-- removes a later row.

-- +goose Up
ALTER TABLE relay_observed ADD COLUMN observed_at TEXT;

-- +goose Down
ALTER TABLE relay_observed DROP COLUMN observed_at;
