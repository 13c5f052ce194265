package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/notify/slackfake"
	"github.com/silencewatch/silencewatch/store"
)

// builtBinary is the silencewatch command built once for the test
// process.
type builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// binary is built with -race when the tests run with it; plain never is
// (three processes under the race detector would not keep a cadence on
// two cores, and the races are the unit tests' to find).
var binary, plain builtBinary

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*builtBinary{&binary, &plain} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

func buildBinary(t *testing.T) string { return binary.build(t, raceEnabled) }

func buildPlainBinary(t *testing.T) string { return plain.build(t, false) }

func (b *builtBinary) build(t *testing.T, race bool) string {
	t.Helper()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "silencewatch-bin-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "silencewatch")
		args := []string{"build", "-o", b.path}
		if race {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// logBuffer collects a child's output and says when a line appeared.
type logBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	want  string
	ready chan struct{}
}

func newLog(want string) *logBuffer { return &logBuffer{want: want, ready: make(chan struct{})} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.want != "" && bytes.Contains(l.b.Bytes(), []byte(l.want)) {
		close(l.ready)
		l.want = ""
	}
	return len(p), nil
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// feeds serves one RSS feed per source, with items the test changes.
type feeds struct {
	mu    sync.Mutex
	items map[string][]string
}

func (f *feeds) set(source string, items ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[source] = items
}

func (f *feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	items := f.items[strings.TrimPrefix(r.URL.Path, "/")]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><language>fr</language>%s</channel></rss>`,
		r.URL.Path, strings.Join(items, ""))
}

func item(source, guid, title, body string) string {
	return fmt.Sprintf(`<item><guid>%s</guid><link>https://%s.example/%s</link><title>%s</title><description>%s</description><pubDate>Sat, 06 May 2017 10:00:00 +0200</pubDate></item>`,
		guid, source, guid, title, body)
}

// story is long enough to be recognised as the same story at two outlets.
var story = strings.Repeat("Selon les courriels consultés, le trésorier a demandé de décaler les factures du meeting de Lyon. ", 4)

const crashConfig = `store: %[1]s/sw.db
crawler:
  timeout: 5s
  per_host_delay: 10ms
  failure_report_after: 1000
  allow_private: [127.0.0.0/8]   # the test feed server
slack:
  token: ${SLACK_BOT_TOKEN}
  api_url: %[2]s
  channel: "#election-alerts"
  pace: 20ms
  digest: {threshold: 4, interval: 10m, batch: 3}
sources:
  - {name: alpha, url: "%[3]s/alpha", every: 1s, min_every: 1s, max_every: 1s, silence_every: 1s}
  - {name: beta, url: "%[3]s/beta", every: 1s, min_every: 1s, max_every: 1s, silence_every: 1s}
  - {name: gamma, url: "%[3]s/gamma", every: 1s, min_every: 1s, max_every: 1s, silence_every: 1s}
` + testElectionYAML

// crashPoint is a moment to kill the process at: when a call matching
// match reaches Slack, hold its answer or stall it (the test then kills
// the process), or, with after, kill it as soon as the answer is sent.
type crashPoint struct {
	name   string
	match  func(slackfake.Call) bool
	action slackfake.Action
	after  bool
	fired  bool
}

type crashPlan struct {
	mu      sync.Mutex
	points  []*crashPoint
	pending *crashPoint // fired, process not yet restarted
	proc    *os.Process
}

func (p *crashPlan) script(c slackfake.Call) slackfake.Action {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil {
		return slackfake.Proceed
	}
	for _, cp := range p.points {
		if !cp.fired && !cp.after && cp.match(c) {
			cp.fired, p.pending = true, cp
			return cp.action
		}
	}
	return slackfake.Proceed
}

func (p *crashPlan) answered(c slackfake.Call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil {
		return
	}
	for _, cp := range p.points {
		if !cp.fired && cp.after && cp.match(c) {
			cp.fired, p.pending = true, cp
			p.proc.Kill() // between Slack's answer and the store write, most likely
			return
		}
	}
}

func (p *crashPlan) state() (pending *crashPoint, left int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cp := range p.points {
		if !cp.fired {
			left++
		}
	}
	return p.pending, left
}

func isPost(c slackfake.Call, prefix string, threaded bool) bool {
	return c.Method == "chat.postMessage" && strings.HasPrefix(c.Key, prefix) && (c.ThreadTS != "") == threaded
}

// TestKillNineExactlyOnce runs the real binary against local feeds and the
// Slack fake and kills it with SIGKILL at each crash point: while a post's
// answer is held (an alert, a digest summary, a digest line), before a
// post lands, and right after Slack answered a post or an edit. It
// restarts the binary on the same store each time. Every alert, reply and
// digest summary must be in the channel exactly once, replies in their
// thread, the digest's lines in its summary's thread, and the first alert
// edited with its outlet count.
func TestKillNineExactlyOnce(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	slack := slackfake.Start(slackfake.Options{Interval: time.Second / 50})
	defer slack.Close()
	channel := slack.AddChannel("election-alerts", false)
	fs := &feeds{items: map[string][]string{}}
	feedSrv := httptest.NewServer(fs)
	defer feedSrv.Close()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(crashConfig, dir, slack.URL, feedSrv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}

	plan := &crashPlan{points: []*crashPoint{
		{name: "alert, answer held", match: func(c slackfake.Call) bool { return isPost(c, "alert:", false) }, action: slackfake.Hold},
		{name: "reply, before it lands", match: func(c slackfake.Call) bool { return isPost(c, "alert:", true) }, action: slackfake.Stall},
		{name: "reply, after the answer", match: func(c slackfake.Call) bool { return isPost(c, "alert:", true) }, after: true},
		{name: "edit, after the answer", match: func(c slackfake.Call) bool { return c.Method == "chat.update" }, after: true},
		{name: "digest summary, answer held", match: func(c slackfake.Call) bool { return isPost(c, "digest:", false) }, action: slackfake.Hold},
		{name: "digest line, answer held", match: func(c slackfake.Call) bool { return isPost(c, "batch:", true) }, action: slackfake.Hold},
		{name: "digest line, after the answer", match: func(c slackfake.Call) bool { return isPost(c, "batch:", true) }, after: true},
	}}
	slack.SetScript(plan.script)
	slack.SetOnAnswered(plan.answered)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sw.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// settled: every alert queued so far is sent, and no edit waits.
	settled := func(min int) bool {
		var total, sent, stale int
		err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE status = 'sent'),
			count(*) FILTER (WHERE refresh_seq > refreshed_seq) FROM alerts`).Scan(&total, &sent, &stale)
		return err == nil && total >= min && sent == total && stale == 0
	}

	// The outlets publish in steps, each once the previous one is
	// delivered: a first alert; a new version of it and the same story at
	// another outlet (two replies in its thread, and an edit). Then a burst
	// of six is left in the store unevaluated, as a crash between storing
	// and evaluating leaves it: the restart evaluates it before delivering,
	// so the six wait at once, more than the threshold of four, and become
	// a digest summary with two lines (three findings each) in its thread.
	stage := 0
	advance := func() {
		switch {
		case stage == 0:
			fs.set("alpha", item("alpha", "a1", "Ce que disent les courriels", story))
		case stage == 1 && settled(1):
			fs.set("alpha", item("alpha", "a1", "Ce que disent les courriels", story+" Mise à jour : un passage a été retiré."))
			fs.set("beta", item("beta", "b1", "Les courriels du trésorier", story))
		case stage == 3 && settled(9):
		default:
			return
		}
		stage++
	}
	burst := func() {
		st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "sw.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		pub := time.Date(2017, 5, 6, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))
		for i := range 6 {
			a := &article.Article{Source: "gamma", GUID: fmt.Sprintf("g%d", i), URL: fmt.Sprintf("https://gamma.example/g%d", i),
				Title: fmt.Sprintf("Courriels, épisode %d", i), Language: "fr", PublishedAt: pub, FirstSeenAt: time.Now(),
				Summary: fmt.Sprintf("Épisode %d : selon les courriels, la réunion numéro %d a été déplacée.", i, i)}
			if _, err := st.SaveArticle(context.Background(), a, store.Fetch{URL: feedSrv.URL + "/gamma", FetchedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
	}

	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	restarts := 0
	var stage4 time.Time // when everything published was delivered
	for {
		stderr := newLog("monitor started")
		cmd := exec.Command(bin, "run", "-init", "-listen", "", "-config", cfgPath)
		cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+slack.Token())
		cmd.Stdout, cmd.Stderr = stderr, stderr
		dieWithParent(cmd)
		plan.mu.Lock()
		if err := cmd.Start(); err != nil {
			plan.mu.Unlock()
			t.Fatal(err)
		}
		plan.proc = cmd.Process
		plan.mu.Unlock()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()

		// Wait for a crash point to be reached, or for the scenario to end.
		done, gone := false, false
		for {
			advance()
			pending, left := plan.state()
			if pending != nil && (pending.after || slack.Held() > 0 || slack.Stalled() > 0) {
				break
			}
			if stage == 4 && stage4.IsZero() {
				stage4 = time.Now()
			}
			if stage == 4 && (left == 0 || time.Since(stage4) > 10*time.Second) {
				done = true // every crash point reached, or some never will be
				break
			}
			if stage == 2 && settled(3) {
				break // the burst is stored while the process is down
			}
			select {
			case err := <-exited:
				if pending, _ := plan.state(); pending != nil && pending.after {
					gone = true // killed by the fake's answer hook
					break
				}
				t.Fatalf("silencewatch exited on its own (%v):\n%s", err, stderr.String())
			case <-time.After(20 * time.Millisecond):
			}
			if gone {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("stage %d, crash points left %d, pending %v, after %s:\n%s", stage, left, pending, time.Since(start), stderr.String())
			}
		}
		if done {
			select { // SIGTERM before its handler is installed would kill it
			case <-stderr.ready:
			case err := <-exited:
				t.Fatalf("silencewatch exited on its own (%v):\n%s", err, stderr.String())
			}
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("silencewatch stopped with %v:\n%s", err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, for the log
				<-exited
				t.Fatalf("silencewatch did not stop within 30 s of SIGTERM:\n%s", stderr.String())
			}
			break
		}
		if !gone {
			cmd.Process.Kill()
			<-exited
		}
		restarts++
		plan.mu.Lock()
		if plan.pending == nil {
			burst()
			stage++
			t.Log("killed to leave a burst unevaluated")
		} else {
			t.Logf("killed at %q", plan.pending.name)
		}
		plan.pending = nil
		plan.mu.Unlock()
		// The held or stalled call ends as its connection closes.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := slack.Wait(ctx, func() bool { return slack.Held() == 0 && slack.Stalled() == 0 }); err != nil {
			t.Fatal("a held call outlived the process")
		}
		cancel()
	}
	t.Logf("%d kills and restarts, %s", restarts, time.Since(start).Round(time.Millisecond))

	checkChannel(t, db, slack.Messages(channel))
	for _, cp := range plan.points {
		if !cp.fired {
			t.Errorf("crash point %q never reached", cp.name)
		}
	}
}

// checkChannel compares the channel with the store: each alert in exactly
// one message, each digest summary exactly once with its lines in its
// thread, replies in their root's thread, the root edited.
func checkChannel(t *testing.T, db *sql.DB, msgs []slackfake.Message) {
	t.Helper()
	byKey := map[string][]slackfake.Message{}
	alertMsgs := map[int64]int{}
	for _, m := range msgs {
		key := m.Key()
		if key == "" {
			t.Errorf("a message without a key: %q", m.Text)
			continue
		}
		byKey[key] = append(byKey[key], m)
		if kind, list, ok := strings.Cut(key, ":"); ok && (kind == "alert" || kind == "batch") {
			for _, p := range strings.Split(list, ",") {
				var id int64
				fmt.Sscan(p, &id)
				alertMsgs[id]++
			}
		}
	}
	rows, err := db.Query(`SELECT a.id, a.status, a.message_ts, a.thread_ts, a.digest, ar.source FROM alerts a
		JOIN findings f ON f.id = a.finding_id JOIN articles ar ON ar.id = f.article_id ORDER BY a.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var rootTS string
	n := 0
	for rows.Next() {
		var (
			id                 int64
			status, ts, thread string
			digest             bool
			source             string
		)
		if err := rows.Scan(&id, &status, &ts, &thread, &digest, &source); err != nil {
			t.Fatal(err)
		}
		n++
		if status != "sent" {
			t.Errorf("alert %d is %s", id, status)
		}
		if alertMsgs[id] != 1 {
			t.Errorf("alert %d (%s) is in %d messages, want exactly 1", id, source, alertMsgs[id])
		}
		switch {
		case id == 1:
			rootTS = ts
		case source != "gamma" && thread != rootTS:
			t.Errorf("reply %d (%s) in thread %q, not the first alert's %q", id, source, thread, rootTS)
		case source == "gamma" && !digest:
			t.Errorf("alert %d of the burst not in a digest", id)
		}
	}
	if n != 9 {
		t.Errorf("%d alerts, want 9 (a first alert, 2 replies, 6 in a digest)", n)
	}
	var digests int
	drows, err := db.Query(`SELECT id, ts FROM digests`)
	if err != nil {
		t.Fatal(err)
	}
	defer drows.Close()
	for drows.Next() {
		var id int64
		var ts string
		drows.Scan(&id, &ts)
		digests++
		summary := byKey[fmt.Sprintf("digest:%d", id)]
		if len(summary) != 1 || summary[0].TS != ts {
			t.Errorf("digest %d (ts %q) is in the channel %d times", id, ts, len(summary))
			continue
		}
		lines := 0
		for _, m := range msgs {
			if m.ThreadTS == ts {
				lines++
			}
		}
		if lines != 2 {
			t.Errorf("digest %d has %d lines in its thread, want 2", id, lines)
		}
	}
	if digests != 1 {
		t.Errorf("%d digest summaries recorded, want 1", digests)
	}
	for key, ms := range byKey {
		if len(ms) != 1 {
			t.Errorf("%s posted %d times", key, len(ms))
		}
	}
	if root := byKey["alert:1"]; len(root) == 1 && !strings.Contains(string(root[0].Blocks), "Same story at 2 outlets") {
		t.Errorf("the first alert was not edited with its outlet count: %s", root[0].Blocks)
	}
}

// testElectionYAML is the election and rule of the tests' configs: the
// French second round of 2017 and one rule on "courriels" in its silence.
const testElectionYAML = `elections:
  - id: fr
    name: Présidentielle
    country: FR
    rounds:
      - id: r2
        name: Second tour
        zones:
          - {id: metropole, name: France métropolitaine, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
        windows:
          - {name: silence, description: Silence, start: eve-midnight, end: polls-close}
rules:
  - id: leak-content
    title: Reporting the contents of the leaked data
    severity: high
    windows: [fr/r2/silence]
    match: {term: courriels}
`
