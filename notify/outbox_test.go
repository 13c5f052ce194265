package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func openStore(t *testing.T) (*store.SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func finding(id, source, title string, sev config.Severity) rules.Finding {
	start := time.Date(2017, 5, 6, 0, 0, 0, 0, paris)
	return rules.Finding{
		ID: id, Rule: "leak-content", Title: "Reporting the contents of the leaked data", Severity: sev,
		Reference: "CNCCEP communiqué of 6 May 2017", Election: "fr-pres-2017", Round: "round-2", Window: "silence",
		Zones:       []string{"metropole"},
		ZoneWindows: []rules.ZoneWindow{{Zone: "metropole", ZoneName: "France métropolitaine", TimeZone: "Europe/Paris", Start: start, End: start.Add(44 * time.Hour), Elapsed: "2 h 14 min into"}},
		TimeBasis:   "published", BasisTime: start.Add(134 * time.Minute),
		Article: rules.ArticleRef{URL: "https://" + source + ".example/" + id, Title: title, Source: source,
			PublishedAt: start.Add(134 * time.Minute), FirstSeenAt: start.Add(136 * time.Minute)},
		Evidence: []rules.Evidence{{Kind: "list", Field: article.FieldContent, Text: "selon les courriels", Start: 10, End: 29, Before: "Le parti, ", After: " consultés"}},
	}
}

// seed stores n articles with one finding each, routed to channel, and
// returns their finding row ids.
func seed(t *testing.T, st *store.SQLite, n int, channel string, body func(i int) string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i := 0; i < n; i++ {
		src := fmt.Sprintf("outlet%d", i%7)
		a := &article.Article{Source: src, GUID: fmt.Sprintf("g%d", i), URL: fmt.Sprintf("https://%s.example/%d", src, i),
			Title: fmt.Sprintf("Article %d", i), Content: body(i), FirstSeenAt: time.Now()}
		r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := st.SaveFindings(ctx, r.VersionID, []rules.Finding{finding(fmt.Sprintf("f%04d", i), src, a.Title, config.SeverityHigh)}, store.To(channel), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, stored[0].ID)
	}
	return ids
}

func uniqueBody(i int) string { return fmt.Sprintf("Texte propre à l'article %d.", i) }

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newOutbox(t *testing.T, st *store.SQLite, sender Sender, logs *logBuffer) *Outbox {
	return &Outbox{Store: st, Sender: sender, Clock: clock.Real{}, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Pace: 20 * time.Millisecond, DigestThreshold: 20, DigestInterval: time.Minute, DigestBatch: 40,
		Rand: func() float64 { return 0 }}
}

func slackSender(f *fakeSlack, timeout time.Duration) *Slack {
	return NewSlack(config.NewSecret(f.token, "test"), f.URL(), &http.Client{Timeout: timeout})
}

// deliverAll runs delivery passes until nothing is pending, retries
// included (their backoff is short with Rand 0).
func deliverAll(t *testing.T, o *Outbox, st *store.SQLite) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		o.DeliverDue(context.Background())
		as, _ := st.Alerts(context.Background())
		pending := 0
		for _, a := range as {
			if a.Status == "pending" {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d alerts still pending", pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func assertExactlyOnce(t *testing.T, f *fakeSlack, st *store.SQLite) {
	t.Helper()
	counts := f.alertCounts()
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.Status != "sent" {
			t.Errorf("alert %d is %s (%s)", a.ID, a.Status, a.LastError)
		}
		if counts[a.ID] != 1 {
			t.Errorf("alert %d reached Slack %d times, want exactly 1", a.ID, counts[a.ID])
		}
	}
}

func TestDeliveredExactlyOnceThroughFailures(t *testing.T) {
	f := newFakeSlack(t, 10*time.Millisecond)
	f.script = func(call int, ch string) string {
		switch call {
		case 2, 3, 4:
			return "500" // Slack fails: back off, retry
		case 6:
			return "accept-then-fail" // the post lands but the answer says 500
		case 9:
			return "hang" // the post lands and the answer never comes
		}
		return ""
	}
	st, _ := openStore(t)
	seed(t, st, 12, "#alerts", uniqueBody)
	logs := &logBuffer{}
	o := newOutbox(t, st, slackSender(f, 300*time.Millisecond), logs)
	o.Pace = 0 // let the fake's rate limit answer 429s
	deliverAll(t, o, st)
	assertExactlyOnce(t, f, st)
	if f.n429 == 0 {
		t.Error("the test did not exercise a 429")
	}
	if !strings.Contains(logs.String(), "not posting it again") {
		t.Error("no alert was recognised as already delivered after a lost answer")
	}
}

func TestInvalidAuthKeptAsFailed(t *testing.T) {
	f := newFakeSlack(t, 0)
	st, _ := openStore(t)
	seed(t, st, 3, "#alerts", uniqueBody)
	logs := &logBuffer{}
	secret := "xoxb-wrong-SECRET-token"
	o := newOutbox(t, st, NewSlack(config.NewSecret(secret, "test"), f.URL(), nil), logs)
	o.DeliverDue(context.Background())
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.Status != "failed" || !strings.Contains(a.LastError, "invalid_auth") {
			t.Errorf("alert %d: %s %q", a.ID, a.Status, a.LastError)
		}
	}
	if !strings.Contains(logs.String(), "ALERT NOT DELIVERED") {
		t.Error("no loud log for a refused alert")
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the token appears in the logs")
	}
	// Unknown channel: also permanent, also kept.
	seed2 := seed(t, st, 1, "#unknown", func(int) string { return "x" })
	o2 := newOutbox(t, st, slackSender(f, time.Second), logs)
	o2.DeliverDue(context.Background())
	a, _ := st.AlertByID(context.Background(), lastAlertOf(t, st, seed2[0]))
	if a.Status != "failed" || !strings.Contains(a.LastError, "channel_not_found") {
		t.Errorf("unknown channel: %s %q", a.Status, a.LastError)
	}
}

