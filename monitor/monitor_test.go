package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/notify"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

const rulesYAML = `
elections:
  - id: fr
    rounds:
      - id: r2
        zones:
          - {id: metropole, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
        windows:
          - {name: silence, start: eve-midnight, end: polls-close}
rules:
  - id: leak
    title: Leak content
    severity: high
    windows: [fr/r2/silence]
    match: {all: [{term: "#MacronLeaks"}, {phrase: selon les courriels}]}
`

// feed is an httptest feed whose answer each test scripts.
type feed struct {
	mu      sync.Mutex
	handler func(w http.ResponseWriter, r *http.Request, n int)
	n       int
	srv     *httptest.Server
}

func newFeed(t testing.TB, h func(w http.ResponseWriter, r *http.Request, n int)) *feed {
	f := &feed{handler: h}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.n++
		n := f.n
		f.mu.Unlock()
		f.handler(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func rss(items ...string) string {
	return `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>` + strings.Join(items, "") + `</channel></rss>`
}

func rssItem(guid, text string) string {
	return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><description>%s</description><pubDate>Sat, 06 May 2017 10:00:00 +0200</pubDate></item>`, guid, guid, text)
}

type harness struct {
	m     *Monitor
	st    *store.DB
	name  string
	feedN func() int
}

func newHarness(t testing.TB, f *feed) *harness {
	t.Helper()
	yaml := fmt.Sprintf("sources:\n  - {name: src, url: %q}\n%s", f.srv.URL, rulesYAML)
	cfg, err := config.Parse("test.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engine, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Config: cfg, Store: st, Engine: engine,
		Fetcher:  crawler.NewFetcher(crawler.FetcherOptions{Timeout: 2 * time.Second, AllowPrivate: loopback}),
		Delivery: notify.New(notify.Options{Store: st, Clock: clock.Real{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: io.Discard}),
		Clock:    clock.Real{},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)), Rand: func() float64 { return 0.5 }})
	return &harness{m: m, st: st, name: "src", feedN: func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.n }}
}

func (h *harness) poll(t *testing.T) (time.Time, store.SourceState) {
	t.Helper()
	next := h.m.poll(context.Background(), h.name)
	st, _, err := h.st.SourceState(context.Background(), h.name)
	if err != nil {
		t.Fatal(err)
	}
	return next, st
}

func (h *harness) events(t *testing.T, kind string) []store.Event {
	t.Helper()
	evs, err := h.st.Events(context.Background(), h.name)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func TestChangedItemIsStoredAndReevaluated(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		text := "Un article sans histoire."
		if n >= 2 {
			text = "Les #MacronLeaks : selon les courriels, tout est prêt."
		}
		io.WriteString(w, rss(rssItem("g1", text)))
	})
	h := newHarness(t, f)
	h.poll(t)
	fs, _ := h.st.Findings(context.Background())
	if len(fs) != 0 {
		t.Fatalf("first version flagged: %+v", fs)
	}
	h.poll(t) // the outlet edits the item: a new version, evaluated again
	h.poll(t) // unchanged: nothing new
	fs, _ = h.st.Findings(context.Background())
	if len(fs) != 1 || fs[0].Finding.Rule != "leak" {
		t.Fatalf("want one finding on the edited version, got %d", len(fs))
	}
	if got := h.m.opts.Metrics.sources.value("src", seriesItems, "changed"); got != 1 {
		t.Errorf("changed items = %v", got)
	}
}

func TestGapEvent(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		var items []string
		for i := 0; i < 5; i++ { // every poll shows five entirely new items
			items = append(items, rssItem(fmt.Sprintf("p%d-i%d", n, i), "brève"))
		}
		io.WriteString(w, rss(items...))
	})
	h := newHarness(t, f)
	h.poll(t)
	if len(h.events(t, "gap")) != 0 {
		t.Fatal("no gap can be known on a first poll")
	}
	_, st := h.poll(t)
	gaps := h.events(t, "gap")
	if len(gaps) != 1 || !strings.Contains(gaps[0].Detail, "no item in common") {
		t.Fatalf("want one gap event, got %+v", gaps)
	}
	// Most items were new: the source is polled faster.
	if st.Interval >= 5*time.Minute {
		t.Errorf("interval %s: want faster than the 5m cadence", st.Interval)
	}
}

func TestFailuresBackOffAreReportedAndRecover(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 4 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, rss(rssItem("g1", "ok")))
	})
	h := newHarness(t, f)
	var gaps []time.Duration
	for i := 0; i < 4; i++ {
		next, st := h.poll(t)
		if st.Failures != i+1 {
			t.Fatalf("poll %d: %d consecutive failures", i+1, st.Failures)
		}
		gaps = append(gaps, time.Until(next))
	}
	if !(gaps[1] > gaps[0] && gaps[2] > gaps[1]) {
		t.Errorf("backoff does not grow: %v", gaps)
	}
	if n := len(h.events(t, "failing")); n != 1 {
		t.Errorf("%d failing events, want 1 (reported once, at the third failure)", n)
	}
	_, st := h.poll(t)
	if st.Failures != 0 || len(h.events(t, "recovered")) != 1 {
		t.Errorf("after recovery: failures %d, recovered events %d", st.Failures, len(h.events(t, "recovered")))
	}
	if got := h.m.opts.Metrics.sources.value("src", seriesFetches, "http_status"); got != 4 {
		t.Errorf("failed fetch metric %v", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	h := newHarness(t, f)
	next, _ := h.poll(t)
	if d := time.Until(next); d < 9*time.Minute {
		t.Errorf("next poll in %s, want at least the 10 minutes asked", d)
	}
}

func TestNotModifiedIsNotParsed(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, rss(rssItem("g1", "x")))
	})
	h := newHarness(t, f)
	h.poll(t)
	_, st := h.poll(t)
	if st.ETag != `"v1"` || st.Failures != 0 || st.LastSuccessAt.IsZero() {
		t.Errorf("state after 304: %+v", st)
	}
	if got := h.m.opts.Metrics.sources.value("src", seriesFetches, "not_modified"); got != 1 {
		t.Errorf("not_modified = %v", got)
	}
	if got := h.m.opts.Metrics.sources.value("src", seriesItems, "seen"); got != 0 {
		t.Errorf("a 304 was parsed: %v items seen", got)
	}
}

func TestLyingValidatorsFallBackToFullGets(t *testing.T) {
	var mu sync.Mutex
	conditionalAfterOff := 0
	off := false
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		if off && r.Header.Get("If-None-Match") != "" {
			conditionalAfterOff++
		}
		mu.Unlock()
		// The server's ETag never changes and it answers 304 to it, while
		// the content changes on every full GET: its validators lie.
		if r.Header.Get("If-None-Match") == `"same"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"same"`)
		io.WriteString(w, rss(rssItem(fmt.Sprintf("g%d", n), "texte")))
	})
	h := newHarness(t, f)
	var st store.SourceState
	for i := 0; i < VerifyEvery+2 && !st.ConditionalOff; i++ {
		_, st = h.poll(t)
	}
	if !st.ConditionalOff || len(h.events(t, "validators-unreliable")) != 1 {
		t.Fatalf("validators not found unreliable after %d polls: %+v", h.feedN(), st)
	}
	mu.Lock()
	off = true
	mu.Unlock()
	h.poll(t)
	h.poll(t)
	if conditionalAfterOff != 0 {
		t.Errorf("%d conditional requests after falling back to full GETs", conditionalAfterOff)
	}
}

// loopback lets the tests' httptest servers through the address guard.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
