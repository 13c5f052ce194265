package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/textmatch"
)

// Version is a stored article version awaiting or past evaluation.
type Version struct {
	ArticleID int64
	VersionID int64
	Version   int
	Article   article.Article
}

// SaveResult says what SaveArticle did.
type SaveResult struct {
	ArticleID int64
	VersionID int64
	Version   int  // 1 for the first version
	New       bool // the article was not known
	Changed   bool // a new version was stored (true for a new article too)
}

// Fetch describes the response an article version came from.
type Fetch struct {
	URL        string
	SHA256     [32]byte // of the response body
	FetchedAt  time.Time
	ResponseID int64  // the stored response, 0 when not kept
	Extractor  string // what produced the text: "feed", "trafilatura", …
	TimesFrom  string // where the publication time came from
	// OnlyNew records a first sighting only: a known article is left as
	// it is (its page, not the feed's teaser, is its text), its last fetch
	// time included, since its page was not fetched.
	OnlyNew bool
}

const articleByGUIDSQL = `SELECT id, first_seen_at FROM articles WHERE source = ? AND guid = ?`

// Oldest first: should two articles share a normalised URL (one had a
// GUID, one did not), the first stays the one URL sightings attach to.
const articleByURLSQL = `
SELECT id, first_seen_at FROM articles WHERE source = ? AND url_norm = ? ORDER BY id LIMIT 1`

const latestVersionSQL = `
SELECT id, version, text_sha256, content, summary FROM versions WHERE article_id = ? ORDER BY version DESC LIMIT 1`

const touchArticleSQL = `UPDATE articles SET last_fetch_at = ? WHERE id = ?`

