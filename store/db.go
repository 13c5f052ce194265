package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/silencewatch/silencewatch/weburl"
)

// Event is something that happened to a source: a possible gap, a
// failure streak, a recovery.
type Event struct {
	Source string
	Kind   string // "gap", "failing", "recovered", "validators-unreliable"
	Detail string
	At     time.Time
}

// SourceState is a source's fetch state, kept across restarts so that a
// restart neither refetches everything nor forgets a failing source.
type SourceState struct {
	Name           string
	URL            string
	ETag           string
	LastModified   string
	ConditionalOff bool // validators proved unreliable: poll with full GETs
	Failures       int  // consecutive failed polls
	LastPollAt     time.Time
	LastSuccessAt  time.Time
	NextPollAt     time.Time
	Interval       time.Duration // current adaptive interval
	LastItems      []string      // item keys seen by the last successful full poll
}

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// pragmas are applied by the driver to every connection it opens. WAL lets
// readers in other processes (the sqlite3 shell, a `check` run) proceed
// while we write; synchronous=NORMAL is durable across process crashes in
// WAL mode and only risks the last commits on power loss, which a poller
// re-fetches anyway; _txlock=immediate takes the write lock at BEGIN so a
// transaction never fails half-way with SQLITE_BUSY on lock upgrade;
// temp_store=MEMORY keeps a statement's journal (what a batch INSERT
// undoes should it fail half-way) in memory rather than in a temporary
// file written page by page.
const pragmas = "_pragma=journal_mode(WAL)" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=temp_store(MEMORY)" +
	"&_txlock=immediate"

// DB is the store: one SQLite file, or one PostgreSQL database. It is
// safe for concurrent use. On SQLite every call goes through a single
// connection, so writers queue in database/sql instead of contending for
// SQLite's file lock, and ":memory:" works because there is only ever one
// database. On PostgreSQL calls share a small pool, and several processes
// may share the database.
type DB struct {
	db *conn
	// Hot statements, prepared once: the 304 path and the "article seen
	// again, unchanged" path run on every poll.
	upsertSource, selectSource, updateTimes    *sql.Stmt
	insertResponse                             *sql.Stmt // a validator check stores its body too
	articleByGUID, articleByURL, latestVersion *sql.Stmt
	insertArticle, insertVersion               *sql.Stmt
	// The outbox looks for due alerts and pending edits every second.
	dueAlerts, pendingRefreshes *sql.Stmt
	// Batch INSERTs of new articles and their first versions, of 1, 2,
	// 4, … insertRows rows: prepared once, since parsing one took longer
	// than running it, and a poll's batch is cut into these sizes.
	insertArticles, insertVersions [batchSizes]*sql.Stmt
	// A poll's lookups by GUID and by URL, and its evaluation marks.
	articlesByGUID, articlesByURL, markQuiet *sql.Stmt
	// An article listed again: most of a poll's items once a feed is known.
	touchArticle *sql.Stmt

	// OnHeadersTruncated, when set, is told each time SaveResponse cuts a
	// response's headers at MaxHeaderBytes, and by how many bytes. Set it
	// before the store is shared.
	OnHeadersTruncated func(source, url string, dropped int)
}

// SQLite is the name DB had when SQLite was its only database.
//
// Deprecated: use DB.
type SQLite = DB

// Open opens the store named by dsn, as the config's store key names it:
// a postgres:// or postgresql:// URL is a PostgreSQL database (see
// OpenPostgres), anything else a SQLite file (see OpenSQLite).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if weburl.IsPostgres(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}

// Backend names the database dsn selects: "postgres" or "sqlite".
func Backend(dsn string) string {
	if weburl.IsPostgres(dsn) {
		return postgresDialect.name
	}
	return sqliteDialect.name
}

// OpenSQLite opens (creating if needed) the database at path and applies
// pending migrations. path is a file name or ":memory:".
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		// The driver splits its DSN at the first '?'.
		return nil, fmt.Errorf("store: open sqlite: invalid path %q", path)
	}
	db, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and the statements are
	// microseconds long. Keep it forever so ":memory:" is not lost.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &DB{db: &conn{db: db, d: sqliteDialect}}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return s, nil
}

