package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

// Route names the channels a finding's alerts go to; nil queues none.
type Route func(f *finding.Finding) []string

// StoredFinding is a finding as recorded, tied to the version it was
// found in.
type StoredFinding struct {
	ID        int64
	VersionID int64
	ArticleID int64
	Finding   finding.Finding
	CreatedAt time.Time
	// Late is set on a finding a backtest raised: a rule added or changed
	// after the version was first evaluated would have flagged it.
	Late bool
}

// SaveFindings records one evaluation of a version in one transaction:
// the findings (a finding already stored for this version is kept as is),
// the version's evaluated_at (the first evaluation's time is kept), and
// one pending alert per finding and channel, due at at (queued once per
// idempotency key). It returns every finding stored for the version; with
// no findings to save it only marks the version evaluated, in one
// statement, and returns none.
func (s *DB) SaveFindings(ctx context.Context, versionID int64, findings []finding.Finding, route Route, at time.Time) ([]StoredFinding, error) {
	return s.saveFindings(ctx, versionID, findings, route, at, false)
}

// SaveLateFindings records findings a backtest raised on a version
// evaluated before: marked late, their alerts queued only where route
// gives channels (nil: none). A finding already stored for the version is
// left as it is.
func (s *DB) SaveLateFindings(ctx context.Context, versionID int64, findings []finding.Finding, route Route, at time.Time) ([]StoredFinding, error) {
	return s.saveFindings(ctx, versionID, findings, route, at, true)
}

