package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/notify/slackfake"
	"github.com/silencewatch/silencewatch/store"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func openStore(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

func sampleFinding(id, source, title string, sev config.Severity) finding.Finding {
	start := time.Date(2017, 5, 6, 0, 0, 0, 0, paris)
	return finding.Finding{
		ID: id, Rule: "leak-content", Title: "Reporting the contents of the leaked data", Severity: sev,
		Reference: "CNCCEP communiqué of 6 May 2017", Election: "fr-pres-2017", Round: "round-2", Window: "silence",
		Zones:       []string{"metropole"},
		ZoneWindows: []finding.ZoneWindow{{Zone: "metropole", ZoneName: "France métropolitaine", TimeZone: "Europe/Paris", Start: start, End: start.Add(44 * time.Hour), Elapsed: "2 h 14 min into"}},
		TimeBasis:   "published", BasisTime: start.Add(134 * time.Minute),
		Article: finding.ArticleRef{URL: "https://" + source + ".example/" + id, Title: title, Source: source,
			PublishedAt: start.Add(134 * time.Minute), FirstSeenAt: start.Add(136 * time.Minute)},
		Evidence: []finding.Evidence{{Kind: "list", Field: article.FieldContent, Text: "selon les courriels", Start: 10, End: 29, Before: "Le parti, ", After: " consultés"}},
	}
}

// seed stores n articles with one finding each, routed to channel, and
// returns their finding row ids.
func seed(t *testing.T, st *store.DB, n int, channel string, body func(i int) string) []int64 {
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
		stored, err := st.SaveFindings(ctx, r.VersionID, []finding.Finding{sampleFinding(fmt.Sprintf("f%04d", i), src, a.Title, config.SeverityHigh)}, routeTo(channel), time.Now())
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

func newOutbox(t *testing.T, st *store.DB, sender Sender, logs *logBuffer) *Outbox {
	return &Outbox{Store: st, Sender: sender, Clock: clock.Real{}, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Pace: 20 * time.Millisecond, DigestThreshold: 20, DigestInterval: time.Minute, DigestBatch: 40,
		Rand: func() float64 { return 0 }}
}

// deliverAll runs delivery passes until nothing is pending, retries
// included (their backoff is short with Rand 0).
func deliverAll(t *testing.T, o *Outbox, st *store.DB) {
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

func assertExactlyOnce(t *testing.T, f *slackfake.Server, st *store.DB) {
	t.Helper()
	counts := alertCounts(f)
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

// TestDeliveredExactlyOnceThroughFailures scripts Slack's failures by the
// number of the post that reached it (after its rate limit), so the same
// posts fail on every run however slow the machine: 500s, a 429, a post
// that lands but is answered 500, and one whose answer never comes.
func TestDeliveredExactlyOnceThroughFailures(t *testing.T) {
	f := newFake(t, -1)
	var scripted429 atomic.Int32
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method != "chat.postMessage" {
			return slackfake.Proceed
		}
		switch c.N {
		case 2, 3, 4:
			return slackfake.Fail500 // Slack fails: back off, retry
		case 5:
			scripted429.Add(1)
			return slackfake.RateLimit
		case 6:
			return slackfake.AcceptThen500 // the post lands but the answer says 500
		case 9:
			return slackfake.Hold // the post lands and the answer never comes
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	seed(t, st, 12, "#alerts", uniqueBody)
	logs := &logBuffer{}
	o := newOutbox(t, st, slackSender(t, f, st, 300*time.Millisecond), logs)
	deliverAll(t, o, st)
	assertExactlyOnce(t, f, st)
	if scripted429.Load() == 0 {
		t.Error("the test did not exercise a 429")
	}
	if n := strings.Count(logs.String(), "not posting it again"); n != 2 {
		t.Errorf("%d alerts recognised as already delivered after a lost answer, want 2 (posts 6 and 9)", n)
	}
}

func TestInvalidAuthKeptAsFailed(t *testing.T) {
	f := newFake(t, 0)
	st, _ := openStore(t)
	seed(t, st, 3, "#alerts", uniqueBody)
	logs := &logBuffer{}
	secret := "xoxb-wrong-SECRET-token"
	o := newOutbox(t, st, NewSlack(config.NewSecret(secret, "test"), f.URL, nil), logs)
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
	o2 := newOutbox(t, st, NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil), logs)
	o2.DeliverDue(context.Background())
	a, _ := st.AlertByID(context.Background(), lastAlertOf(t, st, seed2[0]))
	if a.Status != "failed" || !strings.Contains(a.LastError, "channel_not_found") {
		t.Errorf("unknown channel: %s %q", a.Status, a.LastError)
	}
}

func lastAlertOf(t *testing.T, st *store.DB, findingID int64) int64 {
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.FindingID == findingID {
			return a.ID
		}
	}
	t.Fatalf("no alert for finding %d", findingID)
	return 0
}

// restart stops a delivery pass, closes the store as a dying process
// would, and reopens it.
func reopen(t *testing.T, st *store.DB, path string) *store.DB {
	t.Helper()
	st.Close()
	st2, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	return st2
}

// TestRestartWithPendingOutbox stops delivery while a post is in flight
// (it reaches Slack, the answer never comes back), then restarts with a
// new outbox and a new sender (nothing in memory) on the same store. The
// channel is configured by name: after the restart the history is read
// by the id kept in the store, the post is found, nothing is sent twice.
func TestRestartWithPendingOutbox(t *testing.T) {
	f := newFake(t, -1)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.postMessage" && c.N == 4 {
			return slackfake.Hold
		}
		return slackfake.Proceed
	})
	st, path := openStore(t)
	seed(t, st, 10, "#alerts", uniqueBody)
	ctx, cancel := context.WithCancel(context.Background())
	first := newOutbox(t, st, slackSender(t, f, st, 10*time.Second), &logBuffer{})
	done := make(chan struct{})
	go func() { first.DeliverDue(ctx); close(done) }()
	waitFake(t, f, "the 4th post held", func() bool { return f.Held() == 1 })
	cancel() // the process stops with the 4th post's answer outstanding
	<-done

	st2 := reopen(t, st, path)
	// Slack's channel list is unavailable at the restart: the stored id
	// serves.
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "conversations.list" {
			return slackfake.Fail500
		}
		return slackfake.Proceed
	})
	logs := &logBuffer{}
	second := newOutbox(t, st2, slackSender(t, f, st2, 10*time.Second), logs)
	// As after kill -9: the held alert is due at once, so the first thing
	// the new process does is look for it (no post has taught it anything).
	second.Clock = laterClock{time.Minute}
	deliverAll(t, second, st2)
	assertExactlyOnce(t, f, st2)
	if n := len(f.AllMessages()); n != 10 {
		t.Errorf("%d messages for 10 alerts", n)
	}
	if !strings.Contains(logs.String(), "not posting it again") {
		t.Errorf("the held post was not found after the restart: %s", logs.String())
	}
}

