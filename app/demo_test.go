package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/silencewatch/silencewatch/notify/slackfake"
	"github.com/silencewatch/silencewatch/store"
)

// TestDemoEndToEnd replays the bundled weekend through the whole pipeline
// and checks every expectation of the timeline (each expected finding by
// outlet, rule and zone; each lawful item unflagged), and that the Slack
// server received each alert exactly once.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a weekend")
	}
	fake := slackfake.Start(slackfake.Options{Interval: -1})
	defer fake.Close()
	demoID := fake.AddChannel("demo", false)
	env := map[string]string{"SLACK_BOT_TOKEN": fake.Token(), "SLACK_CHANNEL": "#demo"}
	dir := t.TempDir()
	var out strings.Builder
	res, err := Demo(context.Background(), DemoOptions{
		Speed: 4000, Dir: dir, Out: &out, Log: io.Discard, Listen: "127.0.0.1:0", Command: "go run ./cmd/silencewatch",
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		SlackAPIURL: fake.URL, SlackPace: "5ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Matches() {
		t.Errorf("%d of %d expected findings; missed %v; unexpected %v; wrong zones %v",
			res.Found, res.Expected, res.Missed, res.Unexpected, res.WrongZones)
	}
	if !regexp.MustCompile(`Metrics on http://127\.0\.0\.1:[1-9][0-9]*/metrics`).MatchString(out.String()) {
		t.Errorf("the demo does not say where its metrics are:\n%s", out.String())
	}
	if want := fmt.Sprintf("Alerts:             %d findings, %d messages", res.Found, res.Messages); !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
	if want := "Next:     go run ./cmd/silencewatch export -config " + dir + "/config.yaml"; !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
	if res.Expected < 30 {
		t.Errorf("only %d expected findings: the scenario did not load?", res.Expected)
	}
	st, err := store.OpenSQLite(context.Background(), res.Dir+"/silencewatch.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alerts, _ := st.Alerts(context.Background())
	byID := map[int64]int{}
	msgs := fake.Messages(demoID)
	for _, m := range msgs {
		key := m.Key()
		if _, list, ok := strings.Cut(key, ":"); ok && (strings.HasPrefix(key, "alert:") || strings.HasPrefix(key, "batch:")) {
			for _, p := range strings.Split(list, ",") {
				var id int64
				fmt.Sscan(p, &id)
				byID[id]++
			}
		}
	}
	if len(alerts) == 0 {
		t.Fatal("no alert queued")
	}
	for _, a := range alerts {
		if a.Status != "sent" {
			t.Errorf("alert %d (%s, %s) is %s: %s", a.ID, a.Kind, a.Finding.Finding.Rule, a.Status, a.LastError)
		}
		if byID[a.ID] != 1 {
			t.Errorf("alert %d reached Slack %d times", a.ID, byID[a.ID])
		}
	}
	t.Logf("%d alerts, %d Slack messages", len(alerts), len(msgs))
}

func TestInvocation(t *testing.T) {
	for arg0, want := range map[string]string{
		"/tmp/go-build3383873351/b001/exe/silencewatch": "go run ./cmd/silencewatch",
		"silencewatch":          "silencewatch",
		"./silencewatch":        "./silencewatch",
		"/usr/local/bin/sw":     "/usr/local/bin/sw",
		"/home/u/go-build/x/sw": "/home/u/go-build/x/sw",
	} {
		if got := invocation(arg0); got != want {
			t.Errorf("invocation(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestDemoListenTaken: a -listen port in use fails at once, naming the
// port and the flag.
func TestDemoListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, err = Demo(context.Background(), DemoOptions{Listen: ln.Addr().String(), Dir: t.TempDir(), Out: io.Discard, Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "-listen "+ln.Addr().String()) || !strings.Contains(err.Error(), "port "+port+" is already in use") {
		t.Errorf("Demo on a taken port: %v", err)
	}
}

// TestDemoDirReuse: a second run in an earlier run's directory keeps an
// edited config.yaml (running it against the new site address), moves the
// previous store and exports to previous/, and regenerates an unedited
// config; -fresh starts over; any other non-empty directory is refused.
func TestDemoDirReuse(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	gen := func(base string) []byte { return []byte(demoHeader + "\nsources:\n  - url: " + base + "/a/feed.xml\n") }
	run := func(base string, fresh bool) (yaml []byte, kept bool) {
		t.Helper()
		prev, err := prepareDemoDir(dir, fresh)
		if err != nil {
			t.Fatal(err)
		}
		yaml, kept, err = demoConfig(cfgPath, gen(base), base, prev)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{demoStore, "findings.jsonl"} { // what the run writes
			os.WriteFile(filepath.Join(dir, name), []byte(base), 0o644)
		}
		return yaml, kept
	}
	if yaml, kept := run("http://127.0.0.1:1111", false); kept || string(yaml) != string(gen("http://127.0.0.1:1111")) {
		t.Fatalf("first run: kept %v, config %q", kept, yaml)
	}
	// Unedited: regenerated for the new address.
	if yaml, kept := run("http://127.0.0.1:2222", false); kept || string(yaml) != string(gen("http://127.0.0.1:2222")) {
		t.Errorf("unedited config: kept %v, config %q", kept, yaml)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "previous", demoStore)); string(b) != "http://127.0.0.1:1111" {
		t.Errorf("previous/ holds %q, want the first run's store", b)
	}
	// Edited: kept on disk, run against the new address.
	edited := append(gen("http://127.0.0.1:2222"), "# my rule\n"...)
	os.WriteFile(cfgPath, edited, 0o644)
	yaml, kept := run("http://127.0.0.1:3333", false)
	if !kept || !strings.Contains(string(yaml), "# my rule") || !strings.Contains(string(yaml), "http://127.0.0.1:3333/a/feed.xml") {
		t.Errorf("edited config: kept %v, config %q", kept, yaml)
	}
	if b, _ := os.ReadFile(cfgPath); string(b) != string(edited) {
		t.Errorf("the edited config.yaml was rewritten: %q", b)
	}
	// Still edited on the next run: the marker remembers the address on disk.
	if yaml, kept := run("http://127.0.0.1:4444", false); !kept || !strings.Contains(string(yaml), "http://127.0.0.1:4444/a/feed.xml") {
		t.Errorf("edited config, third run: kept %v, config %q", kept, yaml)
	}
	// -fresh: regenerated, previous results gone.
	if yaml, kept := run("http://127.0.0.1:5555", true); kept || strings.Contains(string(yaml), "# my rule") {
		t.Errorf("-fresh: kept %v, config %q", kept, yaml)
	}
	if _, err := os.Stat(filepath.Join(dir, "previous")); err == nil {
		t.Error("-fresh left previous/")
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	if _, err := prepareDemoDir(other, false); err == nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "new or empty directory") {
		t.Errorf("a non-demo directory: %v", err)
	}
}
