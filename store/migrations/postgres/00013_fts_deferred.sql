-- On SQLite, version 13 queues a version's full-text row for a later
-- batch. PostgreSQL's tsvector column is computed in the row's own INSERT
-- and needs no change; this version keeps the two numberings equal.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
