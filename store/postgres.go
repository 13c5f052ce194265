package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/silencewatch/silencewatch/weburl"
)

// ErrNotInitialized is returned by OpenPostgresExisting when the database
// holds no silencewatch store yet.
var ErrNotInitialized = errors.New("store: database holds no store")

// OpenPostgres opens the PostgreSQL database at the URL dsn
// (postgres://user@host:port/db?sslmode=…, anything pgx accepts) and
// applies pending migrations, creating the store's tables in an empty
// database. The password is best left out of the URL: pgx reads
// PGPASSWORD, or the password file PGPASSFILE (by default ~/.pgpass),
// as libpq does. A password in the URL is used, and never printed: every
// error names the URL with its user information replaced by "xxxxx".
//
// Several processes may share one database: migrations take a session
// lock, and the writes that read first take transaction locks.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	return openPostgres(ctx, dsn, false)
}

// OpenPostgresExisting is OpenPostgres for a store that must exist: a
// database without the store's tables is ErrNotInitialized, and is left
// as it is.
func OpenPostgresExisting(ctx context.Context, dsn string) (*DB, error) {
	return openPostgres(ctx, dsn, true)
}

func openPostgres(ctx context.Context, dsn string, mustExist bool) (*DB, error) {
	name := RedactDSN(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors redact the password; the URL's own parse
		// errors quote the whole URL: say only what was wrong.
		return nil, fmt.Errorf("store: open postgres %s: %w", name, hidePassword(err, dsn))
	}
	db := stdlib.OpenDB(*cfg)
	// A small pool: the daemon's writes are short, and other processes
	// share the server.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &DB{db: &conn{db: db, d: postgresDialect}}
	if mustExist {
		if err := s.db.db.PingContext(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("store: open postgres %s: %w", name, hidePassword(err, dsn))
		}
		var table sql.NullString
		if err := s.db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version')::text`).Scan(&table); err != nil {
			s.Close()
			return nil, fmt.Errorf("store: open postgres %s: %w", name, hidePassword(err, dsn))
		}
		if !table.Valid {
			s.Close()
			return nil, fmt.Errorf("store: open postgres %s: %w", name, ErrNotInitialized)
		}
	}
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open postgres %s: %w", name, hidePassword(err, dsn))
	}
	return s, nil
}

// RedactDSN is dsn as it may be printed: a URL's user information
// replaced by "xxxxx" (weburl.Redact), and the value of a password
// parameter too. A SQLite path is returned as it is.
func RedactDSN(dsn string) string {
	if !weburl.IsPostgres(dsn) {
		return dsn
	}
	out := weburl.Redact(dsn)
	if u, err := url.Parse(out); err == nil && u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") {
				q[k] = []string{"xxxxx"}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			out = u.String()
		}
	}
	return out
}

// dsnSecrets are the strings of dsn that must not be printed: its
// password, in the forms an error may quote it, or, when dsn does not
// parse, whatever stands between :// and @.
func dsnSecrets(dsn string) []string {
	var out []string
	u, err := url.Parse(dsn)
	if err != nil {
		if _, rest, ok := strings.Cut(dsn, "://"); ok {
			if at := strings.LastIndex(rest, "@"); at > 0 {
				out = append(out, rest[:at])
			}
		}
		return out
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "password") {
			for _, v := range vs {
				if v != "" {
					out = append(out, v, url.QueryEscape(v))
				}
			}
		}
	}
	return out
}

// hidePassword returns err with its text cleaned of dsn's password (and
// of dsn itself, for its redacted form). The result is not a wrapper
// (Unwrap would hand the text back), but errors.Is still sees through it.
func hidePassword(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hidden := strings.ReplaceAll(msg, dsn, RedactDSN(dsn))
	for _, sec := range dsnSecrets(dsn) {
		if len(sec) >= 1 {
			hidden = strings.ReplaceAll(hidden, sec, "xxxxx")
		}
	}
	if hidden == msg {
		return err
	}
	return &redactedError{msg: hidden, err: err}
}

// redactedError is an error whose text had a secret taken out.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Is lets errors.Is (context.Canceled, ErrNotInitialized, …) see the
// original error without giving its text away.
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }
