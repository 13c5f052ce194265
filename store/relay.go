package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"
)

// RelayEdge is a stored relay: version To (of article ToArticle) reuses
// Words words of version From (of article FromArticle), From seen
// earlier. Spans are byte offsets into each version's field text.
type RelayEdge struct {
	ID                     int64
	FromVersion, ToVersion int64
	FromArticle, ToArticle int64 // filled in by SaveRelayEdges from the versions
	Words, Matched         int
	FromField              string
	FromStart, FromEnd     int
	ToField                string
	ToStart, ToEnd         int
	DetectedAt             time.Time
}

const insertRelaySQL = `
INSERT INTO relay_edges (from_version, from_article, to_version, to_article, words, matched,
	from_field, from_start, from_end, to_field, to_start, to_end, detected_at)
SELECT f.id, f.article_id, t.id, t.article_id, CAST(? AS INTEGER), CAST(? AS INTEGER),
	CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TEXT)
FROM versions f, versions t WHERE f.id = ? AND t.id = ?
ON CONFLICT (from_version, to_version, to_field, to_start) DO NOTHING`

// SaveRelayEdges records edges in one transaction; an edge already stored
// (same versions and start in To) is kept as it is. An edge naming a
// version that does not exist is an error wrapping ErrNotFound, and
// nothing is saved.
func (s *DB) SaveRelayEdges(ctx context.Context, edges []RelayEdge) error {
	if len(edges) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *txn) error {
		st, err := tx.PrepareContext(ctx, insertRelaySQL)
		if err != nil {
			return fmt.Errorf("store: relay edges: %w", err)
		}
		defer st.Close()
		for _, e := range edges {
			if e.DetectedAt.IsZero() || e.FromVersion == e.ToVersion {
				return fmt.Errorf("store: relay edge %d→%d: no detection time, or a version relaying itself", e.FromVersion, e.ToVersion)
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM versions WHERE id IN (?, ?)`, e.FromVersion, e.ToVersion).Scan(&n); err != nil {
				return fmt.Errorf("store: relay edge %d→%d: %w", e.FromVersion, e.ToVersion, err)
			}
			if n != 2 {
				return fmt.Errorf("store: relay edge %d→%d: version %w", e.FromVersion, e.ToVersion, ErrNotFound)
			}
			if _, err := st.ExecContext(ctx, e.Words, e.Matched, e.FromField, e.FromStart, e.FromEnd,
				e.ToField, e.ToStart, e.ToEnd, ts(e.DetectedAt), e.FromVersion, e.ToVersion); err != nil {
				return fmt.Errorf("store: relay edge %d→%d: %w", e.FromVersion, e.ToVersion, err)
			}
		}
		return nil
	})
}

// RelayEdges returns the edges detected at or after since (zero: all),
// oldest first.
func (s *DB) RelayEdges(ctx context.Context, since time.Time) ([]RelayEdge, error) {
	from := ts(since)
	if since.IsZero() {
		from = ""
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT id, from_version, from_article, to_version, to_article, words, matched,
	from_field, from_start, from_end, to_field, to_start, to_end, detected_at
FROM relay_edges WHERE detected_at >= ? ORDER BY id`, from)
	if err != nil {
		return nil, fmt.Errorf("store: relay edges: %w", err)
	}
	defer rows.Close()
	var out []RelayEdge
	for rows.Next() {
		var e RelayEdge
		if err := rows.Scan(&e.ID, &e.FromVersion, &e.FromArticle, &e.ToVersion, &e.ToArticle, &e.Words, &e.Matched,
			&e.FromField, &e.FromStart, &e.FromEnd, &e.ToField, &e.ToStart, &e.ToEnd, timeDest{&e.DetectedAt}); err != nil {
			return nil, fmt.Errorf("store: relay edges: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: relay edges: %w", err)
	}
	return out, nil
}

// RelayEnd is one end of a stored relay edge: the version and its
// article.
type RelayEnd struct {
	VersionID, ArticleID int64
	Source, URL          string
	Title                string    // the version's
	PublishedAt          time.Time // claimed by the outlet in that version; zero when none
	FirstSeenAt          time.Time
	FindingID            int64 // the first finding on that version; 0 when it has none
}

// VersionRelay is a stored relay edge with the articles at both ends.
type VersionRelay struct {
	RelayEdge
	From, To RelayEnd
}

// EdgesOfVersion returns the relay edges from or to a version (it
// reuses an earlier article's words, or a later one reuses its own),
// with both ends, in the order they were stored. A version without edges,
// or unknown, has none. It reads the edges through their articles'
// indexes.
func (s *DB) EdgesOfVersion(ctx context.Context, versionID int64) ([]VersionRelay, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT e.id, e.from_version, e.from_article, e.to_version, e.to_article, e.words, e.matched,
	e.from_field, e.from_start, e.from_end, e.to_field, e.to_start, e.to_end, e.detected_at,
	fa.source, fa.url, fv.title, fv.published_at, fa.first_seen_at,
	COALESCE((SELECT MIN(id) FROM findings WHERE version_id = e.from_version), 0),
	ta.source, ta.url, tv.title, tv.published_at, ta.first_seen_at,
	COALESCE((SELECT MIN(id) FROM findings WHERE version_id = e.to_version), 0)
FROM versions v
JOIN relay_edges e ON (e.from_article = v.article_id AND e.from_version = v.id) OR (e.to_article = v.article_id AND e.to_version = v.id)
JOIN versions fv ON fv.id = e.from_version
JOIN articles fa ON fa.id = e.from_article
JOIN versions tv ON tv.id = e.to_version
JOIN articles ta ON ta.id = e.to_article
WHERE v.id = ?
ORDER BY e.id`, versionID)
	if err != nil {
		return nil, fmt.Errorf("store: relay edges of version %d: %w", versionID, err)
	}
	defer rows.Close()
	var out []VersionRelay
	for rows.Next() {
		var r VersionRelay
		e := &r.RelayEdge
		if err := rows.Scan(&e.ID, &e.FromVersion, &e.FromArticle, &e.ToVersion, &e.ToArticle, &e.Words, &e.Matched,
			&e.FromField, &e.FromStart, &e.FromEnd, &e.ToField, &e.ToStart, &e.ToEnd, timeDest{&e.DetectedAt},
			&r.From.Source, &r.From.URL, &r.From.Title, timeDest{&r.From.PublishedAt}, timeDest{&r.From.FirstSeenAt}, &r.From.FindingID,
			&r.To.Source, &r.To.URL, &r.To.Title, timeDest{&r.To.PublishedAt}, timeDest{&r.To.FirstSeenAt}, &r.To.FindingID); err != nil {
			return nil, fmt.Errorf("store: relay edges of version %d: %w", versionID, err)
		}
		r.From.VersionID, r.From.ArticleID = e.FromVersion, e.FromArticle
		r.To.VersionID, r.To.ArticleID = e.ToVersion, e.ToArticle
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: relay edges of version %d: %w", versionID, err)
	}
	return out, nil
}

// lockRelay is the advisory lock (first key) of relay detection in a
// store shared by several processes.
const lockRelay int64 = 0x5357_0002

// WithRelayLock runs f while holding the store-wide relay lock, so that
// processes sharing a PostgreSQL store show versions to relay detection
// one at a time, in one order (RecordRelayObserved). On PostgreSQL it is a
// session advisory lock on a connection of its own; SQLite has one
// process, and f simply runs.
func (s *DB) WithRelayLock(ctx context.Context, f func() error) error {
	if !s.db.d.postgres {
		return f()
	}
	c, err := s.db.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: relay lock: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockRelay); err != nil {
		return fmt.Errorf("store: relay lock: %w", err)
	}
	err = f()
	if _, uerr := c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockRelay); uerr != nil {
		// The session must end for the lock to go: drop the connection.
		c.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// RecordRelayObserved appends a version to the log of versions shown to
// relay detection, observed at at, and returns its place in it. Call it
// holding the relay lock.
func (s *DB) RecordRelayObserved(ctx context.Context, versionID int64, at time.Time) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO relay_observed (version_id, observed_at) VALUES (?, ?) RETURNING seq`, versionID, ts(at)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("store: relay log, version %d: %w", versionID, err)
	}
	return seq, nil
}

// RelayObservedAfter lists the versions shown to relay detection after
// place seq of the log, in its order, with their articles, and the last
// place read (seq when there is none).
func (s *DB) RelayObservedAfter(ctx context.Context, seq int64) ([]Version, int64, error) {
	last, err := s.RelayObservedLast(ctx)
	if err != nil {
		return nil, seq, err
	}
	if last <= seq {
		return nil, seq, nil
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT v.id, v.article_id, v.version, a.source, a.source_url, a.url, COALESCE(a.guid, ''),
	v.title, v.author, v.summary, v.content, v.language, v.published_at, v.updated_at, a.first_seen_at
FROM relay_observed o JOIN versions v ON v.id = o.version_id JOIN articles a ON a.id = v.article_id
WHERE o.seq > ? AND o.seq <= ?
ORDER BY o.seq`, seq, last)
	if err != nil {
		return nil, seq, fmt.Errorf("store: relay log: %w", err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, seq, fmt.Errorf("store: relay log: %w", err)
	}
	return out, last, nil
}

// RelayObservedLast returns the last place in the relay log (0: empty).
func (s *DB) RelayObservedLast(ctx context.Context) (int64, error) {
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM relay_observed`).Scan(&last); err != nil {
		return 0, fmt.Errorf("store: relay log: %w", err)
	}
	return last, nil
}

// PruneRelayObserved drops the relay log up to its last version observed
// before cutoff (relay.window ago): those versions are outside every
// process's index, so a process reading the log after a place before
// them loses nothing. It returns how many places it dropped.
func (s *DB) PruneRelayObserved(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `
DELETE FROM relay_observed
WHERE seq <= (SELECT MAX(seq) FROM relay_observed WHERE observed_at < ?)`, ts(cutoff))
	if err != nil {
		return 0, fmt.Errorf("store: prune relay log: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
