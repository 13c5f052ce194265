package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/internal/pgtest"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/store"
)

// TestStorePasswordNeverPrinted points every command that opens the store
// at a PostgreSQL URL with a password, on a port nothing listens on: each
// fails, and the password is in none of their output.
func TestStorePasswordNeverPrinted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const secret = "pg-Pa55word-never-shown"
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	base := string(mustRead(t, "../config.yaml"))
	data := strings.Replace(base, "store: silencewatch.db",
		fmt.Sprintf(`store: "postgres://sw:%s@%s/sw?sslmode=disable&connect_timeout=2"`, secret, addr), 1)
	if data == base {
		t.Fatal("the example config has no store: silencewatch.db line to replace")
	}
	if err := os.WriteFile(cfgPath, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "article.md")
	if err := os.WriteFile(text, []byte("Les #MacronLeaks : selon les courriels.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "-config", cfgPath, "-listen", "", "-once"},
		{"run", "-config", cfgPath, "-listen", "", "-once", "-init"},
		{"export", "-config", cfgPath, "-format", "jsonl"},
		{"backtest", "-config", cfgPath, "-rule", "leak-content"},
		{"leaks", "index", "-config", cfgPath},
		{"users", "list", "-config", cfgPath},
		{"check", "-config", cfgPath, text},
		{"validate", "-config", cfgPath},
	} {
		var stdout, stderr bytes.Buffer
		env := Env{Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return time.Date(2017, 5, 6, 12, 0, 0, 0, time.UTC) },
			LookupEnv: func(string) (string, bool) { return "", false }}
		code := Main(context.Background(), args, env)
		out := stdout.String() + stderr.String()
		if strings.Contains(out, secret) || strings.Contains(out, url.QueryEscape(secret)) {
			t.Errorf("%s (exit %d) printed the store's password:\n%s", strings.Join(args, " "), code, out)
		}
		if args[0] != "check" && args[0] != "validate" && code == ExitOK {
			t.Errorf("%s: exit 0 without a reachable store:\n%s", strings.Join(args, " "), out)
		}
	}
}

// newPostgresURL creates a database of its own on the server of
// SILENCEWATCH_POSTGRES_URL, dropped when t ends, or skips t.
func newPostgresURL(t *testing.T) string {
	t.Helper()
	return pgtest.Database(t, "sw_apptest_")
}

// TestDaemonOnPostgres: an empty database is refused without -init (as a
// missing file is), -init creates the store, and with no file lock two
// more daemons starting at once on the database are not refused, and
// store nothing twice.
func TestDaemonOnPostgres(t *testing.T) {
	dsn := newPostgresURL(t)
	feed := &feedServer{}
	feed.set(item("p1", "Ce que disent les courriels", violation1, satPub), item("p2", "Météo", lawful, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	cfg := daemonConfig(t, srv.URL, dsn)
	ctx := context.Background()
	daemon := func(init bool, alerts io.Writer) error {
		return Daemon(ctx, DaemonOptions{Config: cfg, Clock: clock.Real{}, Alerts: alerts, Once: true,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), InitStore: init})
	}
	err := daemon(false, io.Discard)
	if !errors.Is(err, ErrNoStore) || !strings.Contains(err.Error(), "holds no silencewatch store") {
		t.Fatalf("daemon on an empty database without -init: %v, want ErrNoStore", err)
	}
	alerts := &syncBuffer{}
	if err := daemon(true, alerts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(alerts.String(), "Ce que disent les courriels") {
		t.Errorf("no alert from the PostgreSQL store's first poll:\n%s", alerts.String())
	}
	first := alerts.String()
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- daemon(false, alerts) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("a second daemon on the same database: %v", err)
		}
	}
	st, err := store.OpenPostgresExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vs, err := st.VersionsSince(ctx, time.Time{})
	if err != nil || len(vs) != 2 {
		t.Errorf("%d versions stored (%v), want the feed's 2 once each", len(vs), err)
	}
	if alerts.String() != first {
		t.Errorf("the second and third runs alerted again:\n%s", strings.TrimPrefix(alerts.String(), first))
	}
	as, _ := st.Alerts(ctx)
	keys := map[string]bool{}
	for _, a := range as {
		if a.Status != "sent" || keys[a.Key] {
			t.Errorf("alert %d (%s) is %s, or a duplicate", a.ID, a.Key, a.Status)
		}
		keys[a.Key] = true
	}
}