func (s *DB) saveFindings(ctx context.Context, versionID int64, findings []finding.Finding, route Route, at time.Time, late bool) ([]StoredFinding, error) {
	if at.IsZero() {
		// evaluated_at NULL means "not evaluated": a zero time would lose it.
		return nil, fmt.Errorf("store: save findings of version %d: zero time", versionID)
	}
	if len(findings) == 0 {
		return nil, s.markEvaluated(ctx, versionID, at)
	}
	docs := make([][]byte, len(findings))
	for i := range findings {
		f := &findings[i]
		if f.ID == "" {
			return nil, fmt.Errorf("store: save findings of version %d: finding of rule %q has no ID", versionID, f.Rule)
		}
		var err error
		if docs[i], err = json.Marshal(f); err != nil {
			return nil, fmt.Errorf("store: save findings of version %d: finding %s: %w", versionID, f.ID, err)
		}
	}
	var out []StoredFinding
	err := s.inTx(ctx, func(tx *txn) error {
		var (
			articleID int64
			version   int
		)
		err := tx.QueryRowContext(ctx, `SELECT article_id, version FROM versions WHERE id = ?`, versionID).
			Scan(&articleID, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for i := range findings {
			f := &findings[i]
			_, err := tx.ExecContext(ctx, `
INSERT INTO findings (version_id, article_id, finding_key, rule, severity, "window", finding, created_at, late)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (finding_key, version_id) DO NOTHING`,
				versionID, articleID, f.ID, f.Rule, f.Severity.String(), f.Window, string(docs[i]), ts(at), late)
			if err != nil {
				return fmt.Errorf("insert finding %s: %w", f.ID, err)
			}
			var findingID int64
			err = tx.QueryRowContext(ctx, `SELECT id FROM findings WHERE finding_key = ? AND version_id = ?`,
				f.ID, versionID).Scan(&findingID)
			if err != nil {
				return fmt.Errorf("finding %s: %w", f.ID, err)
			}
			var channels []string
			if route != nil {
				channels = route(f)
			}
			for _, ch := range channels {
				_, err := tx.ExecContext(ctx, `
INSERT INTO alerts (finding_id, channel, idem_key, status, next_try_at, created_at)
VALUES (?, ?, ?, 'pending', ?, ?)
ON CONFLICT (idem_key) DO NOTHING`,
					findingID, ch, alertKey(f.ID, version, ch), ts(at), ts(at))
				if err != nil {
					return fmt.Errorf("queue alert %s to %s: %w", f.ID, ch, err)
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE versions SET evaluated_at = ? WHERE id = ? AND evaluated_at IS NULL`,
			ts(at), versionID)
		if err != nil {
			return fmt.Errorf("mark evaluated: %w", err)
		}
		out, err = queryFindings(ctx, tx, `WHERE f.version_id = ?`, versionID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: save findings of version %d: %w", versionID, err)
	}
	return out, nil
}

// markEvaluated records a version evaluated without findings: one
// statement, no transaction of its own (most versions flag nothing, and
// a transaction each was most of a quiet poll's store time).
func (s *DB) markEvaluated(ctx context.Context, versionID int64, at time.Time) error {
	err := s.MarkEvaluated(ctx, []int64{versionID}, at)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: save findings of version %d: %w", versionID, ErrNotFound)
	}
	return err
}

// MarkEvaluated records versions evaluated without findings, what
// SaveFindings does with none, in one statement for them all: a poll's
// new items are marked in one commit instead of one each. A version
// evaluated before is left as it is; one not stored is ErrNotFound, and
// the others are still marked.
func (s *DB) MarkEvaluated(ctx context.Context, versionIDs []int64, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("store: mark %d versions evaluated: zero time", len(versionIDs))
	}
	for start := 0; start < len(versionIDs); start += seenBatch {
		ids := versionIDs[start:min(start+seenBatch, len(versionIDs))]
		list, err := json.Marshal(ids)
		if err != nil {
			return fmt.Errorf("store: mark %d versions evaluated: %w", len(ids), err)
		}
		res, err := s.markQuiet.ExecContext(ctx, ts(at), string(list))
		if err != nil {
			return fmt.Errorf("store: mark %d versions evaluated: %w", len(ids), err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: mark %d versions evaluated: %w", len(ids), err)
		} else if n == int64(len(ids)) {
			continue
		}
		// Some changed nothing: evaluated before, or not stored.
		in, args := idList(ids, ts(at))
		var stored int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM versions WHERE id IN `+in, args[1:]...).Scan(&stored); err != nil {
			return fmt.Errorf("store: mark %d versions evaluated: %w", len(ids), err)
		}
		if distinct := len(uniqueIDs(ids)); stored < distinct {
			return fmt.Errorf("store: mark versions evaluated: %d of %d not stored: %w", distinct-stored, distinct, ErrNotFound)
		}
	}
	return nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// alertKey is an alert's idempotency key: one delivery per finding,
// article version and channel. The finding key is hex and the version a
// number, so the key reads back unambiguously whatever the channel.
func alertKey(findingKey string, version int, channel string) string {
	return fmt.Sprintf("%s/v%d/%s", findingKey, version, channel)
}

// FindingByID returns one stored finding.
func (s *DB) FindingByID(ctx context.Context, id int64) (StoredFinding, error) {
	out, err := queryFindings(ctx, s.db, `WHERE f.id = ?`, id)
	switch {
	case err != nil:
		return StoredFinding{}, fmt.Errorf("store: finding %d: %w", id, err)
	case len(out) == 0:
		return StoredFinding{}, fmt.Errorf("store: finding %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// Findings returns every stored finding, oldest first.
func (s *DB) Findings(ctx context.Context) ([]StoredFinding, error) {
	out, err := queryFindings(ctx, s.db, ``)
	if err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	return out, nil
}

// querier is what the store's handle and its transactions share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryFindings(ctx context.Context, q querier, where string, args ...any) ([]StoredFinding, error) {
	rows, err := q.QueryContext(ctx, `
SELECT f.id, f.version_id, f.article_id, f.finding, f.created_at, f.late FROM findings f `+where+` ORDER BY f.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredFinding
	for rows.Next() {
		var (
			sf  StoredFinding
			doc string
		)
		if err := rows.Scan(&sf.ID, &sf.VersionID, &sf.ArticleID, &doc, timeDest{&sf.CreatedAt}, &sf.Late); err != nil {
			return nil, err
		}
		if sf.Finding, err = decodeFinding(doc); err != nil {
			return nil, fmt.Errorf("finding %d: %w", sf.ID, err)
		}
		out = append(out, sf)
	}
	return out, rows.Err()
}

// findingDoc reads a finding.Finding back from JSON. config.Severity
// marshals as its name but has no UnmarshalText, so the shallower
// Severity field here takes the name and it is parsed by hand.
type findingDoc struct {
	finding.Finding
	Severity string `json:"severity"`
}

func decodeFinding(doc string) (finding.Finding, error) {
	var d findingDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return finding.Finding{}, err
	}
	sev, err := config.ParseSeverity(d.Severity)
	if err != nil {
		// An out-of-range severity marshals as "severity(N)": keep N.
		var n int
		if _, scanErr := fmt.Sscanf(d.Severity, "severity(%d)", &n); scanErr != nil {
			return finding.Finding{}, err
		}
		sev = config.Severity(n)
	}
	d.Finding.Severity = sev
	return d.Finding, nil
}

// Alerts.

const selectAlertSQL = `
SELECT a.id, a.finding_id, a.channel, a.idem_key, a.status, a.attempts, a.last_error, a.message_ts,
	a.next_try_at, a.sent_at, a.attempt_at, a.thread_ts, a.digest, a.kind, a.detail,
	a.attempt_thread_ts, CASE WHEN a.refresh_seq > a.refreshed_seq THEN a.refresh_seq ELSE 0 END,
	f.id, f.version_id, f.article_id, f.finding, f.created_at
FROM alerts a JOIN findings f ON f.id = a.finding_id `

// DueAlerts returns pending alerts whose next try is at or before now,
// oldest (first queued) first; limit <= 0 means no limit.
func (s *DB) DueAlerts(ctx context.Context, now time.Time, limit int) ([]Alert, error) {
	if limit <= 0 {
		limit = noLimit
	}
	rows, err := s.dueAlerts.QueryContext(ctx, ts(now), limit)
	var out []Alert
	if err == nil {
		out, err = scanAlerts(rows)
	}
	if err != nil {
		return nil, fmt.Errorf("store: due alerts: %w", err)
	}
	return out, nil
}

// AlertByID returns one alert.
func (s *DB) AlertByID(ctx context.Context, id int64) (Alert, error) {
	out, err := s.queryAlerts(ctx, `WHERE a.id = ?`, id)
	switch {
	case err != nil:
		return Alert{}, fmt.Errorf("store: alert %d: %w", id, err)
	case len(out) == 0:
		return Alert{}, fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// Alerts returns every alert whatever its status, oldest first.
func (s *DB) Alerts(ctx context.Context) ([]Alert, error) {
	out, err := s.queryAlerts(ctx, `ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	return out, nil
}

const dueAlertsSQL = selectAlertSQL + `WHERE a.status = 'pending' AND a.next_try_at <= ? ORDER BY a.id LIMIT ?`

func (s *DB) queryAlerts(ctx context.Context, tail string, args ...any) ([]Alert, error) {
	rows, err := s.db.QueryContext(ctx, selectAlertSQL+tail, args...)
	if err != nil {
		return nil, err
	}
	return scanAlerts(rows)
}

// scanAlerts reads the rows of a selectAlertSQL query, and closes them.
func scanAlerts(rows *sql.Rows) ([]Alert, error) {
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var (
			al  Alert
			doc string
			sf  = &al.Finding
		)
		err := rows.Scan(&al.ID, &al.FindingID, &al.Channel, &al.Key, &al.Status, &al.Attempts,
			&al.LastError, &al.MessageTS, timeDest{&al.NextTryAt}, timeDest{&al.SentAt},
			timeDest{&al.AttemptAt}, &al.ThreadTS, &al.Digest, &al.Kind, &al.Detail,
			&al.AttemptThreadTS, &al.RefreshSeq,
			&sf.ID, &sf.VersionID, &sf.ArticleID, &doc, timeDest{&sf.CreatedAt})
		if err != nil {
			return nil, err
		}
		if sf.Finding, err = decodeFinding(doc); err != nil {
			return nil, fmt.Errorf("alert %d: finding %d: %w", al.ID, sf.ID, err)
		}
		out = append(out, al)
	}
	return out, rows.Err()
}

// MarkAlertSent records a delivery as a top-level message; the alert is
// never due again.
func (s *DB) MarkAlertSent(ctx context.Context, id int64, messageTS string, at time.Time) error {
	return s.MarkAlertDelivered(ctx, id, Delivery{TS: messageTS}, at)
}

// MarkAlertDelivered records a delivery, in a thread or a digest or not;
// d.RefreshRoot is marked for an edit in the same transaction.
func (s *DB) MarkAlertDelivered(ctx context.Context, id int64, d Delivery, at time.Time) error {
	return s.inTx(ctx, func(tx *txn) error {
		err := markAlert(ctx, tx, id, "sent", `
UPDATE alerts SET status = 'sent', attempts = attempts + 1, message_ts = ?, thread_ts = ?, digest = ?,
	sent_at = ?, next_try_at = NULL`,
			d.TS, d.ThreadTS, d.Digest, ts(at))
		if err != nil || d.RefreshRoot == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, refreshSQL+`id = ?`, d.RefreshRoot); err != nil {
			return fmt.Errorf("store: mark alert %d for an edit: %w", d.RefreshRoot, err)
		}
		return nil
	})
}

// refreshSQL marks sent top-level alerts (not digest lines) for an edit.
const refreshSQL = `
UPDATE alerts SET refresh_seq = CASE WHEN refresh_seq > refreshed_seq THEN refresh_seq ELSE refreshed_seq END + 1
	WHERE status = 'sent' AND thread_ts = '' AND digest = FALSE AND message_ts != '' AND `

// MarkAlertAttempt records that a send is starting: until its outcome is
// recorded, the alert may or may not be in Slack.
func (s *DB) MarkAlertAttempt(ctx context.Context, id int64, at time.Time) error {
	return s.MarkAlertAttemptIn(ctx, id, "", at)
}

// MarkAlertAttemptIn records that a send is starting under the thread
// threadTS ("" for the channel itself), where a lost answer is looked for.
func (s *DB) MarkAlertAttemptIn(ctx context.Context, id int64, threadTS string, at time.Time) error {
	return markAlert(ctx, s.db, id, "attempt", `UPDATE alerts SET attempt_at = ?, attempt_thread_ts = ?`, ts(at), threadTS)
}

// ThreadRoot finds the message a new alert should reply under: the first
// alert sent to the same channel about the same article (a new version or
// another finding), else about another article with the same body (a
// syndicated copy). A root delivered inside a thread (a digest) gives that
// thread.
func (s *DB) ThreadRoot(ctx context.Context, channel string, findingID, alertID int64) (Thread, bool, error) {
	var th Thread
	var rootArticle, article int64
	err := s.db.QueryRowContext(ctx, `
WITH me AS (
	SELECT f.article_id AS article_id, v.body_key AS body_key
	FROM findings f JOIN versions v ON v.id = f.version_id WHERE f.id = ?)
SELECT a.id, CASE WHEN a.thread_ts != '' THEN a.thread_ts ELSE a.message_ts END, f.article_id, me.article_id,
	EXISTS (SELECT 1 FROM findings mine
		JOIN findings earlier ON earlier.finding_key = mine.finding_key AND earlier.article_id = mine.article_id AND earlier.id != mine.id
		JOIN alerts sent ON sent.finding_id = earlier.id
		WHERE mine.id = ? AND sent.channel = ? AND sent.status = 'sent' AND sent.kind = 'finding')
FROM alerts a
JOIN findings f ON f.id = a.finding_id
JOIN versions v ON v.id = f.version_id, me
WHERE a.channel = ? AND a.status = 'sent' AND a.id != ?
	AND (f.article_id = me.article_id OR (me.body_key IS NOT NULL AND v.body_key = me.body_key))
ORDER BY (f.article_id = me.article_id) DESC, a.id
LIMIT 1`, findingID, findingID, channel, channel, alertID).Scan(&th.RootAlertID, &th.RootTS, &rootArticle, &article, &th.Repeat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Thread{}, false, nil
	case err != nil:
		return Thread{}, false, fmt.Errorf("store: thread root for finding %d: %w", findingID, err)
	}
	th.SameArticle = rootArticle == article
	return th, true, nil
}

// ThreadSources lists the distinct sources of the alerts sent as the
// thread rooted at rootTS in channel, the root included.
func (s *DB) ThreadSources(ctx context.Context, channel, rootTS string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT DISTINCT ar.source
FROM alerts a JOIN findings f ON f.id = a.finding_id JOIN articles ar ON ar.id = f.article_id
WHERE a.channel = ? AND a.status = 'sent' AND (a.thread_ts = ? OR (a.thread_ts = '' AND a.message_ts = ?))
ORDER BY ar.source`, channel, rootTS, rootTS)
	if err != nil {
		return nil, fmt.Errorf("store: thread sources: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var src string
		if err := rows.Scan(&src); err != nil {
			return nil, fmt.Errorf("store: thread sources: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// SetVerdict records staff's verdict on a finding: appended to its
// history, and the finding's latest verdict.
func (s *DB) SetVerdict(ctx context.Context, findingID int64, v Verdict) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO verdict_history (finding_id, verdict, "user", team, at) VALUES (?, ?, ?, ?, ?)`,
			findingID, v.Verdict, v.User, v.Team, ts(v.At)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
INSERT INTO verdicts (finding_id, verdict, "user", team, at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (finding_id) DO UPDATE SET verdict = excluded.verdict, "user" = excluded."user", team = excluded.team, at = excluded.at`,
			findingID, v.Verdict, v.User, v.Team, ts(v.At))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: verdict on finding %d: %w", findingID, err)
	}
	return nil
}

// Verdict returns the latest verdict on a finding, if any.
func (s *DB) Verdict(ctx context.Context, findingID int64) (Verdict, bool, error) {
	var v Verdict
	err := s.db.QueryRowContext(ctx, `SELECT verdict, "user", team, at FROM verdicts WHERE finding_id = ?`, findingID).
		Scan(&v.Verdict, &v.User, &v.Team, timeDest{&v.At})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Verdict{}, false, nil
	case err != nil:
		return Verdict{}, false, fmt.Errorf("store: verdict on finding %d: %w", findingID, err)
	}
	return v, true, nil
}

// VerdictHistory returns every verdict given on a finding, oldest first.
func (s *DB) VerdictHistory(ctx context.Context, findingID int64) ([]Verdict, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT verdict, "user", team, at FROM verdict_history WHERE finding_id = ? ORDER BY id`, findingID)
	if err != nil {
		return nil, fmt.Errorf("store: verdict history of finding %d: %w", findingID, err)
	}
	defer rows.Close()
	var out []Verdict
	for rows.Next() {
		var v Verdict
		if err := rows.Scan(&v.Verdict, &v.User, &v.Team, timeDest{&v.At}); err != nil {
			return nil, fmt.Errorf("store: verdict history of finding %d: %w", findingID, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MarkAlertRetry records a failed attempt and when to try again.
func (s *DB) MarkAlertRetry(ctx context.Context, id int64, errText string, next time.Time) error {
	if next.IsZero() {
		// A pending alert with no next try would never be due again.
		return fmt.Errorf("store: mark alert %d retry: zero next time", id)
	}
	return markAlert(ctx, s.db, id, "retry", `
UPDATE alerts SET attempts = attempts + 1, last_error = ?, next_try_at = ?`,
		errText, ts(next))
}

// MarkAlertFailed records a permanent failure; the alert stays in Alerts.
func (s *DB) MarkAlertFailed(ctx context.Context, id int64, errText string, at time.Time) error {
	return markAlert(ctx, s.db, id, "failed", `
UPDATE alerts SET status = 'failed', attempts = attempts + 1, last_error = ?, failed_at = ?, next_try_at = NULL`,
		errText, ts(at))
}

// markAlert runs update on alert id if it is still pending: an outcome
// once recorded is final.
func markAlert(ctx context.Context, db execQuerier, id int64, what, update string, args ...any) error {
	r, err := db.ExecContext(ctx, update+` WHERE id = ? AND status = 'pending'`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("store: mark alert %d %s: %w", id, what, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: mark alert %d %s: %w", id, what, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing updated: say why, for the caller to decide.
	var status string
	err = db.QueryRowContext(ctx, `SELECT status FROM alerts WHERE id = ?`, id).Scan(&status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: mark alert %d %s: %w", id, what, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: mark alert %d %s: %w", id, what, err)
	}
	return fmt.Errorf("store: mark alert %d %s: status %s: %w", id, what, status, ErrNotPending)
}

// FindingsOfRule returns the stored findings of one rule, oldest first.
func (s *DB) FindingsOfRule(ctx context.Context, rule string) ([]StoredFinding, error) {
	out, err := queryFindings(ctx, s.db, `WHERE f.rule = ?`, rule)
	if err != nil {
		return nil, fmt.Errorf("store: findings of rule %q: %w", rule, err)
	}
	return out, nil
}
