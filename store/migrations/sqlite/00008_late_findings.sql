-- Late findings: raised by a backtest of a rule added or changed after the
-- article was first evaluated (a reload, `silencewatch backtest -save`),
-- not when the article was first seen. They are kept apart so that a
-- review can tell what the monitor caught live from what a later rule
-- would have caught.

-- +goose Up
ALTER TABLE findings ADD COLUMN late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1));
CREATE INDEX findings_rule ON findings (rule);

-- +goose Down
DROP INDEX findings_rule;
ALTER TABLE findings DROP COLUMN late;
