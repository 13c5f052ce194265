package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// execQuerier is what *sql.DB and *sql.Tx share for writes.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ChannelIDs returns every configured channel's Slack id learned so far,
// by the channel as configured.
func (s *SQLite) ChannelIDs(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, id FROM slack_channels`)
	if err != nil {
		return nil, fmt.Errorf("store: channel ids: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, id string
		if err := rows.Scan(&name, &id); err != nil {
			return nil, fmt.Errorf("store: channel ids: %w", err)
		}
		out[name] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: channel ids: %w", err)
	}
	return out, nil
}

// SaveChannelID records the Slack id of a configured channel.
func (s *SQLite) SaveChannelID(ctx context.Context, name, id string, at time.Time) error {
	if name == "" || id == "" {
		return fmt.Errorf("store: channel id %q for %q: empty", id, name)
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO slack_channels (name, id, resolved_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET id = excluded.id, resolved_at = excluded.resolved_at`, name, id, ts(at))
	if err != nil {
		return fmt.Errorf("store: channel id of %s: %w", name, err)
	}
	return nil
}

// PendingRefreshes returns the sent top-level alerts marked for an edit,
// oldest first; each one's RefreshSeq is to be passed to MarkRefreshed.
func (s *SQLite) PendingRefreshes(ctx context.Context) ([]Alert, error) {
	out, err := s.queryAlerts(ctx, `WHERE a.refresh_seq > a.refreshed_seq ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("store: pending refreshes: %w", err)
	}
	return out, nil
}

// MarkRefreshed records that alert id was edited as of seq: a mark made
// since (a newer seq) stays pending.
func (s *SQLite) MarkRefreshed(ctx context.Context, id, seq int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE alerts SET refreshed_seq = max(refreshed_seq, ?) WHERE id = ?`, seq, id)
	if err != nil {
		return fmt.Errorf("store: mark alert %d refreshed: %w", id, err)
	}
	return nil
}

// RefreshFinding marks every sent top-level alert of a finding for an edit
// (its verdict changed) and returns how many were marked.
func (s *SQLite) RefreshFinding(ctx context.Context, findingID int64) (int, error) {
	r, err := s.db.ExecContext(ctx, refreshSQL+`finding_id = ?`, findingID)
	if err != nil {
		return 0, fmt.Errorf("store: refresh finding %d: %w", findingID, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: refresh finding %d: %w", findingID, err)
	}
	return int(n), nil
}

// OpenDigest returns the channel's latest digest not closed, if any.
func (s *SQLite) OpenDigest(ctx context.Context, channel string) (Digest, bool, error) {
	var d Digest
	err := s.db.QueryRowContext(ctx, `
SELECT id, channel, waiting, ts, attempt_at, posted_at FROM digests
WHERE channel = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1`, channel).
		Scan(&d.ID, &d.Channel, &d.Waiting, &d.TS, timeDest{&d.AttemptAt}, timeDest{&d.PostedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Digest{}, false, nil
	case err != nil:
		return Digest{}, false, fmt.Errorf("store: open digest of %s: %w", channel, err)
	}
	return d, true, nil
}

// StartDigest records that a digest summary is about to be posted, before
// it is, and returns its id; earlier digests of the channel are closed.
func (s *SQLite) StartDigest(ctx context.Context, channel string, waiting int, at time.Time) (int64, error) {
	if err := checkTime("attempt", at); err != nil {
		return 0, fmt.Errorf("store: start digest: %w", err)
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE digests SET closed_at = ? WHERE channel = ? AND closed_at IS NULL`, ts(at), channel); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO digests (channel, waiting, attempt_at) VALUES (?, ?, ?)`, channel, waiting, ts(at))
		if err != nil {
			return err
		}
		id, err = r.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: start digest in %s: %w", channel, err)
	}
	return id, nil
}

// RetryDigest records a new attempt to post digest id.
func (s *SQLite) RetryDigest(ctx context.Context, id int64, at time.Time) error {
	return s.digestUpdate(ctx, id, "retry", `UPDATE digests SET attempt_at = ? WHERE id = ? AND ts = ''`, ts(at), id)
}

// MarkDigestPosted records the ts Slack gave digest id.
func (s *SQLite) MarkDigestPosted(ctx context.Context, id int64, messageTS string, at time.Time) error {
	if messageTS == "" {
		return fmt.Errorf("store: digest %d posted: empty ts", id)
	}
	return s.digestUpdate(ctx, id, "posted", `UPDATE digests SET ts = ?, posted_at = ? WHERE id = ? AND ts = ''`, messageTS, ts(at), id)
}

// CloseDigest records that the channel's flood drained.
func (s *SQLite) CloseDigest(ctx context.Context, channel string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE digests SET closed_at = ? WHERE channel = ? AND closed_at IS NULL`, ts(at), channel)
	if err != nil {
		return fmt.Errorf("store: close digest of %s: %w", channel, err)
	}
	return nil
}

func (s *SQLite) digestUpdate(ctx context.Context, id int64, what, q string, args ...any) error {
	r, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: digest %d %s: %w", id, what, err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return fmt.Errorf("store: digest %d %s: %w", id, what, err)
	} else if n == 0 {
		return fmt.Errorf("store: digest %d %s: already posted or unknown: %w", id, what, ErrNotPending)
	}
	return nil
}
