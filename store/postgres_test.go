package store

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", `SELECT 1`, `SELECT 1`},
		{"numbered in order", `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{"in a string", `SELECT '?' || ?`, `SELECT '?' || $1`},
		{"doubled quote in a string", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{"in an identifier", `SELECT "a?" FROM t WHERE x = ?`, `SELECT "a?" FROM t WHERE x = $1`},
		{"in a comment", "SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"comment at the end", "SELECT ? -- why?", "SELECT $1 -- why?"},
		{"unterminated string", `SELECT ?, 'x?`, `SELECT $1, 'x?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresDialect.rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := sqliteDialect.rebind(tt.in); got != tt.in {
				t.Errorf("sqlite rebind(%q) = %q, want it unchanged", tt.in, got)
			}
		})
	}
}

func TestTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"sondage":                   "('sondage')",
		"revéles courriels":         "('revéles') & ('courriels')",
		`"fuite des courriels"`:     "('fuite' <-> 'des' <-> 'courriels')",
		"macron*":                   "('macron':*)",
		`"l'élection" 2017`:         "('l' <-> 'élection') & ('2017')",
		"a & b | !c <-> d:* ( ) '":  "('a') & ('b') & ('c') & ('d':*)", // d:* ends with *: a prefix
		"*** \"\" ' ":               "",
		`"porte-parole" "unclosed`:  "('porte' <-> 'parole') & ('unclosed')",
		"NOT OR AND near/3 (x)":     "('NOT') & ('OR') & ('AND') & ('near' <-> '3') & ('x')",
		"mot-dièse*":                "('mot' <-> 'dièse':*)",
		"\u00a0espace\u2009fine":    "('espace' <-> 'fine')",
		"emoji 🗳️ vote":             "('emoji') & ('vote')",
		"x'); DROP TABLE users; --": "('x') & ('DROP') & ('TABLE') & ('users')",
	} {
		if got := tsQuery(in); got != want {
			t.Errorf("tsQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearchOperatorsAreWords: what a person types is never a syntax
// error of the full-text query, on either backend.
func TestSearchOperatorsAreWords(t *testing.T) {
	eachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		s, _ := newStore(t)
		ctx := context.Background()
		for _, text := range []string{`a & b | !c`, `"unclosed`, `x'); --`, `*`, `:*`, `NEAR(a b)`, `'`, `\`, `l'élection`} {
			if _, _, err := s.ReviewFindings(ctx, FindingQuery{Text: text}); err != nil {
				t.Errorf("search %q: %v", text, err)
			}
		}
	})
}

func TestBackend(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u@h/db":      "postgres",
		"postgresql://u@h/db":    "postgres",
		"POSTGRES://h/db":        "postgres",
		"/var/lib/sw/store.db":   "sqlite",
		"silencewatch.db":        "sqlite",
		":memory:":               "sqlite",
		"postgres.db":            "sqlite",
		"file:postgres://x":      "sqlite",
		"mysql://u@h/db":         "sqlite",
		"postgres:/not-a-url.db": "sqlite",
	} {
		if got := Backend(dsn); got != want {
			t.Errorf("Backend(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://sw:s3cr3t@db.example:5432/sw?sslmode=require":      "postgres://xxxxx@db.example:5432/sw?sslmode=require",
		"postgres://sw@db.example/sw":                                  "postgres://xxxxx@db.example/sw",
		"postgres://db.example/sw?password=s3cr3t&sslmode=verify-full": "postgres://db.example/sw?password=xxxxx&sslmode=verify-full",
		"postgres://db.example/sw":                                     "postgres://db.example/sw",
		"/var/lib/sw/store.db":                                         "/var/lib/sw/store.db",
	} {
		if got := RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPostgresErrorsHidePassword forces failures with a password in the
// URL (no server, a malformed URL): the password is in no error.
func TestPostgresErrorsHidePassword(t *testing.T) {
	// A port nothing listens on: bind one, note it, close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const secret = "Sup3r-s3cret_pw"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, dsn := range []string{
		"postgres://sw:" + secret + "@" + addr + "/sw?sslmode=disable&connect_timeout=2",
		"postgres://sw@" + addr + "/sw?sslmode=disable&connect_timeout=2&password=" + secret,
		"postgres://sw:" + secret + "@" + addr + ":notaport/sw",
		"postgres://sw:" + secret + "@[::1/sw",
		"postgresql://sw:" + secret + "@" + addr + "/sw?sslmode=bogus",
	} {
		for _, open := range []func(context.Context, string) (*DB, error){Open, OpenPostgresExisting} {
			s, err := open(ctx, dsn)
			if err == nil {
				s.Close()
				t.Fatalf("open %s: no error", RedactDSN(dsn))
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, "s3cret") {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.HasPrefix(msg, "store: open postgres ") {
				t.Errorf("error %q does not say it is the store's PostgreSQL", msg)
			}
			for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), secret) {
					t.Errorf("a wrapped error shows the password: %s", e.Error())
				}
			}
		}
	}
}

// TestPostgresExisting: a database without the store's tables is
// ErrNotInitialized, left empty; once created, it opens.
func TestPostgresExisting(t *testing.T) {
	dsn := newPostgresDatabase(t)
	ctx := context.Background()
	if s, err := OpenPostgresExisting(ctx, dsn); !errors.Is(err, ErrNotInitialized) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("OpenPostgresExisting on an empty database: %v, want ErrNotInitialized", err)
	}
	raw := backends[1].openRaw(t, dsn)
	var tables int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("%d tables after a refused open (%v), want none", tables, err)
	}
	openAt(t, dsn).Close()
	s, err := OpenPostgresExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestPostgresSharedByTwoStores: two stores on one database (two
// processes) saving the same articles at once make one article each and
// no duplicate version, as one store does.
func TestPostgresSharedByTwoStores(t *testing.T) {
	dsn := newPostgresDatabase(t)
	a, b := openAt(t, dsn), openAt(t, dsn)
	ctx := context.Background()
	const n = 30
	errs := make(chan error, 2)
	for _, s := range []*DB{a, b} {
		go func() {
			for i := range n {
				// No GUID: found by URL only, where no constraint helps.
				art := testArticle("", "https://x.fr/"+string(rune('a'+i%26))+strings.Repeat("x", i), "texte")
				if _, err := s.SaveArticle(ctx, art, fetchAt(t0)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, a, "articles"); got != n {
		t.Errorf("%d articles from two stores saving the same %d", got, n)
	}
	if got := count(t, a, "versions"); got != n {
		t.Errorf("%d versions, want %d", got, n)
	}
}
