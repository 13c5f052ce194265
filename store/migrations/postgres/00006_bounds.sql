-- Bounds on what one response may cost the store (see ../sqlite).

-- +goose Up
ALTER TABLE responses ADD COLUMN headers_gz BYTEA;
ALTER TABLE responses ADD COLUMN headers_truncated INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE responses DROP COLUMN headers_truncated;
ALTER TABLE responses DROP COLUMN headers_gz;