// laterClock is the real clock shifted forward.
type laterClock struct{ d time.Duration }

func (c laterClock) Now() time.Time                       { return time.Now().Add(c.d) }
func (c laterClock) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }

func saveStory(t *testing.T, st *store.DB, source, guid, content, findingKey string) {
	t.Helper()
	ctx := context.Background()
	a := &article.Article{Source: source, GUID: guid, URL: "https://" + source + ".example/" + guid, Title: "T " + guid, Content: content, FirstSeenAt: time.Now()}
	r, err := st.SaveArticle(ctx, a, store.Fetch{FetchedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveFindings(ctx, r.VersionID, []finding.Finding{sampleFinding(findingKey, source, a.Title, config.SeverityHigh)}, routeTo("#alerts"), time.Now()); err != nil {
		t.Fatal(err)
	}
}

var story = strings.Repeat("Selon les courriels consultés, le trésorier a demandé de décaler les factures du meeting. ", 5)

func TestThreadsAndSyndication(t *testing.T) {
	f := newFake(t, -1)
	st, _ := openStore(t)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	saveStory(t, st, "lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	saveStory(t, st, "lemonde", "a1", story+" Mise à jour : le passage a été retiré.", "k1") // a new version
	saveStory(t, st, "lefigaro", "b7", story, "k2")                                          // the same story elsewhere
	saveStory(t, st, "liberation", "c3", story, "k3")
	deliverAll(t, o, st)
	msgs := f.Messages(channelOf(t, f, "#alerts"))
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
	if root.Key() != msgs[0].Key() || root.Key() == "" {
		t.Errorf("the edit lost the alert's metadata key")
	}
}

// TestLaunderingAlertsInChannel: a crossing alert about an article
// already alerted is posted in the channel, where staff see it, not in
// the article's thread as an edit is; it is posted once however often the
// outbox runs.
func TestLaunderingAlertsInChannel(t *testing.T) {
	f := newFake(t, -1)
	st, _ := openStore(t)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	ctx := context.Background()
	saveStory(t, st, "lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	fs, err := st.Findings(ctx)
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings %d, %v", len(fs), err)
	}
	detail := "First report of #Leaks's contents by a national outlet (lemonde).\nRelay chain:\n• board (leak-site) · Fri 20:50 CEST\n• lemonde (national) · Sat 09:50 CEST · reuses 40 words of the one above"
	if _, err := st.QueueArticleAlert(ctx, fs[0].ArticleID, "crossing", detail, "leaks", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.QueueArticleAlert(ctx, fs[0].ArticleID, "edited", "diff", "v2", time.Now()); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, o, st)
	deliverAll(t, o, st)
	msgs := f.Messages(channelOf(t, f, "#alerts"))
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want the alert, the crossing and the edit", len(msgs))
	}
	var crossing, edited int
	for _, m := range msgs[1:] {
		switch {
		case strings.Contains(m.Text, "Crossing"):
			crossing++
			if m.ThreadTS != "" {
				t.Errorf("crossing posted in a thread (%s), not in the channel", m.ThreadTS)
			}
			if !strings.Contains(string(m.Blocks), "board (leak-site)") {
				t.Errorf("crossing without its chain: %s", m.Blocks)
			}
		case strings.Contains(m.Text, "Edited"):
			edited++
			if m.ThreadTS != msgs[0].TS {
				t.Errorf("edit not in the alert's thread")
			}
		}
	}
	if crossing != 1 || edited != 1 {
		t.Errorf("crossing %d, edited %d messages", crossing, edited)
	}

	// In a flood the findings go to a digest, the velocity alert on its own.
	for i := range 25 {
		saveStory(t, st, "fringe", fmt.Sprintf("f%d", i), fmt.Sprintf("%s %d", story, i), fmt.Sprintf("f%d", i))
	}
	if _, err := st.QueueArticleAlert(ctx, fs[0].ArticleID, "velocity", "5 outlets reported #Leaks's contents within 1h: a, b, c, d, e", "leaks/1", time.Now()); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, o, st)
	var digests, velocity int
	for _, m := range f.Messages(channelOf(t, f, "#alerts")) {
		switch {
		case strings.HasPrefix(m.Key(), "digest:"):
			digests++
		case strings.Contains(m.Text, "Spreading fast"):
			velocity++
			if m.ThreadTS != "" {
				t.Errorf("velocity alert posted in a thread")
			}
		}
	}
	if digests != 1 || velocity != 1 {
		t.Errorf("%d digest summaries and %d velocity messages, want 1 and 1", digests, velocity)
	}
}

// TestEditRateLimitedIsRetried: Slack answers the first chat.update with
// 429; the edit is sent again after Retry-After, so the "same story at N
// outlets" count does not go stale.
func TestEditRateLimitedIsRetried(t *testing.T) {
	f := newFake(t, -1)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.update" && c.N == 1 {
			return slackfake.RateLimit
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	saveStory(t, st, "lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	saveStory(t, st, "lefigaro", "b7", story, "k2")
	deliverAll(t, o, st)
	root := f.Messages(channelOf(t, f, "#alerts"))[0]
	if f.Calls("chat.update") != 2 || root.Updates != 1 || !strings.Contains(string(root.Blocks), "Same story at 2 outlets") {
		t.Errorf("%d update calls, %d updates: the 429'd edit was not sent again: %s", f.Calls("chat.update"), root.Updates, root.Blocks)
	}
	if as, _ := st.PendingRefreshes(context.Background()); len(as) != 0 {
		t.Errorf("%d alerts still marked for an edit", len(as))
	}
}

// TestReplyInOldThreadNotPostedTwice: the root alert is ten minutes old,
// older than the history window of the attempt; a reply in its thread
// lands but its answer is lost, and the process restarts. The reply is
// looked for in the thread (conversations.replies), not only in the
// channel's recent history, and is not posted twice.
func TestReplyInOldThreadNotPostedTwice(t *testing.T) {
	f := newFake(t, -1)
	f.SetNow(func() time.Time { return time.Now().Add(-10 * time.Minute) })
	st, path := openStore(t)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	saveStory(t, st, "lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	f.SetNow(time.Now)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.postMessage" && c.ThreadTS != "" {
			return slackfake.Hold
		}
		return slackfake.Proceed
	})
	saveStory(t, st, "lemonde", "a1", story+" Mise à jour.", "k1") // a follow-up in the root's thread
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.DeliverDue(ctx); close(done) }()
	waitFake(t, f, "the reply held", func() bool { return f.Held() == 1 })
	cancel()
	<-done
	f.SetScript(nil)

	st2 := reopen(t, st, path)
	logs := &logBuffer{}
	deliverAll(t, newOutbox(t, st2, slackSender(t, f, st2, time.Second), logs), st2)
	assertExactlyOnce(t, f, st2)
	if !strings.Contains(logs.String(), "not posting it again") {
		t.Errorf("the reply was not found in its thread: %s", logs.String())
	}
}

