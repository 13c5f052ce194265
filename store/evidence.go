package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/weburl"
)

// ArticleEvent is something that happened to an article: an edit of a
// flagged article, a deletion.
type ArticleEvent struct {
	ArticleID int64
	Kind      string
	Detail    string
	At        time.Time
}

// VersionInfo is a stored version's text and provenance.
type VersionInfo struct {
	VersionID, ArticleID int64
	Version              int
	Title, Summary       string
	Content              string
	Extractor, TimesFrom string
	Diff                 string
	ResponseID           int64 // 0 when the response was not kept
	FetchedAt            time.Time
}

// Response is a fetched HTTP response kept as evidence.
type Response struct {
	ID            int64
	Source        string
	Kind          string // "feed", "page", "sitemap"
	Method        string
	URL           string
	FinalURL      string
	RequestHeader http.Header
	Proto         string
	Status        int
	Header        http.Header
	// HeaderTruncated is how many bytes of the serialised headers the
	// store's cap (MaxHeaderBytes) dropped; 0 when they are complete. Read
	// back, such a Header also carries TruncatedHeader.
	HeaderTruncated int
	Body            []byte // raw, as received (decompressed transfer encoding); nil once pruned
	// Gzipped, when set, is Body gzipped (as the server sent it): stored
	// as it is instead of compressing Body again. Not read back.
	Gzipped   []byte
	BodySize  int
	SHA256    [32]byte
	FetchedAt time.Time
	Pruned    bool
}

// gzipWriters are reused: each holds several hundred KB of compression
// state, and a poll cycle saves thousands of responses, many at once.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

const insertResponseSQL = `
INSERT INTO responses (source, kind, method, url, final_url, request_headers, proto, status, headers, headers_gz, headers_truncated, body, body_size, sha256, fetched_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?, ?)
RETURNING id`