func lastAlertOf(t *testing.T, st *store.SQLite, findingID int64) int64 {
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.FindingID == findingID {
			return a.ID
		}
	}
	t.Fatalf("no alert for finding %d", findingID)
	return 0
}

// TestRestartWithPendingOutbox stops delivery while a post is in flight
// (it reaches Slack, the answer never comes back), then restarts with a
// new outbox on the same store: the rest is delivered, nothing twice.
func TestRestartWithPendingOutbox(t *testing.T) {
	f := newFakeSlack(t, 0)
	f.script = func(call int, ch string) string {
		if call == 4 {
			return "hang"
		}
		return ""
	}
	st, path := openStore(t)
	seed(t, st, 10, "#alerts", uniqueBody)
	ctx, cancel := context.WithCancel(context.Background())
	first := newOutbox(t, st, slackSender(f, 10*time.Second), &logBuffer{})
	done := make(chan struct{})
	go func() { first.DeliverDue(ctx); close(done) }()
	for f.snapshot() == nil || len(f.snapshot()) < 4 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // the process stops with the 4th post's answer outstanding
	<-done
	st.Close()

	st2, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	second := newOutbox(t, st2, slackSender(f, 10*time.Second), &logBuffer{})
	deliverAll(t, second, st2)
	assertExactlyOnce(t, f, st2)
	if n := len(f.snapshot()); n != 10 {
		t.Errorf("%d messages for 10 alerts", n)
	}
}