// TestDigestSummaryCrash: the process dies while the digest summary's
// answer is outstanding. After the restart the summary is found in the
// channel by its key: there is one summary, and every finding is listed
// in its thread.
func TestDigestSummaryCrash(t *testing.T) {
	f := newFake(t, -1)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.postMessage" && strings.HasPrefix(c.Key, "digest:") {
			return slackfake.Hold
		}
		return slackfake.Proceed
	})
	st, path := openStore(t)
	seed(t, st, 25, "#alerts", uniqueBody)
	o := newOutbox(t, st, slackSender(t, f, st, 10*time.Second), &logBuffer{})
	o.DigestBatch = 10
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.DeliverDue(ctx); close(done) }()
	waitFake(t, f, "the summary held", func() bool { return f.Held() == 1 })
	cancel()
	<-done
	f.SetScript(nil)

	st2 := reopen(t, st, path)
	logs := &logBuffer{}
	o2 := newOutbox(t, st2, slackSender(t, f, st2, 10*time.Second), logs)
	o2.DigestBatch = 10
	deliverAll(t, o2, st2)
	assertExactlyOnce(t, f, st2)
	var summaries []slackfake.Message
	msgs := f.Messages(channelOf(t, f, "#alerts"))
	for _, m := range msgs {
		if strings.HasPrefix(m.Key(), "digest:") {
			summaries = append(summaries, m)
		}
	}
	if len(summaries) != 1 {
		t.Fatalf("%d digest summaries, want 1", len(summaries))
	}
	for _, m := range msgs {
		if strings.HasPrefix(m.Key(), "batch:") && m.ThreadTS != summaries[0].TS {
			t.Errorf("batch %s not in the summary's thread", m.Key())
		}
	}
	as, _ := st2.Alerts(context.Background())
	for _, a := range as {
		if a.ThreadTS != summaries[0].TS {
			t.Errorf("alert %d recorded under %q, not the summary", a.ID, a.ThreadTS)
		}
	}
}

