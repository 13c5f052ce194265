-- What Slack delivery needs beyond a pending/sent flag (see ../sqlite).

-- +goose Up
ALTER TABLE versions ADD COLUMN body_key TEXT COLLATE "C";
CREATE INDEX versions_body_key ON versions (body_key) WHERE body_key IS NOT NULL;

ALTER TABLE alerts ADD COLUMN attempt_at TEXT COLLATE "C";
ALTER TABLE alerts ADD COLUMN thread_ts TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX alerts_channel_status ON alerts (channel, status);

CREATE TABLE verdicts (
    finding_id BIGINT PRIMARY KEY REFERENCES findings (id),
    verdict    TEXT   COLLATE "C" NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged')),
    "user"     TEXT   COLLATE "C" NOT NULL,
    at         TEXT   COLLATE "C" NOT NULL
);

-- +goose Down
DROP TABLE verdicts;
DROP INDEX alerts_channel_status;
ALTER TABLE alerts DROP COLUMN digest;
ALTER TABLE alerts DROP COLUMN thread_ts;
ALTER TABLE alerts DROP COLUMN attempt_at;
DROP INDEX versions_body_key;
ALTER TABLE versions DROP COLUMN body_key;
