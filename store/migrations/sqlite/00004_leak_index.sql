-- The fingerprint index of each leak's corpus, keyed by a hash of the
-- corpus files and index options, so re-indexing an unchanged corpus is a
-- lookup.

-- +goose Up
CREATE TABLE leak_indexes (
    leak     TEXT PRIMARY KEY,
    key      TEXT NOT NULL,
    blob     BLOB NOT NULL,
    stats    TEXT NOT NULL DEFAULT '{}',  -- JSON: documents, fingerprints, bytes, skipped
    built_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE leak_indexes;
