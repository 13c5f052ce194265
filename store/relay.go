package store

import (
	"context"
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
