package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/silencewatch/silencewatch/weburl"
)

// scrubVersion is the Go migration that removes credentials recorded
// before the store stopped keeping them: user:password in source and
// response URLs and credential request headers. Later SQL migrations
// number after it.
const scrubVersion = 7

// migrationProvider is the store's migrations in dialect d: the SQL files
// of its directory and the Go credential scrub, the same versions in
// both. On PostgreSQL a session lock keeps two processes starting at
// once from migrating the same database together.
func migrationProvider(db *sql.DB, d *dialect) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+d.dir)
	if err != nil {
		return nil, err
	}
	scrub := goose.NewGoMigration(scrubVersion, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		return scrubCredentials(ctx, &txn{tx: tx, d: d})
	}}, nil)
	// The global registry holds Go migrations registered by any package
	// linked in; ours are given here and must not pick those up.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(scrub)}
	if d.postgres {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d.goose, db, sub, opts...)
}

// scrubCredentials redacts every stored URL with userinfo and every
// stored request header carrying a credential, as SaveSource and
// SaveResponse now do on the way in.
func scrubCredentials(ctx context.Context, tx *txn) error {
	for _, col := range []struct{ table, column string }{
		{"sources", "url"}, {"articles", "source_url"}, {"responses", "url"}, {"responses", "final_url"},
	} {
		if err := scrubURLs(ctx, tx, col.table, col.column); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, request_headers FROM responses
		WHERE request_headers LIKE '%Authorization%' OR request_headers LIKE '%Cookie%'`)
	if err != nil {
		return fmt.Errorf("scrub responses.request_headers: %w", err)
	}
	type row struct {
		id   int64
		json string
	}
	var changed []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.json); err != nil {
			rows.Close()
			return err
		}
		var h http.Header
		if json.Unmarshal([]byte(r.json), &h) != nil {
			continue // not headers this store wrote
		}
		clean := withoutCredentials(h)
		if b, err := json.Marshal(clean); err == nil && string(b) != r.json {
			changed = append(changed, row{r.id, string(b)})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, r := range changed {
		if _, err := tx.ExecContext(ctx, `UPDATE responses SET request_headers = ? WHERE id = ?`, r.json, r.id); err != nil {
			return fmt.Errorf("scrub responses.request_headers: %w", err)
		}
	}
	return nil
}

func scrubURLs(ctx context.Context, tx *txn, table, column string) error {
	// Only URLs with an @ can carry userinfo.
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT %s FROM %s WHERE %s LIKE '%%@%%'`, column, table, column))
	if err != nil {
		return fmt.Errorf("scrub %s.%s: %w", table, column, err)
	}
	var urls []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return err
		}
		urls = append(urls, u)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, u := range urls {
		if clean := weburl.Redact(u); clean != u {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, table, column, column), clean, u); err != nil {
				return fmt.Errorf("scrub %s.%s: %w", table, column, err)
			}
		}
	}
	return nil
}
