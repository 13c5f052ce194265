package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// seenBatch is how many keys one lookup of SeenUnchanged carries.
const seenBatch = 500

// SeenUnchanged tells, for each of a source's articles, the id of its
// stored article when SaveArticle would find nothing to write (stored
// with the same text, or at all with onlyNew), else 0: new or changed. It
// finds articles as SaveArticle does (by GUID; by normalised URL when the
// article has no GUID or its GUID is its URL) in a few batched reads, and
// writes nothing.
func (s *DB) SeenUnchanged(ctx context.Context, source string, as []*article.Article, onlyNew bool) ([]int64, error) {
	byGUID, err := s.latestByKey(ctx, source, "guid", uniqueKeys(as, func(a *article.Article) string { return a.GUID }))
	if err != nil {
		return nil, fmt.Errorf("store: seen articles of %q: %w", source, err)
	}
	var norms []string
	for _, a := range as {
		if _, found := byGUID[a.GUID]; (a.GUID == "" || !found && a.GUID == a.URL) && a.URL != "" {
			norms = append(norms, normalizeURL(a.URL))
		}
	}
	byURL, err := s.latestByKey(ctx, source, "url_norm", uniqueKeys(nil, nil, norms...))
	if err != nil {
		return nil, fmt.Errorf("store: seen articles of %q: %w", source, err)
	}
	out := make([]int64, len(as))
	for i, a := range as {
		st, found := byGUID[a.GUID]
		if !found && (a.GUID == "" || a.GUID == a.URL) {
			if norm := normalizeURL(a.URL); norm != "" {
				st, found = byURL[norm]
			}
		}
		if found && (onlyNew || st.sum == textSHA256(a)) {
			out[i] = st.id
		}
	}
	return out, nil
}

type storedText struct {
	id  int64
	sum string // text hash of the latest version
}

// latestByKey maps each value of column (guid or url_norm) among keys to
// the first stored article of source with it and its latest text hash.
func (s *DB) latestByKey(ctx context.Context, source, column string, keys []string) (map[string]storedText, error) {
	out := make(map[string]storedText, len(keys))
	for start := 0; start < len(keys); start += seenBatch {
		chunk := keys[start:min(start+seenBatch, len(keys))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, source)
		for _, k := range chunk {
			args = append(args, k)
		}
		// column is one of two constants, never input.
		rows, err := s.db.QueryContext(ctx, `
SELECT a.`+column+`, a.id, (SELECT text_sha256 FROM versions WHERE article_id = a.id ORDER BY version DESC LIMIT 1)
FROM articles a WHERE a.source = ? AND a.`+column+` IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)
ORDER BY a.id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var key string
			var st storedText
			var sum sql.NullString
			if err := rows.Scan(&key, &st.id, &sum); err != nil {
				rows.Close()
				return nil, err
			}
			st.sum = sum.String
			if _, dup := out[key]; !dup { // oldest first, as findArticle
				out[key] = st
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// uniqueKeys lists the distinct non-empty keys of as (by key) and extra.
func uniqueKeys(as []*article.Article, key func(*article.Article) string, extra ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, a := range as {
		add(key(a))
	}
	for _, k := range extra {
		add(k)
	}
	return out
}

// idList returns the placeholders "(?, ?, …)" of ids, and the statement's
// arguments: lead, then ids. ids is not empty.
func idList(ids []int64, lead ...any) (string, []any) {
	args := make([]any, 0, len(lead)+len(ids))
	args = append(args, lead...)
	for _, id := range ids {
		args = append(args, id)
	}
	return `(?` + strings.Repeat(", ?", len(ids)-1) + `)`, args
}

// TouchArticles records that a feed listed these stored articles, unchanged,
// at at: what SaveArticle does for one article seen again, for many in one
// transaction.
func (s *DB) TouchArticles(ctx context.Context, ids []int64, at time.Time) error {
	err := s.inTx(ctx, func(tx *txn) error {
		for start := 0; start < len(ids); start += seenBatch {
			in, args := idList(ids[start:min(start+seenBatch, len(ids))], ts(at))
			if _, err := tx.ExecContext(ctx, `UPDATE articles SET last_fetch_at = ? WHERE id IN `+in, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: touch %d articles: %w", len(ids), err)
	}
	return nil
}