func TestThreadsAndSyndication(t *testing.T) {
	f := newFakeSlack(t, 0)
	st, _ := openStore(t)
	ctx := context.Background()
	story := strings.Repeat("Selon les courriels consultés, le trésorier a demandé de décaler les factures du meeting. ", 5)
	save := func(source, guid, content, findingKey string) {
		a := &article.Article{Source: source, GUID: guid, URL: "https://" + source + ".example/" + guid, Title: "T " + guid, Content: content, FirstSeenAt: time.Now()}
		r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveFindings(ctx, r.VersionID, []rules.Finding{finding(findingKey, source, a.Title, config.SeverityHigh)}, store.To("#alerts"), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	o := newOutbox(t, st, slackSender(f, time.Second), &logBuffer{})
	save("lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	save("lemonde", "a1", story+" Mise à jour : le passage a été retiré.", "k1") // a new version
	save("lefigaro", "b7", story, "k2")                                          // the same story elsewhere
	save("liberation", "c3", story, "k3")
	deliverAll(t, o, st)
	msgs := f.snapshot()
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 1 alert and 3 replies", len(msgs))
	}
	root := msgs[0]
	for _, m := range msgs[1:] {
		if m.ThreadTS != root.TS {
			t.Errorf("message %q not in the first alert's thread", m.Text)
		}
	}
	if !strings.Contains(msgs[1].Text, "Follow-up") || !strings.Contains(msgs[2].Text, "Same story") {
		t.Errorf("reply texts: %q / %q", msgs[1].Text, msgs[2].Text)
	}
	if root.Updates == 0 || !strings.Contains(string(root.Blocks), "Same story at 3 outlets") {
		t.Errorf("first alert not updated with the outlet count (updates %d): %s", root.Updates, root.Blocks)
	}
}

// TestFlood sends 2,000 findings to one channel in a burst, against a
// fake that allows one message per interval: digest mode must deliver all
// of them, each exactly once, in fewer than 100 messages, each reachable
// from a digest. The interval is 1 s with SILENCEWATCH_REAL_PACE=1, else
// 100 ms (the same test ten times faster).
func TestFlood(t *testing.T) {
	interval := 100 * time.Millisecond
	if realPace() {
		interval = time.Second
	}
	f := newFakeSlack(t, interval)
	st, _ := openStore(t)
	seed(t, st, 2000, "#flood", uniqueBody)
	o := newOutbox(t, st, slackSender(f, 5*time.Second), &logBuffer{})
	o.Pace = interval
	start := time.Now()
	deliverAll(t, o, st)
	msgs := f.snapshot()
	t.Logf("2000 findings delivered in %d messages, %s, %d answered 429", len(msgs), time.Since(start).Round(time.Millisecond), f.n429)
	if len(msgs) >= 100 {
		t.Errorf("%d messages, want fewer than 100", len(msgs))
	}
	assertExactlyOnce(t, f, st)
	digests := map[string]bool{}
	for _, m := range msgs {
		if strings.HasPrefix(m.Key, "digest:") {
			digests[m.TS] = true
		}
	}
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if !a.Digest || !digests[a.ThreadTS] {
			t.Fatalf("alert %d not reachable from a digest (thread %q)", a.ID, a.ThreadTS)
		}
	}
}

func realPace() bool { return strings.TrimSpace(getenv("SILENCEWATCH_REAL_PACE")) == "1" }

var getenv = os.Getenv

// fastClock moves time forward instead of waiting: every timer fires at
// once, having advanced the clock by its duration.
type fastClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fastClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fastClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
func (c *fastClock) NewTimer(d time.Duration) clock.Timer {
	c.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return firedTimer{ch}
}

type firedTimer struct{ ch chan time.Time }

func (t firedTimer) C() <-chan time.Time { return t.ch }
func (t firedTimer) Stop() bool          { return false }

// TestSlackOutage: Slack answers 500 to the first 30 calls. Every alert
// is delivered once Slack is back, none twice.
func TestSlackOutage(t *testing.T) {
	f := newFakeSlack(t, 0)
	f.script = func(call int, ch string) string {
		if call <= 30 {
			return "500"
		}
		return ""
	}
	st, _ := openStore(t)
	seed(t, st, 20, "#alerts", uniqueBody)
	o := newOutbox(t, st, slackSender(f, time.Second), &logBuffer{})
	clk := &fastClock{now: time.Now().Add(time.Minute)}
	o.Clock = clk
	o.Rand = func() float64 { return 0.5 }
	for pass := 0; pass < 200; pass++ {
		o.DeliverDue(context.Background())
		clk.Advance(time.Minute)
		if len(f.alertCounts()) == 20 {
			break
		}
	}
	assertExactlyOnce(t, f, st)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls < 31 {
		t.Errorf("only %d calls: the outage was not exercised", f.calls)
	}
}
