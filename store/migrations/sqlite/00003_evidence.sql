-- Evidence and revisions: the raw responses articles came from, the
-- visited set of site crawls, article-level events (edits, deletions) and
-- the alerts they raise.

-- +goose Up

-- responses: what a fetch received, byte for byte (body gzip-compressed),
-- for researchers and prosecutors. The body of a response no flagged
-- article depends on is dropped after the retention time; the row (hash,
-- headers, time) stays.
CREATE TABLE responses (
    id              INTEGER PRIMARY KEY,
    source          TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('feed', 'page', 'sitemap')),
    method          TEXT    NOT NULL DEFAULT 'GET',
    url             TEXT    NOT NULL,
    final_url       TEXT    NOT NULL,
    request_headers TEXT    NOT NULL DEFAULT '{}',  -- JSON, as sent
    proto           TEXT    NOT NULL DEFAULT 'HTTP/1.1',
    status          INTEGER NOT NULL,
    headers         TEXT    NOT NULL DEFAULT '{}',  -- JSON, as received
    body            BLOB,                           -- gzip of the raw body; NULL once pruned
    body_size       INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,               -- of the raw body
    fetched_at      TEXT    NOT NULL
) STRICT;
CREATE INDEX responses_fetched ON responses (fetched_at);

ALTER TABLE versions ADD COLUMN response_id INTEGER REFERENCES responses (id);
ALTER TABLE versions ADD COLUMN diff TEXT NOT NULL DEFAULT '';       -- word diff from the previous version
ALTER TABLE versions ADD COLUMN extractor TEXT NOT NULL DEFAULT '';  -- what produced the text
ALTER TABLE versions ADD COLUMN times_from TEXT NOT NULL DEFAULT ''; -- where the published time came from

ALTER TABLE articles ADD COLUMN last_fetch_at TEXT; -- last time the article or its feed was fetched
ALTER TABLE articles ADD COLUMN gone_at TEXT;       -- first answer 404/410

CREATE TABLE article_events (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    kind       TEXT    NOT NULL,  -- 'edited', 'deleted'
    detail     TEXT    NOT NULL DEFAULT '',
    at         TEXT    NOT NULL
) STRICT;
CREATE INDEX article_events_article ON article_events (article_id);

-- visited: article pages a site crawl has fetched, so a restart neither
-- refetches them nor keeps the set in memory.
CREATE TABLE visited (
    source TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (source, key)
) STRICT, WITHOUT ROWID;

-- Alerts about an article rather than a finding: an edit or a deletion of
-- a flagged article, posted in its thread.
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'finding';
ALTER TABLE alerts ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE alerts DROP COLUMN detail;
ALTER TABLE alerts DROP COLUMN kind;
DROP TABLE visited;
DROP TABLE article_events;
ALTER TABLE articles DROP COLUMN gone_at;
ALTER TABLE articles DROP COLUMN last_fetch_at;
ALTER TABLE versions DROP COLUMN times_from;
ALTER TABLE versions DROP COLUMN extractor;
ALTER TABLE versions DROP COLUMN diff;
ALTER TABLE versions DROP COLUMN response_id;
DROP TABLE responses;
