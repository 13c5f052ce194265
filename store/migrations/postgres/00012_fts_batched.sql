-- On SQLite, version 12 moves the full-text insert from a trigger to the
-- store. PostgreSQL's tsvector column is computed in the row's own
-- INSERT and needs no change; this version keeps the two numberings equal.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
