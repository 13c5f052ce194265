-- The order in which versions were shown to relay detection when several
-- run processes share a store (package cluster): each process, holding
-- the relay lock, first adds to its own index what the others showed
-- since it last looked, so that no pair of outlets' articles goes
-- unmatched because they were polled by different processes.

-- +goose Up
CREATE TABLE relay_observed (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL REFERENCES versions (id)
);

-- +goose Down
DROP TABLE relay_observed;
