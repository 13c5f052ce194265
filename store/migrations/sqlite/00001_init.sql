-- silencewatch's durable record, SQLite dialect.
--
-- Conventions, so that every reader (and a PostgreSQL port) agrees:
--   * Times are TEXT in UTC, RFC 3339 with exactly nine fractional digits
--     ("2017-05-06T08:00:00.000000000Z"). The fixed width makes text order
--     equal time order, so comparisons like next_try_at <= ? work on the
--     column; a zero Go time is NULL. TEXT rather than unix nanoseconds so
--     that an outlet's absurd claimed date (year 1, year 2500) is kept, not
--     overflowed, and so that the file is readable with the sqlite3 shell.
--   * SHA-256 digests are lowercase hex TEXT, comparable with sha256sum.
--   * Tables are STRICT: a wrongly typed value is an error, not a silent
--     conversion.

-- +goose Up

-- sources: one row per configured source, its conditional-GET validators
-- and adaptive schedule. Rewritten by a single upsert after every poll
-- (the whole store cost of a poll answered 304), so it carries no index
-- besides its key.
CREATE TABLE sources (
    name            TEXT    PRIMARY KEY,
    url             TEXT    NOT NULL,
    etag            TEXT    NOT NULL DEFAULT '',
    last_modified   TEXT    NOT NULL DEFAULT '',
    conditional_off INTEGER NOT NULL DEFAULT 0 CHECK (conditional_off IN (0, 1)),
    failures        INTEGER NOT NULL DEFAULT 0,
    last_poll_at    TEXT,
    last_success_at TEXT,
    next_poll_at    TEXT,
    interval_ns     INTEGER NOT NULL DEFAULT 0,
    last_items      TEXT    -- JSON array of item keys; NULL when none recorded
) STRICT;

-- events: what happened to a source (gap, failing, recovered, ...). No
-- foreign key to sources: an event may precede the first saved state.
CREATE TABLE events (
    id     INTEGER PRIMARY KEY,
    source TEXT    NOT NULL,
    kind   TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT '',
    at     TEXT    NOT NULL
) STRICT;
CREATE INDEX events_source_at ON events (source, at);

-- articles: one publication, identified within its source by GUID, else
-- by normalised URL. guid and url_norm are NULL when empty so that
-- articles without them never collide in the unique constraint. source
-- is "" for an ad-hoc check, hence no foreign key to sources.
CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL,
    source_url    TEXT    NOT NULL DEFAULT '', -- the feed or page it came from
    guid          TEXT,
    url_norm      TEXT,
    url           TEXT    NOT NULL DEFAULT '', -- as first seen
    first_seen_at TEXT    NOT NULL,            -- our clock, first sighting
    UNIQUE (source, guid)
) STRICT;
CREATE INDEX articles_source_url_norm ON articles (source, url_norm);

-- versions: the article's text each time it changed, with the hash and
-- time of the response it came from (the evidence trail). evaluated_at
-- stays NULL until the rule engine's findings are saved, so a crash
-- between saving and evaluating is recovered at start-up.
CREATE TABLE versions (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES articles (id),
    version      INTEGER NOT NULL,                -- 1, 2, ... per article
    title        TEXT    NOT NULL DEFAULT '',
    author       TEXT    NOT NULL DEFAULT '',
    summary      TEXT    NOT NULL DEFAULT '',
    content      TEXT    NOT NULL DEFAULT '',
    language     TEXT    NOT NULL DEFAULT '',
    published_at TEXT,                            -- claimed by the outlet
    updated_at   TEXT,                            -- claimed by the outlet
    text_sha256  TEXT    NOT NULL,                -- of title, summary, content
    fetch_sha256 TEXT,                            -- of the response body
    fetch_url    TEXT    NOT NULL DEFAULT '',
    fetched_at   TEXT,
    evaluated_at TEXT,
    UNIQUE (article_id, version)
) STRICT;
-- Start-up recovery scans only the (few) unevaluated rows.
CREATE INDEX versions_unevaluated ON versions (id) WHERE evaluated_at IS NULL;

-- findings: one rule firing on one version. finding_key is
-- rules.Finding.ID (stable across versions of an article); finding is the
-- whole rules.Finding as JSON, evidence included; rule, severity and
-- window are copied out of it for querying.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    version_id  INTEGER NOT NULL REFERENCES versions (id),
    article_id  INTEGER NOT NULL REFERENCES articles (id),
    finding_key TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    window      TEXT    NOT NULL,
    finding     TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (finding_key, version_id)
) STRICT;
CREATE INDEX findings_version ON findings (version_id);

-- alerts: the outbox. One row per finding and channel; idem_key
-- ("<finding_key>/v<version>/<channel>") makes queueing idempotent, and
-- status makes delivery exactly-once: only pending rows are ever due.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER NOT NULL REFERENCES findings (id),
    channel     TEXT    NOT NULL,
    idem_key    TEXT    NOT NULL UNIQUE,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    message_ts  TEXT    NOT NULL DEFAULT '',      -- Slack ts, for threading
    next_try_at TEXT,                             -- NULL once sent or failed
    sent_at     TEXT,
    failed_at   TEXT,
    created_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX alerts_finding ON alerts (finding_id);
CREATE INDEX alerts_due ON alerts (next_try_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE alerts;
DROP TABLE findings;
DROP TABLE versions;
DROP TABLE articles;
DROP TABLE events;
DROP TABLE sources;