// The INSERTs of an article and of a version, one row (SaveArticle) or a
// batch (insertNew), share their columns, rows and values.
const (
	articleColumns = `articles (source, source_url, guid, url_norm, url, first_seen_at, last_fetch_at)`
	articleRow     = `(?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?)`
	versionColumns = `versions (article_id, version, title, author, summary, content, language,
	published_at, updated_at, text_sha256, fetch_sha256, fetch_url, fetched_at, body_key,
	response_id, diff, extractor, times_from)`
	versionRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(CAST(? AS BIGINT), 0), ?, ?, ?)`

	insertArticleSQL = `INSERT INTO ` + articleColumns + ` VALUES ` + articleRow + ` RETURNING id`
	insertVersionSQL = `INSERT INTO ` + versionColumns + ` VALUES ` + versionRow + ` RETURNING id`
)

// articleValues appends an article's values, in articleRow's order.
func articleValues(args []any, a *article.Article, fetch Fetch) []any {
	seen := ts(sightingTime(a, fetch))
	return append(args, a.Source, a.SourceURL, a.GUID, normalizeURL(a.URL), a.URL, seen, seen)
}

// versionValues appends a version's values, in versionRow's order.
// sum is textSHA256(a).
func versionValues(args []any, a *article.Article, fetch Fetch, articleID int64, version int, sum, diff string) []any {
	var fetchSum any // NULL when the caller has no body hash (an ad-hoc check)
	if fetch.SHA256 != ([32]byte{}) {
		fetchSum = hex.EncodeToString(fetch.SHA256[:])
	}
	return append(args, articleID, version, a.Title, a.Author, a.Summary, a.Content, a.Language, ts(a.PublishedAt), ts(a.UpdatedAt),
		sum, fetchSum, fetch.URL, ts(fetch.FetchedAt), bodyKey(a), fetch.ResponseID, diff, fetch.Extractor, fetch.TimesFrom)
}

// SaveArticle records a sighting of a, in one transaction. The article is
// found by GUID within its source; when it has no GUID, or its GUID is
// only its URL (what the crawler uses when a feed gives none), by
// normalised URL. A version is added only when the hash of title,
// summary and content differs from the latest version's.
//
// The first sighting's time is fetch.FetchedAt (a.FirstSeenAt when that
// is zero), and SaveArticle sets a.FirstSeenAt to the stored first-seen
// time: a re-seen article must be evaluated with the time silencewatch
// first saw it, not the time of this poll.
func (s *DB) SaveArticle(ctx context.Context, a *article.Article, fetch Fetch) (SaveResult, error) {
	res, err := s.SaveArticles(ctx, []*article.Article{a}, fetch, 0)
	if err != nil {
		return SaveResult{}, err
	}
	return res[0], nil
}

// SaveArticles records one response's sightings as SaveArticle would one
// by one, in order, but in one transaction: a commit writes every page it
// changed, and a feed's items share most of theirs, so a poll's articles
// cost about one commit instead of one each (commits were half of a
// first poll's CPU).
//
// It stops after the limit-th article that is new or changed (limit <= 0:
// no limit); the articles after it are neither stored nor touched. It
// returns one result for each article it went through, a prefix of as.
// When an article cannot be stored for what it holds (a time outside
// 0000-9999, no time at all), the ones before it are still saved: their
// results come back with the error, which names the article. Any other
// error stores nothing and returns no result.
func (s *DB) SaveArticles(ctx context.Context, as []*article.Article, fetch Fetch, limit int) ([]SaveResult, error) {
	valid, badErr := len(as), error(nil)
	for i, a := range as {
		if a.Source != as[0].Source {
			return nil, fmt.Errorf("store: save articles: %q is of source %q, not %q: one source a call", a.URL, a.Source, as[0].Source)
		}
		if err := checkSighting(a, fetch); err != nil {
			valid, badErr = i, fmt.Errorf("store: save article %q: %w", a.URL, err)
			break
		}
	}
	var (
		out       []SaveResult
		firstSeen []time.Time
	)
	if valid > 0 {
		err := s.inTx(ctx, func(tx *txn) error {
			if err := tx.lockKey(ctx, lockArticles, as[0].Source); err != nil {
				return fmt.Errorf("lock source %q: %w", as[0].Source, err)
			}
			var err error
			out, firstSeen, err = s.saveSightings(ctx, tx, as[:valid], fetch, limit)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	for i := range out {
		as[i].FirstSeenAt = firstSeen[i]
	}
	if badErr != nil && len(out) == valid {
		return out, badErr
	}
	return out, nil
}

// indexBatch is how many queued versions IndexText adds to the
// full-text index a transaction: a few hundred kilobytes of text, so the
// store's one writer is not held for long.
const indexBatch = 500

// IndexText adds the versions stored since the last call to SQLite's
// full-text index (the review's search), a batch a transaction, and
// returns how many it added. Versions are queued as they are stored
// rather than indexed there: FTS5 writes out an index segment at every
// commit, and merges them as they pile up, which cost a sixth of a
// new-content poll's CPU. A text search calls it first, so the search
// never misses a version; the monitor calls it every few seconds so that
// the queue stays short. PostgreSQL's tsvector is computed in the row's
// own INSERT: nothing to do there.
func (s *DB) IndexText(ctx context.Context) (int, error) {
	if s.db.d.postgres {
		return 0, nil
	}
	// Most calls find nothing queued: a read says so without taking the
	// write lock.
	var queued bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM versions_fts_pending)`).Scan(&queued); err != nil {
		return 0, fmt.Errorf("store: full-text index: %w", err)
	}
	if !queued {
		return 0, nil
	}
	total := 0
	for {
		var n int64
		err := s.inTx(ctx, func(tx *txn) error {
			// The batch is read inside the write transaction: SQLite has
			// one writer, so no version can be queued meanwhile.
			res, err := tx.ExecContext(ctx, `INSERT INTO versions_fts (rowid, title, summary, content)
SELECT v.id, v.title, v.summary, v.content FROM versions v
WHERE v.id IN (SELECT version_id FROM versions_fts_pending ORDER BY version_id LIMIT ?)`, indexBatch)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM versions_fts_pending
WHERE version_id IN (SELECT version_id FROM versions_fts_pending ORDER BY version_id LIMIT ?)`, indexBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: full-text index: %w", err)
		}
		total += int(n)
		if n < indexBatch {
			return total, nil
		}
	}
}

// checkSighting refuses what SaveArticle cannot store, before anything is
// written.
func checkSighting(a *article.Article, fetch Fetch) error {
	seen := sightingTime(a, fetch)
	if seen.IsZero() {
		return errors.New("no fetch or first-seen time")
	}
	for _, c := range []struct {
		name string
		t    time.Time
	}{{"published_at", a.PublishedAt}, {"updated_at", a.UpdatedAt}, {"fetched_at", seen}} {
		if err := checkTime(c.name, c.t); err != nil {
			return err
		}
	}
	return nil
}

func sightingTime(a *article.Article, fetch Fetch) time.Time {
	if fetch.FetchedAt.IsZero() {
		return a.FirstSeenAt
	}
	return fetch.FetchedAt
}

// saveArticle is one sighting within SaveArticles' transaction; it
// returns the stored first-seen time, set on the article once the
// transaction commits.
func (s *DB) saveArticle(ctx context.Context, tx *txn, a *article.Article, fetch Fetch) (SaveResult, time.Time, error) {
	id, first, err := s.findArticle(ctx, tx, a, normalizeURL(a.URL))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return SaveResult{}, time.Time{}, fmt.Errorf("find article: %w", err)
	}
	return s.saveFound(ctx, tx, a, fetch, id, first, err == nil)
}

// saveFound is saveArticle once the article was looked for: id and first
// are the stored article's when found.
func (s *DB) saveFound(ctx context.Context, tx *txn, a *article.Article, fetch Fetch, id int64, first time.Time, found bool) (SaveResult, time.Time, error) {
	seen := sightingTime(a, fetch)
	sum := textSHA256(a)
	var (
		res       SaveResult
		firstSeen time.Time
		diff      string
	)
	switch {
	case !found:
		err := tx.StmtContext(ctx, s.insertArticle).QueryRowContext(ctx, articleValues(nil, a, fetch)...).Scan(&id)
		if err != nil {
			return res, firstSeen, fmt.Errorf("insert article: %w", err)
		}
		res = SaveResult{ArticleID: id, New: true}
		firstSeen = seen.UTC()
	default:
		res.ArticleID, firstSeen = id, first
		var last, lastContent, lastSummary string
		err := tx.StmtContext(ctx, s.latestVersion).QueryRowContext(ctx, id).
			Scan(&res.VersionID, &res.Version, &last, &lastContent, &lastSummary)
		if err != nil {
			return res, firstSeen, fmt.Errorf("latest version of article %d: %w", id, err)
		}
		// A feed listing a full-text article (OnlyNew) did not fetch
		// its page: touching it would put off the page's revisit for
		// as long as the feed is polled more often than revisit_every.
		if !fetch.OnlyNew {
			if _, err := tx.StmtContext(ctx, s.touchArticle).ExecContext(ctx, ts(seen), id); err != nil {
				return res, firstSeen, fmt.Errorf("touch article %d: %w", id, err)
			}
		}
		if last == sum || fetch.OnlyNew {
			return res, firstSeen, nil // seen again, unchanged (or not to be compared): nothing to write
		}
		diff = article.WordDiff(lastSummary+"\n\n"+lastContent, a.Summary+"\n\n"+a.Content)
	}
	res.Version++
	res.Changed = true
	err := tx.StmtContext(ctx, s.insertVersion).QueryRowContext(ctx, versionValues(nil, a, fetch, res.ArticleID, res.Version, sum, diff)...).
		Scan(&res.VersionID)
	if err != nil {
		return res, firstSeen, fmt.Errorf("insert version %d of article %d: %w", res.Version, res.ArticleID, err)
	}
	return res, firstSeen, nil
}

// findArticle returns the id and first-seen time of a's stored article,
// or sql.ErrNoRows.
func (s *DB) findArticle(ctx context.Context, tx *txn, a *article.Article, norm string) (int64, time.Time, error) {
	var (
		id    int64
		first time.Time
	)
	if a.GUID != "" {
		err := tx.StmtContext(ctx, s.articleByGUID).QueryRowContext(ctx, a.Source, a.GUID).Scan(&id, timeDest{&first})
		if !errors.Is(err, sql.ErrNoRows) || a.GUID != a.URL {
			return id, first, err
		}
	}
	if norm == "" {
		// Neither GUID nor URL: nothing to deduplicate by.
		return 0, time.Time{}, sql.ErrNoRows
	}
	err := tx.StmtContext(ctx, s.articleByURL).QueryRowContext(ctx, a.Source, norm).Scan(&id, timeDest{&first})
	return id, first, err
}

// minBodyWords is the length below which a body does not identify a
// story: teasers such as "Lire la suite" are shared by unrelated items.
const minBodyWords = 30

// bodyKey identifies a story's text across outlets: the SHA-256 of the
// normalised content (else summary), so that the same wire copy at two
// outlets groups under one alert. "" when too short to mean anything.
func bodyKey(a *article.Article) string {
	body := a.Content
	if body == "" {
		body = a.Summary
	}
	norm := textmatch.String(body, true)
	if len(strings.Fields(norm)) < minBodyWords {
		return ""
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:])
}

// textSHA256 hashes the fields whose change makes a new version. Each is
// length-prefixed so that moving text between fields changes the hash.
func textSHA256(a *article.Article) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range []string{a.Title, a.Summary, a.Content} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

const unevaluatedSQL = `
SELECT v.id, v.article_id, v.version, a.source, a.source_url, a.url, COALESCE(a.guid, ''),
	v.title, v.author, v.summary, v.content, v.language, v.published_at, v.updated_at, a.first_seen_at
FROM versions v JOIN articles a ON a.id = v.article_id
WHERE v.evaluated_at IS NULL
ORDER BY v.id`

// VersionsSince lists every version fetched (or, for versions stored
// before fetch times were kept, whose article was first seen) at or after
// since (zero: all), oldest first, each with its article: what a
// backtest replays.
func (s *DB) VersionsSince(ctx context.Context, since time.Time) ([]Version, error) {
	from := ts(since)
	if since.IsZero() {
		from = ""
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT v.id, v.article_id, v.version, a.source, a.source_url, a.url, COALESCE(a.guid, ''),
	v.title, v.author, v.summary, v.content, v.language, v.published_at, v.updated_at, a.first_seen_at
FROM versions v JOIN articles a ON a.id = v.article_id
WHERE COALESCE(v.fetched_at, a.first_seen_at) >= ?
ORDER BY v.id`, from)
	if err != nil {
		return nil, fmt.Errorf("store: versions since %s: %w", ts(since), err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("store: versions since %s: %w", ts(since), err)
	}
	return out, nil
}

// UnevaluatedVersions lists versions not yet evaluated, oldest first, each
// with its article rebuilt from the stored fields.
func (s *DB) UnevaluatedVersions(ctx context.Context) ([]Version, error) {
	rows, err := s.db.QueryContext(ctx, unevaluatedSQL)
	if err != nil {
		return nil, fmt.Errorf("store: unevaluated versions: %w", err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("store: unevaluated versions: %w", err)
	}
	return out, nil
}

// scanVersions reads rows of (version id, article id, version, source,
// source url, url, guid, title, author, summary, content, language,
// published, updated, first seen) into versions with their articles.
func scanVersions(rows *sql.Rows) ([]Version, error) {
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		a := &v.Article
		if err := rows.Scan(&v.VersionID, &v.ArticleID, &v.Version, &a.Source, &a.SourceURL, &a.URL, &a.GUID,
			&a.Title, &a.Author, &a.Summary, &a.Content, &a.Language,
			timeDest{&a.PublishedAt}, timeDest{&a.UpdatedAt}, timeDest{&a.FirstSeenAt}); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
