package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/store"
)

// TestReloadKeepsOldRulesOnBadConfigAndBacktestsNewRules: a running
// daemon refuses a config with errors (logged, the old rules stay), and
// takes a config with a new rule, which it runs over the stored articles:
// what it would have flagged is stored, marked late, and not alerted.
func TestReloadKeepsOldRulesOnBadConfigAndBacktestsNewRules(t *testing.T) {
	feed := &feedServer{}
	srv := httptest.NewServer(feed)
	defer srv.Close()
	feed.set(item("a1", "Ce que disent les courriels", violation1, satPub), item("a2", "Météo", lawful, satPub))

	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yaml := oneSourceConfig(t, srv.URL)
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(yaml)
	read := func() (*config.Config, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return config.Parse(path, data, func(string) (string, bool) { return "", false })
	}
	cfg, err := read()
	if err != nil {
		t.Fatal(err)
	}

	var logs, alerts syncBuffer
	reload := make(chan struct{})
	outcomes := make(chan error, 1)
	var results []backtest.Result
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Daemon(ctx, DaemonOptions{Config: cfg, Clock: clock.Real{}, Alerts: &alerts,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)), InitStore: true,
			Reload: reload, ReadConfig: read, Reloaded: func(r []backtest.Result, err error) { results = r; outcomes <- err }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	}()
	// The daemon creates the store; read it once the first alert is out.
	waitFor(t, "the violation's alert", func() bool { return strings.Contains(alerts.String(), "leak-content") })
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "sw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, "both articles evaluated and the violation flagged", func() bool {
		vs, _ := st.UnevaluatedVersions(context.Background())
		fs, _ := st.FindingsOfRule(context.Background(), "leak-content")
		all, _ := st.VersionsSince(context.Background(), time.Time{})
		return len(all) == 2 && len(vs) == 0 && len(fs) == 1
	})

	// A config with an error is refused, said in the log.
	write(strings.Replace(yaml, "severity: high", "severity: hihg", 1))
	reload <- struct{}{}
	if err := <-outcomes; err == nil {
		t.Fatal("a config with errors was taken")
	}
	if !strings.Contains(logs.String(), "reload refused") || !strings.Contains(logs.String(), "hihg") {
		t.Errorf("the refusal is not logged with its error:\n%s", logs.String())
	}

	// A new rule is taken and backtested.
	write(strings.Replace(yaml, "\nrules:\n", weatherRule, 1))
	reload <- struct{}{}
	if err := <-outcomes; err != nil {
		t.Fatalf("reload: %v\n%s", err, logs.String())
	}
	if len(results) != 1 || results[0].Rule != "weather" || len(results[0].Flagged) != 1 || results[0].Versions != 2 {
		t.Fatalf("backtest %+v, want the weather rule flagging the one lawful article of 2", results)
	}
	late, err := st.FindingsOfRule(context.Background(), "weather")
	if err != nil || len(late) != 1 || !late[0].Late {
		t.Fatalf("late findings %+v %v", late, err)
	}
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.FindingID == late[0].ID {
			t.Errorf("a late finding was alerted (alert_late is off): %+v", a)
		}
	}
	if strings.Contains(logs.String(), "only after a restart") {
		t.Errorf("unchanged sections reported as changed:\n%s", logs.String())
	}
	// The old rule is still in force, once.
	if fs, _ := st.FindingsOfRule(context.Background(), "leak-content"); len(fs) != 1 {
		t.Errorf("leak-content findings after reload: %d, want 1", len(fs))
	}
}

// oneSourceConfig is the example config with one test source instead of
// its outlets, its store sw.db beside it.
func oneSourceConfig(t *testing.T, feedURL string) string {
	t.Helper()
	base := string(mustRead(t, "../config.yaml"))
	yaml := base[:strings.Index(base, "\nsources:\n")] + fmt.Sprintf(`
sources:
  - {name: testdaily, url: %s/feed, language: fr, every: 1s, min_every: 1s, silence_every: 1s}
`, feedURL) + base[strings.Index(base, "\nelections:\n"):]
	yaml = strings.Replace(yaml, "store: silencewatch.db", "store: sw.db", 1)
	return strings.Replace(yaml, "  allow_private: []", "  allow_private: [127.0.0.0/8]", 1)
}

const weatherRule = `
rules:
  - id: weather
    title: Weather report
    severity: low
    windows: [always]
    match: {term: ensoleillé}
`

// TestBacktestCommand: after a run, backtest says what a new rule would
// flag among the stored articles and that an unchanged rule flags the
// same; -save stores the new ones as late findings.
func TestBacktestCommand(t *testing.T) {
	feed := &feedServer{}
	srv := httptest.NewServer(feed)
	defer srv.Close()
	feed.set(item("a1", "Ce que disent les courriels", violation1, satPub), item("a2", "Météo", lawful, satPub))
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	yaml := oneSourceConfig(t, srv.URL)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	env := Env{Stdout: &out, Stderr: &errOut, Now: time.Now, LookupEnv: func(string) (string, bool) { return "", false }}
	if code := Main(context.Background(), []string{"run", "-config", path, "-listen", "", "-once", "-init"}, env); code != ExitOK {
		t.Fatalf("run: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "run -once: polled 1 sources (0 failed, 0 not modified): 2 items, 2 new; 2 findings") {
		t.Errorf("run -once summary missing or wrong:\n%s", out.String())
	}
	if err := os.WriteFile(path, []byte(strings.Replace(yaml, "\nrules:\n", weatherRule, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	bt := func(args ...string) string {
		t.Helper()
		var o, e syncBuffer
		env := env
		env.Stdout, env.Stderr = &o, &e
		if code := Main(context.Background(), append([]string{"backtest", "-config", path}, args...), env); code != ExitOK {
			t.Fatalf("backtest %v: %d %s", args, code, e.String())
		}
		return o.String()
	}
	got := bt("-rule", "weather,leak-content", "-since", "1 hour")
	for _, want := range []string{"weather: 2 versions since", "1 would be flagged that are not, 0 would no longer be flagged, 0 unchanged",
		"leak-content: 2 versions since", "0 would be flagged that are not, 0 would no longer be flagged, 1 unchanged", `"Météo"`} {
		if !strings.Contains(got, want) {
			t.Errorf("backtest output lacks %q:\n%s", want, got)
		}
	}
	bt("-rule", "weather", "-save")
	if got := bt("-rule", "weather"); !strings.Contains(got, "0 would be flagged that are not, 0 would no longer be flagged, 1 unchanged") {
		t.Errorf("after -save the late finding is not in the record:\n%s", got)
	}
	var e syncBuffer
	env.Stderr = &e
	if code := Main(context.Background(), []string{"backtest", "-config", path, "-rule", "nope"}, env); code != ExitUsage || !strings.Contains(e.String(), `"nope" is not a rule`) {
		t.Errorf("unknown rule: %d %s", code, e.String())
	}
}
