-- Relay edges: article B (to) reuses a passage of article A (from) of
-- another outlet, A seen earlier (package relay). Spans are byte offsets
-- into the named field's original text of each version. The article ids
-- are the versions' articles, kept for the spread of a leak, which reads
-- edges by article.

-- +goose Up
CREATE TABLE relay_edges (
    id           INTEGER PRIMARY KEY,
    from_version INTEGER NOT NULL REFERENCES versions (id),
    from_article INTEGER NOT NULL REFERENCES articles (id),
    to_version   INTEGER NOT NULL REFERENCES versions (id),
    to_article   INTEGER NOT NULL REFERENCES articles (id),
    words        INTEGER NOT NULL CHECK (words > 0), -- words of A's passage
    matched      INTEGER NOT NULL DEFAULT 0,         -- of them, identical in B
    from_field   TEXT    NOT NULL,
    from_start   INTEGER NOT NULL,
    from_end     INTEGER NOT NULL,
    to_field     TEXT    NOT NULL,
    to_start     INTEGER NOT NULL,
    to_end       INTEGER NOT NULL,
    detected_at  TEXT    NOT NULL,
    UNIQUE (from_version, to_version, to_field, to_start)
) STRICT;
CREATE INDEX relay_edges_from_article ON relay_edges (from_article);
CREATE INDEX relay_edges_to_article ON relay_edges (to_article);

-- +goose Down
DROP TABLE relay_edges;
