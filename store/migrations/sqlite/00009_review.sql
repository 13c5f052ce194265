-- The review web UI: accounts, API tokens and sessions (secrets stored
-- only as SHA-256 or password hashes), verdicts from the web beside
-- Slack's in one history, full-text search over article versions, and the
-- finding's basis time as a column for sorting and time ranges.

-- +goose Up

-- users: people who may sign in to the review UI. password_hash is an
-- encoded argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('viewer', 'reviewer', 'admin')),
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
) STRICT;

-- api_tokens: bearer tokens for the JSON API; token_hash is the SHA-256
-- (hex) of the token, which is shown once and never stored.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- sessions: signed-in browsers. id_hash is the SHA-256 (hex) of the
-- cookie's value; csrf is the token every form of the session carries.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Verdicts gain "needs legal review", and the history says where each
-- verdict was given ('slack' or 'web') with an optional note. SQLite
-- cannot change a CHECK constraint in place: both tables are rebuilt.
-- Rows written before are Slack's.
CREATE TABLE verdicts_new (
    finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged', 'needs_legal_review')),
    user       TEXT NOT NULL,
    at         TEXT NOT NULL,
    team       TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO verdicts_new (finding_id, verdict, user, at, team)
    SELECT finding_id, verdict, user, at, team FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_new RENAME TO verdicts;

CREATE TABLE verdict_history_new (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings (id),
    verdict    TEXT    NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged', 'needs_legal_review')),
    user       TEXT    NOT NULL,
    team       TEXT    NOT NULL DEFAULT '',
    at         TEXT    NOT NULL,
    source     TEXT    NOT NULL DEFAULT 'slack' CHECK (source IN ('slack', 'web')),
    note       TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO verdict_history_new (id, finding_id, verdict, user, team, at, source)
    SELECT id, finding_id, verdict, user, team, at, 'slack' FROM verdict_history;
DROP TABLE verdict_history;
ALTER TABLE verdict_history_new RENAME TO verdict_history;
CREATE INDEX verdict_history_finding ON verdict_history (finding_id, id);

-- versions_fts: full-text index of every version's title, summary and
-- content (accents folded), an external-content table kept current by
-- triggers, filled from the rows already stored.
CREATE VIRTUAL TABLE versions_fts USING fts5(
    title, summary, content,
    content = 'versions', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
-- +goose StatementBegin
CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN
    INSERT INTO versions_fts (rowid, title, summary, content) VALUES (new.id, new.title, new.summary, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content) VALUES ('delete', old.id, old.title, old.summary, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER versions_fts_update AFTER UPDATE OF title, summary, content ON versions BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, summary, content) VALUES ('delete', old.id, old.title, old.summary, old.content);
    INSERT INTO versions_fts (rowid, title, summary, content) VALUES (new.id, new.title, new.summary, new.content);
END;
-- +goose StatementEnd
INSERT INTO versions_fts (versions_fts) VALUES ('rebuild');

-- Columns for sorting and filtering findings without parsing their JSON:
-- basis_unix, the instant the finding was judged at (its basis time,
-- whatever its offset) in Unix seconds; zone_list, its zones as
-- ",a,b,"; severity_rank, its severity in order. The first two are set
-- from the finding's JSON when it is stored (and filled here for the rows
-- already stored): a finding's JSON is never rewritten.
ALTER TABLE findings ADD COLUMN basis_unix REAL;
ALTER TABLE findings ADD COLUMN zone_list TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN severity_rank INTEGER
    GENERATED ALWAYS AS (CASE severity WHEN 'info' THEN 1 WHEN 'low' THEN 2 WHEN 'medium' THEN 3
        WHEN 'high' THEN 4 WHEN 'critical' THEN 5 ELSE 0 END) VIRTUAL;
-- +goose StatementBegin
CREATE TRIGGER findings_review_columns AFTER INSERT ON findings BEGIN
    UPDATE findings SET
        basis_unix = unixepoch(json_extract(new.finding, '$.basis_time'), 'subsec'),
        zone_list = COALESCE((SELECT ',' || group_concat(z.value, ',') || ',' FROM json_each(new.finding, '$.zones') z), '')
    WHERE id = new.id;
END;
-- +goose StatementEnd
UPDATE findings SET
    basis_unix = unixepoch(json_extract(finding, '$.basis_time'), 'subsec'),
    zone_list = COALESCE((SELECT ',' || group_concat(z.value, ',') || ',' FROM json_each(finding, '$.zones') z), '');
CREATE INDEX findings_basis ON findings (basis_unix);
CREATE INDEX findings_article ON findings (article_id);
CREATE INDEX articles_source ON articles (source);

-- +goose Down
DROP INDEX articles_source;
DROP INDEX findings_article;
DROP INDEX findings_basis;
DROP TRIGGER findings_review_columns;
ALTER TABLE findings DROP COLUMN severity_rank;
ALTER TABLE findings DROP COLUMN zone_list;
ALTER TABLE findings DROP COLUMN basis_unix;
DROP TRIGGER versions_fts_update;
DROP TRIGGER versions_fts_delete;
DROP TRIGGER versions_fts_insert;
DROP TABLE versions_fts;
DELETE FROM verdict_history WHERE verdict = 'needs_legal_review';
DELETE FROM verdicts WHERE verdict = 'needs_legal_review';
CREATE TABLE verdict_history_old (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings (id),
    verdict    TEXT    NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged')),
    user       TEXT    NOT NULL,
    team       TEXT    NOT NULL DEFAULT '',
    at         TEXT    NOT NULL
) STRICT;
INSERT INTO verdict_history_old (id, finding_id, verdict, user, team, at)
    SELECT id, finding_id, verdict, user, team, at FROM verdict_history;
DROP TABLE verdict_history;
ALTER TABLE verdict_history_old RENAME TO verdict_history;
CREATE INDEX verdict_history_finding ON verdict_history (finding_id, id);
CREATE TABLE verdicts_old (
    finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged')),
    user       TEXT NOT NULL,
    at         TEXT NOT NULL,
    team       TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO verdicts_old SELECT finding_id, verdict, user, at, team FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_old RENAME TO verdicts;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE users;
