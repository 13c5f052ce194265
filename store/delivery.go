package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Verdict is staff's judgement of a finding.
type Verdict struct {
	Verdict string // "confirmed", "false_positive", "acknowledged"
	User    string // Slack user id
	Team    string // the user's Slack team id ("" when unknown)
	At      time.Time
}

// Thread is where a follow-up alert goes: under RootTS.
type Thread struct {
	RootAlertID int64
	RootTS      string
	SameArticle bool // false: a syndicated copy of the root's story
	// Repeat: an alert of the same finding (rule and article) on an
	// earlier version was sent to the channel: this one is a new version.
	Repeat bool
}

// Digest is a digest summary posted (or being posted) to a channel.
type Digest struct {
	ID        int64
	Channel   string
	Waiting   int
	TS        string    // "" until Slack's answer is recorded
	AttemptAt time.Time // last post started
	PostedAt  time.Time
}

// Delivery is how an alert reached its channel.
type Delivery struct {
	TS       string // the message's Slack ts (or the notifier's id)
	ThreadTS string
	Digest   bool
	// RefreshRoot, when set, is a sent top-level alert this delivery makes
	// stale (a syndicated copy in its thread changes its outlet count): it
	// is marked for an edit in the same transaction.
	RefreshRoot int64
}

// Alert is one finding to deliver to one channel.
type Alert struct {
	ID        int64
	FindingID int64
	Channel   string
	Key       string // idempotency key: finding id and channel
	Status    string // "pending", "sent", "failed"
	Kind      string // "finding", or an article event: "edited", "deleted"
	Detail    string // for article events
	Attempts  int
	LastError string
	MessageTS string
	ThreadTS  string    // the message it was posted under; "" at top level
	Digest    bool      // delivered as part of a digest
	AttemptAt time.Time // last send started; non-zero on a pending alert: outcome unknown
	// AttemptThreadTS is the thread the last attempt was posted under, ""
	// for the channel itself: where to look for it.
	AttemptThreadTS string
	// RefreshSeq is non-zero when the sent message must be edited (see
	// PendingRefreshes); MarkRefreshed takes it back.
	RefreshSeq int64
	NextTryAt  time.Time
	SentAt     time.Time
	Finding    StoredFinding
}

// execQuerier is what the store's handle and its transactions share for
// writes.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ChannelIDs returns every configured channel's Slack id learned so far,
// by the channel as configured.
func (s *DB) ChannelIDs(ctx context.Context) (map[string]string, error) {
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
func (s *DB) SaveChannelID(ctx context.Context, name, id string, at time.Time) error {
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

const pendingRefreshesSQL = selectAlertSQL + `WHERE a.refresh_seq > a.refreshed_seq ORDER BY a.id`

// PendingRefreshes returns the sent top-level alerts marked for an edit,
// oldest first; each one's RefreshSeq is to be passed to MarkRefreshed.
func (s *DB) PendingRefreshes(ctx context.Context) ([]Alert, error) {
	rows, err := s.pendingRefreshes.QueryContext(ctx)
	var out []Alert
	if err == nil {
		out, err = scanAlerts(rows)
	}
	if err != nil {
		return nil, fmt.Errorf("store: pending refreshes: %w", err)
	}
	return out, nil
}

// MarkRefreshed records that alert id was edited as of seq: a mark made
// since (a newer seq) stays pending.
func (s *DB) MarkRefreshed(ctx context.Context, id, seq int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE alerts SET refreshed_seq = CASE WHEN refreshed_seq > ? THEN refreshed_seq ELSE ? END WHERE id = ?`, seq, seq, id)
	if err != nil {
		return fmt.Errorf("store: mark alert %d refreshed: %w", id, err)
	}
	return nil
}

// RefreshFinding marks every sent top-level alert of a finding for an edit
// (its verdict changed) and returns how many were marked.
func (s *DB) RefreshFinding(ctx context.Context, findingID int64) (int, error) {
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
func (s *DB) OpenDigest(ctx context.Context, channel string) (Digest, bool, error) {
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
func (s *DB) StartDigest(ctx context.Context, channel string, waiting int, at time.Time) (int64, error) {
	if err := checkTime("attempt", at); err != nil {
		return 0, fmt.Errorf("store: start digest: %w", err)
	}
	var id int64
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE digests SET closed_at = ? WHERE channel = ? AND closed_at IS NULL`, ts(at), channel); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO digests (channel, waiting, attempt_at) VALUES (?, ?, ?) RETURNING id`,
			channel, waiting, ts(at)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: start digest in %s: %w", channel, err)
	}
	return id, nil
}

// RetryDigest records a new attempt to post digest id.
func (s *DB) RetryDigest(ctx context.Context, id int64, at time.Time) error {
	return s.digestUpdate(ctx, id, "retry", `UPDATE digests SET attempt_at = ? WHERE id = ? AND ts = ''`, ts(at), id)
}

// MarkDigestPosted records the ts Slack gave digest id.
func (s *DB) MarkDigestPosted(ctx context.Context, id int64, messageTS string, at time.Time) error {
	if messageTS == "" {
		return fmt.Errorf("store: digest %d posted: empty ts", id)
	}
	return s.digestUpdate(ctx, id, "posted", `UPDATE digests SET ts = ?, posted_at = ? WHERE id = ? AND ts = ''`, messageTS, ts(at), id)
}

// CloseDigest records that the channel's flood drained.
func (s *DB) CloseDigest(ctx context.Context, channel string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE digests SET closed_at = ? WHERE channel = ? AND closed_at IS NULL`, ts(at), channel)
	if err != nil {
		return fmt.Errorf("store: close digest of %s: %w", channel, err)
	}
	return nil
}

func (s *DB) digestUpdate(ctx context.Context, id int64, what, q string, args ...any) error {
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
