-- The fingerprint index of each leak's corpus (see ../sqlite).

-- +goose Up
CREATE TABLE leak_indexes (
    leak     TEXT  COLLATE "C" PRIMARY KEY,
    key      TEXT  COLLATE "C" NOT NULL,
    blob     BYTEA NOT NULL,
    stats    TEXT  COLLATE "C" NOT NULL DEFAULT '{}',
    built_at TEXT  COLLATE "C" NOT NULL
);

-- +goose Down
DROP TABLE leak_indexes;
