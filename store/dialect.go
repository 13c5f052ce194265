package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// dialect is what differs between the store's two databases. The queries
// are written once, with ? placeholders, in the SQL both understand;
// rebind turns the placeholders into PostgreSQL's $1, $2, …, and the few
// expressions that have no common spelling are methods here.
type dialect struct {
	name     string // "sqlite" or "postgres", as in messages
	postgres bool
	goose    goose.Dialect
	dir      string // its migrations, under migrations/
}

var (
	sqliteDialect   = &dialect{name: "sqlite", goose: goose.DialectSQLite3, dir: "sqlite"}
	postgresDialect = &dialect{name: "postgres", postgres: true, goose: goose.DialectPostgres, dir: "postgres"}
)

// rebind returns q with its ? placeholders numbered for PostgreSQL; q
// unchanged for SQLite. A ? inside a quoted string or identifier, or in a
// comment, is left alone.
func (d *dialect) rebind(q string) string {
	if !d.postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(q[i+1:], c)
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end+2])
			i += end + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// contains is the condition "needle occurs in haystack" (two SQL
// expressions).
func (d *dialect) contains(haystack, needle string) string {
	if d.postgres {
		return "strpos(" + haystack + ", " + needle + ") > 0"
	}
	return "instr(" + haystack + ", " + needle + ") > 0"
}

// inJSON is the condition "expr is one of the values of the JSON array
// the placeholder holds" (strings, or integers when ints): one statement
// text for any number of values, so that it is prepared once, where an
// IN list of placeholders is parsed again for each length.
func (d *dialect) inJSON(expr string, ints bool) string {
	switch {
	case !d.postgres:
		return expr + " IN (SELECT value FROM json_each(?))"
	case ints:
		return expr + " IN (SELECT CAST(jsonb_array_elements_text(CAST(? AS jsonb)) AS BIGINT))"
	}
	return expr + " IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
}

// conn is the store's database handle: *sql.DB with every query rebound
// for its dialect.
type conn struct {
	db *sql.DB
	d  *dialect
}

func (c *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.d.rebind(q), args...)
}

func (c *conn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return c.db.PrepareContext(ctx, c.d.rebind(q))
}

// begin starts a transaction whose queries are rebound too.
func (c *conn) begin(ctx context.Context) (*txn, error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &txn{tx: tx, d: c.d}, nil
}

// txn is a transaction with every query rebound for its dialect.
type txn struct {
	tx *sql.Tx
	d  *dialect
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

func (t *txn) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.rebind(q))
}

// StmtContext is a statement prepared on the handle (already rebound),
// run in this transaction.
func (t *txn) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, st)
}

// lockKey serialises, across every process sharing a PostgreSQL store,
// the transactions that read before they write and would otherwise race:
// two processes saving a sighting of the same article would both find it
// missing (or both find version n) and both insert. SQLite needs nothing:
// its transactions take the one write lock at BEGIN. The lock is the
// transaction's, released at commit or rollback.
func (t *txn) lockKey(ctx context.Context, space int32, key string) error {
	if !t.d.postgres {
		return nil
	}
	_, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, space, key)
	return err
}

// Advisory lock spaces (the first key of pg_advisory_xact_lock).
const (
	lockArticles int32 = 0x5357_0001 // SaveArticle, by source
)
