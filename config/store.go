package config

import (
	"net/url"
	"path/filepath"

	"github.com/silencewatch/silencewatch/weburl"
)

// store reads the store key: a PostgreSQL URL as it is, else a SQLite
// file path, relative to the config's directory ("silencewatch.db" when
// unset). A URL's password is accepted (PGPASSWORD or PGPASSFILE are
// better: config files get committed) and never repeated in a message.
func (v *validator) store(raw string) string {
	if weburl.IsPostgres(raw) {
		// url's error quotes the whole URL, and a URL that does not parse
		// cannot be trusted to redact: neither is shown. An empty host or
		// database is pgx's to fill (PGHOST, PGDATABASE).
		if _, err := url.Parse(raw); err != nil {
			v.errorf(p{"store"}, "is not a valid PostgreSQL URL (expected postgres://user@host:port/database; the value is not repeated, it may hold a password)")
		}
		return raw
	}
	if raw == "" {
		raw = "silencewatch.db"
	}
	if !filepath.IsAbs(raw) && raw != ":memory:" {
		raw = filepath.Join(v.dir, raw)
	}
	return raw
}
