-- What Slack delivery needs beyond a pending/sent flag: grouping of
-- syndicated copies, threads, digests, attempts whose outcome is unknown,
-- and the verdicts staff record on findings.

-- +goose Up

-- body_key: SHA-256 of the normalised body (content, else summary), set
-- only when the body is long enough to identify a story; the same story
-- syndicated at several outlets shares it.
ALTER TABLE versions ADD COLUMN body_key TEXT;
CREATE INDEX versions_body_key ON versions (body_key) WHERE body_key IS NOT NULL;

-- attempt_at: when the last send was started. A pending alert with an
-- attempt may already be in Slack (the answer was lost, or the process
-- died): it is looked up before being posted again.
ALTER TABLE alerts ADD COLUMN attempt_at TEXT;
-- thread_ts: the message the alert was posted under, '' for a top-level
-- message; digest: delivered as part of a digest.
ALTER TABLE alerts ADD COLUMN thread_ts TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN digest INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1));
CREATE INDEX alerts_channel_status ON alerts (channel, status);

CREATE TABLE verdicts (
    finding_id INTEGER PRIMARY KEY REFERENCES findings (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged')),
    user       TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE verdicts;
DROP INDEX alerts_channel_status;
ALTER TABLE alerts DROP COLUMN digest;
ALTER TABLE alerts DROP COLUMN thread_ts;
ALTER TABLE alerts DROP COLUMN attempt_at;
DROP INDEX versions_body_key;
ALTER TABLE versions DROP COLUMN body_key;
