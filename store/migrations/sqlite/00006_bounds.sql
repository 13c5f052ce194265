-- Bounds on what one response may cost the store.

-- +goose Up

-- Response headers are kept gzip-compressed, like bodies, and capped
-- (64 KiB of JSON): a server sending megabytes of headers on every poll
-- must not fill the disk. headers_gz holds the gzip of the JSON; rows
-- written before hold the JSON in headers and NULL here, and new rows
-- write '{}' in headers. headers_truncated is how many bytes of the
-- serialised headers the cap dropped (0: complete).
ALTER TABLE responses ADD COLUMN headers_gz BLOB;
ALTER TABLE responses ADD COLUMN headers_truncated INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE responses DROP COLUMN headers_truncated;
ALTER TABLE responses DROP COLUMN headers_gz;