// TestFlood sends 2,000 findings to one channel in a burst, against a
// fake that allows one message per interval: digest mode must deliver all
// of them, each exactly once, in fewer than 100 messages, each reachable
// from a digest. The interval is 1 s with SILENCEWATCH_REAL_PACE=1, else
// 100 ms (the same test ten times faster). Paced from Slack's answers, it
// draws no 429.
func TestFlood(t *testing.T) {
	interval := 100 * time.Millisecond
	if realPace() {
		interval = time.Second
	}
	f := newFake(t, interval)
	st, _ := openStore(t)
	seed(t, st, 2000, "#flood", uniqueBody)
	o := newOutbox(t, st, slackSender(t, f, st, 5*time.Second, "#flood"), &logBuffer{})
	o.Pace = interval
	start := time.Now()
	deliverAll(t, o, st)
	msgs := f.Messages(channelOf(t, f, "#flood"))
	t.Logf("2000 findings delivered in %d messages, %s, %d answered 429", len(msgs), time.Since(start).Round(time.Millisecond), f.RateLimited())
	if len(msgs) >= 100 {
		t.Errorf("%d messages, want fewer than 100", len(msgs))
	}
	if f.RateLimited() != 0 {
		t.Errorf("%d posts answered 429 although paced at Slack's rate", f.RateLimited())
	}
	assertExactlyOnce(t, f, st)
	digests := map[string]bool{}
	for _, m := range msgs {
		if strings.HasPrefix(m.Key(), "digest:") {
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

// TestPaceFromAnswer: every other post takes 250 ms to reach Slack. Paced
// from the moment a post is sent, the next one, sent a pace later but
// arriving at once, comes too soon for Slack's one per interval; paced from
// the answer, none does.
func TestPaceFromAnswer(t *testing.T) {
	f := newFake(t, 300*time.Millisecond)
	f.SetLatency(func(n int) time.Duration {
		if n%2 == 1 {
			return 250 * time.Millisecond
		}
		return 0
	})
	st, _ := openStore(t)
	seed(t, st, 6, "#alerts", uniqueBody)
	o := newOutbox(t, st, slackSender(t, f, st, 5*time.Second), &logBuffer{})
	o.Pace = 300 * time.Millisecond
	deliverAll(t, o, st)
	assertExactlyOnce(t, f, st)
	if f.RateLimited() != 0 {
		t.Errorf("%d posts answered 429", f.RateLimited())
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
	f := newFake(t, -1)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.postMessage" && c.N <= 30 {
			return slackfake.Fail500
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	seed(t, st, 20, "#alerts", uniqueBody)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	clk := &fastClock{now: time.Now().Add(time.Minute)}
	o.Clock = clk
	o.Rand = func() float64 { return 0.5 }
	for pass := 0; pass < 200; pass++ {
		o.DeliverDue(context.Background())
		clk.Advance(time.Minute)
		if len(alertCounts(f)) == 20 {
			break
		}
	}
	assertExactlyOnce(t, f, st)
	if n := f.Calls("chat.postMessage"); n < 31 {
		t.Errorf("only %d calls: the outage was not exercised", n)
	}
}

// TestHistoryCheckBacksOff: an alert whose answer was lost must be looked
// for before it is sent again, and Slack's history fails for a while:
// first a 429 asking for a second, then 500s. Delivery passes run every
// 100 ms for 20 s; the history is asked with growing gaps, never sooner
// than Retry-After, instead of on every pass.
func TestHistoryCheckBacksOff(t *testing.T) {
	f := newFake(t, -1)
	clk := &fastClock{now: time.Now()}
	var mu sync.Mutex
	var asked []time.Duration
	start := clk.Now()
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		switch {
		case c.Method == "chat.postMessage" && c.N == 1:
			return slackfake.AcceptThen500
		case c.Method == "conversations.history":
			mu.Lock()
			asked = append(asked, clk.Now().Sub(start))
			mu.Unlock()
			if c.N == 1 {
				return slackfake.RateLimit
			}
			if c.N < 6 {
				return slackfake.Fail500
			}
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	seed(t, st, 1, "#alerts", uniqueBody)
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	o.Clock, o.Pace = clk, 0
	for clk.Now().Sub(start) < 20*time.Second {
		o.DeliverDue(context.Background())
		clk.Advance(100 * time.Millisecond)
	}
	assertExactlyOnce(t, f, st)
	mu.Lock()
	defer mu.Unlock()
	if len(asked) < 3 || len(asked) > 8 {
		t.Fatalf("history asked %d times in 20 s: %v", len(asked), asked)
	}
	if gap := asked[1] - asked[0]; gap < time.Second {
		t.Errorf("asked again %s after a 429 with Retry-After: 1", gap)
	}
	for i := 2; i < len(asked)-1; i++ {
		if asked[i+1]-asked[i] < asked[i]-asked[i-1] {
			t.Errorf("gaps do not grow: %v", asked)
		}
	}
}

// routeTo routes every finding to the same channels.
func routeTo(channels ...string) store.Route {
	return func(*finding.Finding) []string { return channels }
}
