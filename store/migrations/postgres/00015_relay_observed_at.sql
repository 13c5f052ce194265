-- When each version was shown to relay detection (see ../sqlite).

-- +goose Up
ALTER TABLE relay_observed ADD COLUMN observed_at TEXT COLLATE "C";

-- +goose Down
ALTER TABLE relay_observed DROP COLUMN observed_at;
