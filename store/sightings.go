package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// batchSizes is how many sizes of batch INSERT there are: 1, 2, 4, … 64
// rows (18 values a version row, well within both databases' limits). A
// batch is cut into the largest that fit, most of a poll in one or two.
const batchSizes = 7

// saveSightings records a poll's sightings in order, as saveArticle would
// one by one, up to the limit-th new or changed article, and returns a
// result and the stored first-seen time for each article it went
// through. What the statements cost is mostly the statements themselves
// (the driver, database/sql), not SQLite's work in them, so the articles
// are looked up in one or two reads, and new articles and their first
// versions are inserted a batch at a time: about four statements for a
// poll of new items instead of three an item. Ids come out as one by one:
// a batch is written before anything else is.
//
// A long feed is taken seenBatch items at a time: the lookups need not
// cover what the limit leaves out, and each chunk is written before the
// next is looked up, so a later chunk sees what an earlier one stored.
func (s *DB) saveSightings(ctx context.Context, tx *txn, as []*article.Article, fetch Fetch, limit int) ([]SaveResult, []time.Time, error) {
	sv := sightings{s: s, tx: tx, as: as, fetch: fetch, limit: limit,
		out: make([]SaveResult, 0, len(as)), firstSeen: make([]time.Time, 0, len(as))}
	for start := 0; start < len(as) && !sv.full(); start += seenBatch {
		if err := sv.save(ctx, start, min(start+seenBatch, len(as))); err != nil {
			return nil, nil, err
		}
	}
	return sv.out, sv.firstSeen, nil
}

// sightings is one SaveArticles call's progress: out[i] and firstSeen[i]
// are as[i]'s.
type sightings struct {
	s         *DB
	tx        *txn
	as        []*article.Article
	fetch     Fetch
	limit     int
	out       []SaveResult
	firstSeen []time.Time
	changed   int   // new or changed articles so far
	pending   []int // indexes of new articles not yet inserted
}

func (sv *sightings) full() bool { return sv.limit > 0 && sv.changed >= sv.limit }

// save records as[start:end]. A chunk that lists one GUID or one URL
// twice is saved one by one: the second sighting must see what the first
// wrote.
func (sv *sightings) save(ctx context.Context, start, end int) error {
	chunk := sv.as[start:end]
	if repeatsKey(chunk) {
		for _, a := range chunk {
			if sv.full() {
				break
			}
			res, first, err := sv.s.saveArticle(ctx, sv.tx, a, sv.fetch)
			if err != nil {
				return fmt.Errorf("save article %q: %w", a.URL, err)
			}
			sv.add(res, first)
		}
		return nil
	}
	stored, err := sv.s.findArticles(ctx, sv.tx, chunk)
	if err != nil {
		return fmt.Errorf("find articles: %w", err)
	}
	for j, a := range chunk {
		if sv.full() {
			break
		}
		found, ok := stored[j]
		if !ok && (a.GUID != "" || normalizeURL(a.URL) != "") {
			sv.pending = append(sv.pending, start+j)
			sv.add(SaveResult{New: true, Changed: true, Version: 1}, sightingTime(a, sv.fetch).UTC())
			continue
		}
		// Anything else is written after the batch before it, so that
		// ids follow the poll's order.
		if err := sv.flush(ctx); err != nil {
			return err
		}
		res, first, err := sv.s.saveFound(ctx, sv.tx, a, sv.fetch, found.id, found.first, ok)
		if err != nil {
			return fmt.Errorf("save article %q: %w", a.URL, err)
		}
		sv.add(res, first)
	}
	return sv.flush(ctx)
}

func (sv *sightings) add(res SaveResult, first time.Time) {
	sv.out, sv.firstSeen = append(sv.out, res), append(sv.firstSeen, first)
	if res.Changed {
		sv.changed++
	}
}

// flush inserts the pending new articles and fills in their ids.
func (sv *sightings) flush(ctx context.Context) error {
	if len(sv.pending) == 0 {
		return nil
	}
	err := sv.s.insertNew(ctx, sv.tx, sv.as, sv.pending, sv.fetch, sv.out)
	sv.pending = sv.pending[:0]
	return err
}

// repeatsKey tells whether two of as share a GUID or a normalised URL.
func repeatsKey(as []*article.Article) bool {
	seen := make(map[string]bool, 2*len(as))
	for _, a := range as {
		for _, k := range []string{"g" + a.GUID, "u" + normalizeURL(a.URL)} {
			if len(k) == 1 {
				continue
			}
			if seen[k] {
				return true
			}
			seen[k] = true
		}
	}
	return false
}

type foundArticle struct {
	id    int64
	first time.Time
}

// findArticles looks up a source's articles as findArticle does, one by
// one (by GUID; by normalised URL when the article has no GUID or its GUID
// is its URL, the oldest such article), in a few reads, and returns the
// stored article of each index of as that has one.
func (s *DB) findArticles(ctx context.Context, tx *txn, as []*article.Article) (map[int]foundArticle, error) {
	source := as[0].Source
	byGUID, err := articlesByKey(ctx, tx, s.articlesByGUID, source, uniqueKeys(as, func(a *article.Article) string { return a.GUID }))
	if err != nil {
		return nil, err
	}
	var norms []string
	for _, a := range as {
		if _, found := byGUID[a.GUID]; a.GUID == "" || !found && a.GUID == a.URL {
			norms = append(norms, normalizeURL(a.URL))
		}
	}
	byURL, err := articlesByKey(ctx, tx, s.articlesByURL, source, uniqueKeys(nil, nil, norms...))
	if err != nil {
		return nil, err
	}
	out := make(map[int]foundArticle, len(as))
	for i, a := range as {
		f, found := byGUID[a.GUID]
		if !found && (a.GUID == "" || a.GUID == a.URL) {
			if norm := normalizeURL(a.URL); norm != "" {
				f, found = byURL[norm]
			}
		}
		if found {
			out[i] = f
		}
	}
	return out, nil
}