func (s *DB) init(ctx context.Context) error {
	if err := s.db.db.PingContext(ctx); err != nil {
		return err
	}
	p, err := migrationProvider(s.db.db, s.db.d)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	for _, st := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.upsertSource, upsertSourceSQL},
		{&s.selectSource, selectSourceSQL},
		{&s.updateTimes, updateTimesSQL},
		{&s.insertResponse, insertResponseSQL},
		{&s.articleByGUID, articleByGUIDSQL},
		{&s.articleByURL, articleByURLSQL},
		{&s.latestVersion, latestVersionSQL},
		{&s.insertArticle, insertArticleSQL},
		{&s.insertVersion, insertVersionSQL},
		{&s.dueAlerts, dueAlertsSQL},
		{&s.pendingRefreshes, pendingRefreshesSQL},
		{&s.articlesByGUID, articlesByKeySQL(s.db.d, "guid")},
		{&s.articlesByURL, articlesByKeySQL(s.db.d, "url_norm")},
		{&s.touchArticle, touchArticleSQL},
		{&s.markQuiet, `UPDATE versions SET evaluated_at = ? WHERE evaluated_at IS NULL AND ` + s.db.d.inJSON("id", true)},
	} {
		if *st.dst, err = s.db.PrepareContext(ctx, st.query); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	for k := range batchSizes {
		if s.insertArticles[k], err = s.db.PrepareContext(ctx, insertArticlesSQL(1<<k)); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		if s.insertVersions[k], err = s.db.PrepareContext(ctx, insertVersionsSQL(1<<k)); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

// Close closes the database. In-flight calls finish first.
func (s *DB) Close() error {
	for _, st := range []*sql.Stmt{s.upsertSource, s.selectSource, s.updateTimes, s.insertResponse, s.articleByGUID, s.articleByURL,
		s.latestVersion, s.insertArticle, s.insertVersion, s.dueAlerts, s.pendingRefreshes,
		s.articlesByGUID, s.articlesByURL, s.markQuiet, s.touchArticle} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range append(s.insertArticles[:], s.insertVersions[:]...) {
		if st != nil {
			st.Close()
		}
	}
	if err := s.db.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// inTx runs fn in one transaction (on SQLite an immediate one, holding
// the write lock) and commits if it returns nil.
func (s *DB) inTx(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.tx.Rollback()
		return err
	}
	return tx.tx.Commit()
}

// Sources.

const upsertSourceSQL = `
INSERT INTO sources (name, url, etag, last_modified, conditional_off, failures,
	last_poll_at, last_success_at, next_poll_at, interval_ns, last_items)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
	url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
	conditional_off = excluded.conditional_off, failures = excluded.failures,
	last_poll_at = excluded.last_poll_at, last_success_at = excluded.last_success_at,
	next_poll_at = excluded.next_poll_at, interval_ns = excluded.interval_ns,
	last_items = excluded.last_items`

const selectSourceSQL = `
SELECT name, url, etag, last_modified, conditional_off, failures,
	last_poll_at, last_success_at, next_poll_at, interval_ns, last_items
FROM sources WHERE name = ?`

// SourceState returns the saved state of a source.
func (s *DB) SourceState(ctx context.Context, name string) (SourceState, bool, error) {
	var (
		st    SourceState
		items sql.NullString
	)
	err := s.selectSource.QueryRowContext(ctx, name).Scan(&st.Name, &st.URL, &st.ETag, &st.LastModified,
		&st.ConditionalOff, &st.Failures, timeDest{&st.LastPollAt}, timeDest{&st.LastSuccessAt},
		timeDest{&st.NextPollAt}, &st.Interval, &items)
	if errors.Is(err, sql.ErrNoRows) {
		return SourceState{}, false, nil
	}
	if err != nil {
		return SourceState{}, false, fmt.Errorf("store: source state %q: %w", name, err)
	}
	if items.Valid {
		if err := json.Unmarshal([]byte(items.String), &st.LastItems); err != nil {
			return SourceState{}, false, fmt.Errorf("store: source state %q: last_items: %w", name, err)
		}
	}
	return st, true, nil
}

// SaveSourceState writes a source's state in one upsert.
func (s *DB) SaveSourceState(ctx context.Context, st SourceState) error {
	return saveSourceState(ctx, s.upsertSource, st)
}

const updateTimesSQL = `
UPDATE sources SET last_poll_at = ?, last_success_at = ?, next_poll_at = ?, interval_ns = ?
WHERE name = ?`

// SaveSourceTimes writes, in one transaction, the poll times and the
// adaptive interval of sources already saved, and nothing else of their
// state: after a 304 nothing else changed, and a caller that keeps the
// state in memory need not hold each source's item keys to write it. A
// source never saved is left unsaved.
func (s *DB) SaveSourceTimes(ctx context.Context, states []SourceState) error {
	if len(states) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *txn) error {
		update := tx.StmtContext(ctx, s.updateTimes)
		defer update.Close()
		for _, st := range states {
			if _, err := update.ExecContext(ctx, ts(st.LastPollAt), ts(st.LastSuccessAt), ts(st.NextPollAt), int64(st.Interval), st.Name); err != nil {
				return fmt.Errorf("%q: %w", st.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save the poll times of %d sources: %w", len(states), err)
	}
	return nil
}

func saveSourceState(ctx context.Context, upsert *sql.Stmt, st SourceState) error {
	if st.Name == "" {
		return errors.New("store: save source state: empty name")
	}
	var items any // nil slice → NULL, so nil and empty both round-trip
	if st.LastItems != nil {
		b, err := json.Marshal(st.LastItems)
		if err != nil {
			return fmt.Errorf("store: save source state %q: %w", st.Name, err)
		}
		items = string(b)
	}
	_, err := upsert.ExecContext(ctx, st.Name, weburl.Redact(st.URL), st.ETag, st.LastModified,
		st.ConditionalOff, st.Failures, ts(st.LastPollAt), ts(st.LastSuccessAt), ts(st.NextPollAt),
		int64(st.Interval), items)
	if err != nil {
		return fmt.Errorf("store: save source state %q: %w", st.Name, err)
	}
	return nil
}

// AddEvent records something that happened to a source.
func (s *DB) AddEvent(ctx context.Context, e Event) error {
	if e.At.IsZero() {
		return fmt.Errorf("store: add event %s/%s: zero time", e.Source, e.Kind)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO events (source, kind, detail, at) VALUES (?, ?, ?, ?)`,
		e.Source, e.Kind, e.Detail, ts(e.At))
	if err != nil {
		return fmt.Errorf("store: add event %s/%s: %w", e.Source, e.Kind, err)
	}
	return nil
}

// Events returns a source's events in time order; source "" means every
// source.
func (s *DB) Events(ctx context.Context, source string) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT source, kind, detail, at FROM events
WHERE ? = '' OR source = ?
ORDER BY at, id`, source, source)
	if err != nil {
		return nil, fmt.Errorf("store: events %q: %w", source, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Source, &e.Kind, &e.Detail, timeDest{&e.At}); err != nil {
			return nil, fmt.Errorf("store: events %q: %w", source, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events %q: %w", source, err)
	}
	return out, nil
}

// noLimit is a LIMIT that limits nothing, in both dialects (SQLite's -1
// is an error in PostgreSQL).
const noLimit = math.MaxInt64

// Times.

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction: fixed
// width makes the text order of the column its time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ts encodes a time as a query argument: NULL for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// checkTime rejects times the layout cannot hold in four digits; only
// times from outside (an outlet's claims) can be that far off.
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); !t.IsZero() && (y < 0 || y > 9999) {
		return fmt.Errorf("%s %v: year outside 0000-9999", name, t)
	}
	return nil
}

// timeDest scans a nullable time column; NULL reads as the zero time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		*d.t = time.Time{}
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*d.t = t
	return nil
}
