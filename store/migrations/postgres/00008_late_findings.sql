-- Late findings, raised by a backtest (see ../sqlite).

-- +goose Up
ALTER TABLE findings ADD COLUMN late BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX findings_rule ON findings (rule);

-- +goose Down
DROP INDEX findings_rule;
ALTER TABLE findings DROP COLUMN late;