// articlesByKeySQL finds a source's articles by the values of column
// (guid or url_norm, a constant, never input) in a JSON array.
func articlesByKeySQL(d *dialect, column string) string {
	return `SELECT ` + column + `, id, first_seen_at FROM articles WHERE source = ? AND ` + d.inJSON(column, false) + ` ORDER BY id`
}

// articlesByKey maps each of keys to the oldest stored article of source
// with it, by the prepared lookup st (articlesByGUID or articlesByURL).
func articlesByKey(ctx context.Context, tx *txn, st *sql.Stmt, source string, keys []string) (map[string]foundArticle, error) {
	out := make(map[string]foundArticle, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, source, string(list))
	if err != nil {
		return nil, err
	}
	err = scanEach(rows, func(r *sql.Rows) error {
		var key string
		var f foundArticle
		if err := r.Scan(&key, &f.id, timeDest{&f.first}); err != nil {
			return err
		}
		if _, dup := out[key]; !dup { // oldest first, as findArticle
			out[key] = f
		}
		return nil
	})
	return out, err
}

// insertNew inserts the new articles of as at the indexes pending, and
// their first versions, a batch of rows a statement, and fills in their
// ids in out (same indexes). Their keys are distinct (see repeatsKey), and
// each has a GUID or a URL: the rows returned are told apart by them.
func (s *DB) insertNew(ctx context.Context, tx *txn, as []*article.Article, pending []int, fetch Fetch, out []SaveResult) error {
	for start := 0; start < len(pending); {
		k := min(bits.Len(uint(len(pending)-start))-1, batchSizes-1)
		chunk := pending[start : start+1<<k]
		start += len(chunk)
		args := make([]any, 0, 7*len(chunk))
		byKey := make(map[string]int, len(chunk))
		for _, i := range chunk {
			args = articleValues(args, as[i], fetch)
			byKey[articleKey(as[i].GUID, normalizeURL(as[i].URL))] = i
		}
		rows, err := tx.StmtContext(ctx, s.insertArticles[k]).QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("insert %d articles: %w", len(chunk), err)
		}
		byArticle := make(map[int64]int, len(chunk))
		err = scanEach(rows, func(r *sql.Rows) error {
			var id int64
			var guid, norm string
			if err := r.Scan(&id, &guid, &norm); err != nil {
				return err
			}
			i, ok := byKey[articleKey(guid, norm)]
			if !ok {
				return fmt.Errorf("inserted article %d (guid %q, url %q) is none of the batch's", id, guid, norm)
			}
			out[i].ArticleID = id
			byArticle[id] = i
			return nil
		})
		if err != nil {
			return fmt.Errorf("insert %d articles: %w", len(chunk), err)
		}
		if len(byArticle) != len(chunk) {
			return fmt.Errorf("insert %d articles: %d ids returned", len(chunk), len(byArticle))
		}
		args = make([]any, 0, 18*len(chunk))
		for _, i := range chunk {
			args = versionValues(args, as[i], fetch, out[i].ArticleID, 1, textSHA256(as[i]), "")
		}
		rows, err = tx.StmtContext(ctx, s.insertVersions[k]).QueryContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("insert %d versions: %w", len(chunk), err)
		}
		n := 0
		err = scanEach(rows, func(r *sql.Rows) error {
			var id, articleID int64
			if err := r.Scan(&id, &articleID); err != nil {
				return err
			}
			i, ok := byArticle[articleID]
			if !ok {
				return fmt.Errorf("inserted version %d is of article %d, none of the batch's", id, articleID)
			}
			out[i].VersionID = id
			n++
			return nil
		})
		if err != nil {
			return fmt.Errorf("insert %d versions: %w", len(chunk), err)
		}
		if n != len(chunk) {
			return fmt.Errorf("insert %d versions: %d ids returned", len(chunk), n)
		}
	}
	return nil
}

// insertArticlesSQL inserts rows new articles and returns their ids and
// keys.
func insertArticlesSQL(rows int) string {
	return `INSERT INTO ` + articleColumns + ` VALUES ` + placeholders(rows, articleRow) + `
RETURNING id, COALESCE(guid, ''), COALESCE(url_norm, '')`
}

// insertVersionsSQL inserts rows first versions and returns their ids and
// articles.
func insertVersionsSQL(rows int) string {
	return `INSERT INTO ` + versionColumns + ` VALUES ` + placeholders(rows, versionRow) + `
RETURNING id, article_id`
}

// articleKey is what tells a batch's new articles apart: the GUID, else
// the normalised URL.
func articleKey(guid, norm string) string {
	if guid != "" {
		return "g" + guid
	}
	return "u" + norm
}

// placeholders repeats a row of placeholders n times, comma-separated.
func placeholders(n int, row string) string {
	return row + strings.Repeat(", "+row, n-1)
}

// scanEach calls f on each row, then closes the rows.
func scanEach(rows *sql.Rows, f func(*sql.Rows) error) error {
	for rows.Next() {
		if err := f(rows); err != nil {
			rows.Close()
			return err
		}
	}
	return errors.Join(rows.Close(), rows.Err())
}
