-- Identifiers the next delivery step depends on, kept in the store rather
-- than in memory so a crash cannot lose them: Slack channel ids, the thread
-- an attempt was posted under, digest summaries' ts, root alerts waiting to
-- be re-rendered; and verdicts with who gave them, as a history.

-- +goose Up

-- slack_channels: a configured channel (as written in the config,
-- "#election-alerts" or an id) and the id Slack gave it. History and edits
-- address channels by id only.
CREATE TABLE slack_channels (
    name        TEXT PRIMARY KEY,
    id          TEXT NOT NULL,
    resolved_at TEXT NOT NULL
) STRICT;

-- attempt_thread_ts: the thread the last attempt was posted under ('' for
-- the channel itself), so a lost answer is looked for in the right thread
-- however old its parent.
ALTER TABLE alerts ADD COLUMN attempt_thread_ts TEXT NOT NULL DEFAULT '';
-- refresh_seq > refreshed_seq: a sent top-level alert must be edited (a
-- syndicated copy arrived, a verdict was given). Set in the transaction
-- that records what made it stale.
ALTER TABLE alerts ADD COLUMN refresh_seq   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN refreshed_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX alerts_refresh ON alerts (channel) WHERE refresh_seq > refreshed_seq;

-- digests: one row per digest summary. The row is written before the post
-- (attempt_at), its ts once Slack answered; a row without ts is looked for
-- in the channel (metadata key "digest:<id>") before posting again.
-- closed_at: the flood drained, the next alerts are posted one by one.
CREATE TABLE digests (
    id         INTEGER PRIMARY KEY,
    channel    TEXT    NOT NULL,
    waiting    INTEGER NOT NULL,
    ts         TEXT    NOT NULL DEFAULT '',
    attempt_at TEXT    NOT NULL,
    posted_at  TEXT,
    closed_at  TEXT
) STRICT;
CREATE INDEX digests_channel ON digests (channel, id);

-- Verdicts: the team of the user (a Slack Connect user's team is not
-- ours), and every verdict ever given; verdicts keeps the latest.
ALTER TABLE verdicts ADD COLUMN team TEXT NOT NULL DEFAULT '';
CREATE TABLE verdict_history (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings (id),
    verdict    TEXT    NOT NULL CHECK (verdict IN ('confirmed', 'false_positive', 'acknowledged')),
    user       TEXT    NOT NULL,
    team       TEXT    NOT NULL DEFAULT '',
    at         TEXT    NOT NULL
) STRICT;
CREATE INDEX verdict_history_finding ON verdict_history (finding_id, id);
INSERT INTO verdict_history (finding_id, verdict, user, team, at)
    SELECT finding_id, verdict, user, team, at FROM verdicts;

-- +goose Down
DROP TABLE verdict_history;
ALTER TABLE verdicts DROP COLUMN team;
DROP TABLE digests;
DROP INDEX alerts_refresh;
ALTER TABLE alerts DROP COLUMN refreshed_seq;
ALTER TABLE alerts DROP COLUMN refresh_seq;
ALTER TABLE alerts DROP COLUMN attempt_thread_ts;
DROP TABLE slack_channels;