// SaveResponse records a fetched response with its raw body, compressed.
func (s *DB) SaveResponse(ctx context.Context, r Response) (int64, error) {
	body := r.Gzipped
	if body == nil {
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, err := zw.Write(r.Body)
		if err == nil {
			err = zw.Close()
		}
		gzipWriters.Put(zw)
		if err != nil {
			return 0, fmt.Errorf("store: compress response: %w", err)
		}
		body = buf.Bytes()
	}
	sum := r.SHA256
	if sum == ([32]byte{}) {
		sum = sha256.Sum256(r.Body)
	}
	reqH, _ := json.Marshal(withoutCredentials(r.RequestHeader))
	respH, dropped, err := encodeHeaders(r.Header)
	if err != nil {
		return 0, err
	}
	if dropped > 0 && s.OnHeadersTruncated != nil {
		s.OnHeadersTruncated(r.Source, r.URL, dropped)
	}
	method, proto := r.Method, r.Proto
	if method == "" {
		method = http.MethodGet
	}
	if proto == "" {
		proto = "HTTP/1.1"
	}
	var id int64
	err = s.insertResponse.QueryRowContext(ctx,
		r.Source, r.Kind, method, weburl.Redact(r.URL), weburl.Redact(r.FinalURL), string(reqH), proto, r.Status, respH, dropped, body,
		len(r.Body), hex.EncodeToString(sum[:]), ts(r.FetchedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: save response %s: %w", weburl.Redact(r.URL), err)
	}
	return id, nil
}

// ResponseByID returns a stored response, its body decompressed (nil when
// pruned).
func (s *DB) ResponseByID(ctx context.Context, id int64) (Response, error) {
	var r Response
	var reqH, respH, sum string
	var body, respGz []byte
	err := s.db.QueryRowContext(ctx, `
SELECT id, source, kind, method, url, final_url, request_headers, proto, status, headers, headers_gz, headers_truncated, body, body_size, sha256, fetched_at
FROM responses WHERE id = ?`, id).Scan(&r.ID, &r.Source, &r.Kind, &r.Method, &r.URL, &r.FinalURL, &reqH, &r.Proto,
		&r.Status, &respH, &respGz, &r.HeaderTruncated, &body, &r.BodySize, &sum, timeDest{&r.FetchedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Response{}, fmt.Errorf("store: response %d: %w", id, ErrNotFound)
	case err != nil:
		return Response{}, fmt.Errorf("store: response %d: %w", id, err)
	}
	json.Unmarshal([]byte(reqH), &r.RequestHeader)
	if r.Header, err = decodeHeaders(respH, respGz, r.HeaderTruncated); err != nil {
		return Response{}, fmt.Errorf("store: response %d: %w", id, err)
	}
	if raw, err := hex.DecodeString(sum); err == nil {
		copy(r.SHA256[:], raw)
	}
	if body != nil {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return Response{}, fmt.Errorf("store: response %d body: %w", id, err)
		}
		if r.Body, err = io.ReadAll(zr); err != nil {
			return Response{}, fmt.Errorf("store: response %d body: %w", id, err)
		}
	}
	r.Pruned = body == nil
	return r, nil
}

// PruneResponses drops the bodies of responses fetched before cutoff that
// no flagged article version depends on. It returns how many it pruned.
func (s *DB) PruneResponses(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `
UPDATE responses SET body = NULL
WHERE body IS NOT NULL AND fetched_at < ?
	AND id NOT IN (SELECT v.response_id FROM versions v JOIN findings f ON f.article_id = v.article_id
		WHERE v.response_id IS NOT NULL)`, ts(cutoff))
	if err != nil {
		return 0, fmt.Errorf("store: prune responses: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// IsVisited reports whether a site crawl already fetched key.
func (s *DB) IsVisited(ctx context.Context, source, key string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM visited WHERE source = ? AND key = ?`, source, key).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: visited %s: %w", key, err)
	}
	return true, nil
}

// MarkVisited records that a site crawl fetched key.
func (s *DB) MarkVisited(ctx context.Context, source, key string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO visited (source, key, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, source, key, ts(at))
	if err != nil {
		return fmt.Errorf("store: mark visited %s: %w", key, err)
	}
	return nil
}

// RevisitCandidates lists the latest version of a source's articles worth
// fetching again: flagged ones, and those first seen since recentSince,
// not gone, and not fetched since fetchedBefore; the flagged first.
func (s *DB) RevisitCandidates(ctx context.Context, source string, recentSince, fetchedBefore time.Time, limit int) ([]Version, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT v.id, v.article_id, v.version, a.source, a.source_url, a.url, COALESCE(a.guid, ''),
	v.title, v.author, v.summary, v.content, v.language, v.published_at, v.updated_at, a.first_seen_at
FROM articles a
JOIN versions v ON v.article_id = a.id AND v.version = (SELECT max(version) FROM versions WHERE article_id = a.id)
WHERE a.source = ? AND a.gone_at IS NULL AND a.url != ''
	AND (a.last_fetch_at IS NULL OR a.last_fetch_at < ?)
	AND (a.first_seen_at >= ? OR EXISTS (SELECT 1 FROM findings f WHERE f.article_id = a.id))
ORDER BY EXISTS (SELECT 1 FROM findings f WHERE f.article_id = a.id) DESC, a.first_seen_at DESC
LIMIT ?`, source, ts(fetchedBefore), ts(recentSince), limit)
	if err != nil {
		return nil, fmt.Errorf("store: revisit candidates: %w", err)
	}
	out, err := scanVersions(rows)
	if err != nil {
		return nil, fmt.Errorf("store: revisit candidates: %w", err)
	}
	return out, nil
}

// VersionFlagged reports whether a version has findings above info.
func (s *DB) VersionFlagged(ctx context.Context, versionID int64) (bool, error) {
	var flagged bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM findings WHERE version_id = ? AND severity != 'info')`, versionID).Scan(&flagged)
	if err != nil {
		return false, fmt.Errorf("store: version %d flagged: %w", versionID, err)
	}
	return flagged, nil
}

// TouchArticle records that an article was fetched (its page, or a feed
// listing it) without change.
func (s *DB) TouchArticle(ctx context.Context, articleID int64, at time.Time) error {
	_, err := s.touchArticle.ExecContext(ctx, ts(at), articleID)
	if err != nil {
		return fmt.Errorf("store: touch article %d: %w", articleID, err)
	}
	return nil
}

// ArticleGone records that an article's page answered 404 or 410. It
// reports whether this is the first time.
func (s *DB) ArticleGone(ctx context.Context, articleID int64, detail string, at time.Time) (bool, error) {
	first := false
	err := s.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE articles SET gone_at = ?, last_fetch_at = ? WHERE id = ? AND gone_at IS NULL`, ts(at), ts(at), articleID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if first = n == 1; !first {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO article_events (article_id, kind, detail, at) VALUES (?, 'deleted', ?, ?)`, articleID, detail, ts(at))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: article %d gone: %w", articleID, err)
	}
	return first, nil
}

// ArticleEvents lists an article's events, oldest first.
func (s *DB) ArticleEvents(ctx context.Context, articleID int64) ([]ArticleEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT article_id, kind, detail, at FROM article_events WHERE article_id = ? ORDER BY id`, articleID)
	if err != nil {
		return nil, fmt.Errorf("store: article events: %w", err)
	}
	defer rows.Close()
	var out []ArticleEvent
	for rows.Next() {
		var e ArticleEvent
		if err := rows.Scan(&e.ArticleID, &e.Kind, &e.Detail, timeDest{&e.At}); err != nil {
			return nil, fmt.Errorf("store: article events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// QueueArticleAlert queues an alert about a flagged article (an edit, a
// deletion) to every channel its findings were sent to, tied to its latest
// finding so it lands in that thread. It returns how many were queued;
// none when the article was never flagged. key makes it idempotent.
func (s *DB) QueueArticleAlert(ctx context.Context, articleID int64, kind, detail, key string, at time.Time) (int, error) {
	queued := 0
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO article_events (article_id, kind, detail, at)
			SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT) WHERE CAST(? AS TEXT) != 'deleted'`,
			articleID, kind, detail, ts(at), kind); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
INSERT INTO alerts (finding_id, channel, idem_key, status, next_try_at, created_at, kind, detail)
SELECT (SELECT max(f2.id) FROM findings f2 WHERE f2.article_id = ?), ch.channel,
	CAST(? AS TEXT) || '/' || ch.channel, 'pending', CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
FROM (SELECT DISTINCT a.channel FROM alerts a JOIN findings f ON f.id = a.finding_id WHERE f.article_id = ?) ch
WHERE true
ON CONFLICT (idem_key) DO NOTHING`, articleID, kind+":"+key, ts(at), ts(at), kind, detail, articleID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		queued = int(n)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue %s alert for article %d: %w", kind, articleID, err)
	}
	return queued, nil
}

// VersionInfo returns what export needs of a version beyond its finding:
// the texts, how they were produced, the diff and the response.
func (s *DB) VersionInfo(ctx context.Context, versionID int64) (VersionInfo, error) {
	var v VersionInfo
	var resp sql.NullInt64
	err := s.db.QueryRowContext(ctx, `
SELECT v.id, v.article_id, v.version, v.title, v.summary, v.content, v.extractor, v.times_from, v.diff, v.response_id, v.fetched_at
FROM versions v WHERE v.id = ?`, versionID).Scan(&v.VersionID, &v.ArticleID, &v.Version, &v.Title, &v.Summary, &v.Content,
		&v.Extractor, &v.TimesFrom, &v.Diff, &resp, timeDest{&v.FetchedAt})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return VersionInfo{}, fmt.Errorf("store: version %d: %w", versionID, ErrNotFound)
	case err != nil:
		return VersionInfo{}, fmt.Errorf("store: version %d: %w", versionID, err)
	}
	v.ResponseID = resp.Int64
	return v, nil
}

// LeakIndex returns the stored index of a leak: its corpus key, its
// serialised form and its stats (JSON). found is false when none is.
func (s *DB) LeakIndex(ctx context.Context, leak string) (key string, blob []byte, stats string, found bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT key, blob, stats FROM leak_indexes WHERE leak = ?`, leak).Scan(&key, &blob, &stats)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil, "", false, nil
	case err != nil:
		return "", nil, "", false, fmt.Errorf("store: leak index %s: %w", leak, err)
	}
	return key, blob, stats, true, nil
}

// SaveLeakIndex replaces a leak's stored index.
func (s *DB) SaveLeakIndex(ctx context.Context, leak, key string, blob []byte, stats string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO leak_indexes (leak, key, blob, stats, built_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (leak) DO UPDATE SET key = excluded.key, blob = excluded.blob, stats = excluded.stats, built_at = excluded.built_at`,
		leak, key, blob, stats, ts(at))
	if err != nil {
		return fmt.Errorf("store: save leak index %s: %w", leak, err)
	}
	return nil
}

// credentialHeaders are request headers whose values are credentials: the
// store keeps that they were sent, never what they said.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// RemovedValue replaces a credential header's value in stored request
// headers, and so in every export made from them.
const RemovedValue = "(removed: credential)"

// withoutCredentials returns h with credential values replaced by
// RemovedValue; h itself is not changed.
func withoutCredentials(h http.Header) http.Header {
	var out http.Header
	for _, name := range credentialHeaders {
		if _, ok := h[name]; ok {
			if out == nil {
				out = h.Clone()
			}
			out[name] = []string{RemovedValue}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// LastArticleAlert is when the latest alert of kind whose key (as given
// to QueueArticleAlert) starts with keyPrefix was queued, and for which
// article; found is false when none was.
func (s *DB) LastArticleAlert(ctx context.Context, kind, keyPrefix string) (at time.Time, articleID int64, found bool, err error) {
	// idem_key is kind:key/channel; the prefix's LIKE wildcards are escaped.
	pattern := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(kind+":"+keyPrefix) + "%"
	err = s.db.QueryRowContext(ctx, `SELECT a.created_at, f.article_id FROM alerts a JOIN findings f ON f.id = a.finding_id
WHERE a.kind = ? AND a.idem_key LIKE ? ESCAPE '\' ORDER BY a.created_at DESC, a.id DESC LIMIT 1`, kind, pattern).Scan(timeDest{&at}, &articleID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, 0, false, nil
	case err != nil:
		return time.Time{}, 0, false, fmt.Errorf("store: last %s alert: %w", kind, err)
	}
	return at, articleID, true, nil
}
