package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// countingStore is the real store, counting what an ingest writes and
// reads, and failing the next article saves (SaveArticle or SaveArticles
// calls) or SaveSourceState calls when asked.
type countingStore struct {
	*store.DB
	mu                        sync.Mutex
	responses, articles, seen int
	failArticles, failStates  int // how many calls to fail
	failFindings, failMarks   int // the same, for SaveFindings and MarkEvaluated
}

// failNext takes one from *n and says whether the call is to fail.
func (c *countingStore) failNext(n *int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *n > 0 {
		*n--
		return true
	}
	return false
}

func (c *countingStore) SaveFindings(ctx context.Context, versionID int64, fs []finding.Finding, route store.Route, at time.Time) ([]store.StoredFinding, error) {
	if len(fs) > 0 && c.failNext(&c.failFindings) {
		return nil, errors.New("store: save findings: disk I/O error")
	}
	return c.DB.SaveFindings(ctx, versionID, fs, route, at)
}

func (c *countingStore) MarkEvaluated(ctx context.Context, ids []int64, at time.Time) error {
	if c.failNext(&c.failMarks) {
		return errors.New("store: mark versions evaluated: disk I/O error")
	}
	return c.DB.MarkEvaluated(ctx, ids, at)
}

func (c *countingStore) SaveResponse(ctx context.Context, r store.Response) (int64, error) {
	c.mu.Lock()
	c.responses++
	c.mu.Unlock()
	return c.DB.SaveResponse(ctx, r)
}

func (c *countingStore) SaveArticle(ctx context.Context, a *article.Article, f store.Fetch) (store.SaveResult, error) {
	c.mu.Lock()
	c.articles++
	fail := c.failArticles > 0
	if fail {
		c.failArticles--
	}
	c.mu.Unlock()
	if fail {
		return store.SaveResult{}, errors.New("store: save article: disk I/O error")
	}
	return c.DB.SaveArticle(ctx, a, f)
}

func (c *countingStore) SaveArticles(ctx context.Context, as []*article.Article, f store.Fetch, limit int) ([]store.SaveResult, error) {
	c.mu.Lock()
	c.articles += len(as)
	fail := c.failArticles > 0
	if fail {
		c.failArticles--
	}
	c.mu.Unlock()
	if fail {
		return nil, errors.New("store: save articles: disk I/O error")
	}
	return c.DB.SaveArticles(ctx, as, f, limit)
}

func (c *countingStore) SaveSourceState(ctx context.Context, st store.SourceState) error {
	c.mu.Lock()
	fail := c.failStates > 0
	if fail {
		c.failStates--
	}
	c.mu.Unlock()
	if fail {
		return errors.New("store: save source state: disk I/O error")
	}
	return c.DB.SaveSourceState(ctx, st)
}

func (c *countingStore) SeenUnchanged(ctx context.Context, source string, as []*article.Article, onlyNew bool) ([]int64, error) {
	c.mu.Lock()
	c.seen++
	c.mu.Unlock()
	return c.DB.SeenUnchanged(ctx, source, as, onlyNew)
}

// counts is what was written and looked up so far: responses stored,
// articles given to be saved, SeenUnchanged calls.
func (c *countingStore) counts() (responses, articles, seen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.responses, c.articles, c.seen
}

// manualClock stands still until the test moves it.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newCountingHarness is newHarness with a countingStore, and a manual
// clock for the monitor and its fetcher.
func newCountingHarness(t *testing.T, f *feed) (*harness, *countingStore, *manualClock) {
	t.Helper()
	h := newHarness(t, f)
	clk := &manualClock{t: time.Date(2017, 5, 6, 12, 0, 0, 0, time.UTC)}
	cs := &countingStore{DB: h.st}
	h.m.opts.Store = cs
	h.m.opts.Clock = clk
	h.m.opts.Fetcher = crawler.NewFetcher(crawler.FetcherOptions{Timeout: 2 * time.Second, AllowPrivate: loopback, Now: clk.Now})
	return h, cs, clk
}

func (h *harness) fetches(outcome string) float64 {
	return h.m.opts.Metrics.sources.value(h.name, seriesFetches, outcome)
}

// TestUnchangedBodyTakenAsNotModified: a feed without validators answers
// every poll in full. A body identical to the last one ingested is
// neither parsed nor stored again, nor are its items looked up; the
// source's poll times move as after a 304. A changed body is ingested.
func TestUnchangedBodyTakenAsNotModified(t *testing.T) {
	var mu sync.Mutex
	body := rss(rssItem("g1", "un"), rssItem("g2", "deux"))
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, body)
	})
	h, cs, clk := newCountingHarness(t, f)

	_, st1 := h.poll(t)
	if r, a, _ := cs.counts(); r != 1 || a != 2 || h.fetches("ok") != 1 {
		t.Fatalf("first poll: %d responses, %d articles saved, ok = %v; want 1, 2, 1", r, a, h.fetches("ok"))
	}

	clk.advance(time.Minute)
	next, st2 := h.poll(t)
	if got := h.feedN(); got != 2 {
		t.Fatalf("server answered %d requests, want 2", got)
	}
	if r, a, s := cs.counts(); r != 1 || a != 2 || s != 0 {
		t.Errorf("after an unchanged body: %d responses stored, %d articles saved, %d SeenUnchanged calls; want 1, 2, 0", r, a, s)
	}
	if ok, un := h.fetches("ok"), h.fetches("unchanged"); ok != 1 || un != 1 {
		t.Errorf("fetches ok = %v, unchanged = %v; want 1, 1", ok, un)
	}
	if seen := h.m.opts.Metrics.sources.value(h.name, seriesItems, "seen"); seen != 0 {
		t.Errorf("items seen = %v: the unchanged body was parsed", seen)
	}
	now := clk.Now()
	if !st2.LastPollAt.Equal(now) || !st2.LastSuccessAt.Equal(now) || !next.After(now) || !st2.NextPollAt.Equal(next) {
		t.Errorf("state after the unchanged body: last poll %v, last success %v, next %v (returned %v); want %v, %v, after it",
			st2.LastPollAt, st2.LastSuccessAt, st2.NextPollAt, next, now, now)
	}
	if st2.Failures != 0 || len(st2.LastItems) != 2 || st2.LastItems[0] != st1.LastItems[0] {
		t.Errorf("state after the unchanged body: %+v; want no failure and the items kept", st2)
	}

	mu.Lock()
	body = rss(rssItem("g3", "trois"), rssItem("g1", "un"), rssItem("g2", "deux"))
	mu.Unlock()
	clk.advance(time.Minute)
	_, st3 := h.poll(t)
	if r, _, _ := cs.counts(); r != 2 || h.fetches("ok") != 2 {
		t.Errorf("after a changed body: %d responses, ok = %v; want 2, 2", r, h.fetches("ok"))
	}
	if got := h.m.opts.Metrics.sources.value(h.name, seriesItems, "new"); got != 3 || len(st3.LastItems) != 3 {
		t.Errorf("after a changed body: %v new items, last items %v; want 3 and 3", got, st3.LastItems)
	}

	// The stored copy of a body stands for identical ones for half of
	// evidence.retention, after which one is stored again: pruning must
	// never leave the feed's current body without a copy.
	clk.advance(time.Minute)
	h.poll(t)
	if r, _, _ := cs.counts(); r != 2 || h.fetches("unchanged") != 2 {
		t.Fatalf("%d responses, unchanged = %v; want 2, 2", r, h.fetches("unchanged"))
	}
	clk.advance(h.m.opts.Config.Evidence.Retention/2 + time.Minute)
	h.poll(t)
	if r, _, _ := cs.counts(); r != 3 || h.fetches("ok") != 3 {
		t.Errorf("past half the retention: %d responses, ok = %v; want 3, 3", r, h.fetches("ok"))
	}
}

// TestValidatorCheckOfAnUnchangedFeed: a feed with an honest ETag. The
// validator check (a full GET after VerifyEvery 304s) that gets the body
// already ingested is taken as unchanged; when the server later answers
// 304 while the body changed, the next check still finds it lying.
func TestValidatorCheckOfAnUnchangedFeed(t *testing.T) {
	var mu sync.Mutex
	full, text := 0, "un"
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full++
		io.WriteString(w, rss(rssItem("g1", text)))
	})
	fullGets := func() int { mu.Lock(); defer mu.Unlock(); return full }
	h, cs, clk := newCountingHarness(t, f)

	polls := 0
	for fullGets() < 2 && polls < 2*(VerifyEvery+1)+1 {
		clk.advance(time.Minute)
		h.poll(t)
		polls++
	}
	if fullGets() != 2 {
		t.Fatalf("%d full GETs in %d polls, want 2: no validator check", fullGets(), polls)
	}
	if r, a, _ := cs.counts(); r != 1 || a != 1 {
		t.Errorf("after the check: %d responses stored, %d articles saved; want 1, 1", r, a)
	}
	if ok, un, nm := h.fetches("ok"), h.fetches("unchanged"), h.fetches("not_modified"); ok != 1 || un != 1 || int(nm) != polls-2 {
		t.Errorf("fetches ok %v, unchanged %v, not_modified %v; want 1, 1, %d", ok, un, nm, polls-2)
	}

	// The content changes; the server still answers 304 to "v1".
	mu.Lock()
	text = "deux"
	mu.Unlock()
	var st store.SourceState
	for i := 0; i < VerifyEvery+1 && !st.ConditionalOff; i++ {
		clk.advance(time.Minute)
		_, st = h.poll(t)
	}
	if !st.ConditionalOff || len(h.events(t, "validators-unreliable")) != 1 {
		t.Fatalf("lying validators not caught after the check that found the body unchanged: %+v", st)
	}
	if r, _, _ := cs.counts(); r != 2 || h.m.opts.Metrics.sources.value(h.name, seriesItems, "changed") != 1 {
		t.Errorf("the changed body: %d responses, %v changed items; want 2, 1", r, h.m.opts.Metrics.sources.value(h.name, seriesItems, "changed"))
	}
}

// TestCappedBodyIngestedAgain: a body whose ingest left items past
// max_items_per_poll is ingested again, however identical, until every
// item is stored; only then is it taken as unchanged.
func TestCappedBodyIngestedAgain(t *testing.T) {
	var items []string
	for i := range 13 {
		items = append(items, capItem(fmt.Sprintf("i%02d", i), i*10, "Un article sans histoire."))
	}
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, rss(items...)) })
	h, cs, clk := newCountingHarness(t, f)
	h.m.sources["src"].MaxItems = 5

	for i, want := range []int{5, 10, 13} {
		clk.advance(time.Minute)
		h.poll(t)
		if got := len(storedGUIDs(t, h.st)); got != want {
			t.Fatalf("poll %d: %d items stored, want %d", i+1, got, want)
		}
		if r, _, _ := cs.counts(); r != i+1 || h.fetches("unchanged") != 0 {
			t.Fatalf("poll %d: %d responses, unchanged = %v; want %d, 0", i+1, r, h.fetches("unchanged"), i+1)
		}
	}
	clk.advance(time.Minute)
	h.poll(t)
	if r, _, _ := cs.counts(); r != 3 || h.fetches("unchanged") != 1 {
		t.Errorf("after every item was stored: %d responses, unchanged = %v; want 3, 1", r, h.fetches("unchanged"))
	}
}

// TestFailedIngestIngestedAgain: a body whose ingest failed, or whose
// state could not be saved after it, is ingested again by the next poll
// that gets it.
func TestFailedIngestIngestedAgain(t *testing.T) {
	for _, tt := range []struct {
		name string
		fail func(c *countingStore)
	}{
		{"item write fails", func(c *countingStore) { c.failArticles = 1 }},
		{"state write fails", func(c *countingStore) { c.failStates = 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, rss(capItem("g1", 0, "un"))) })
			h, cs, clk := newCountingHarness(t, f)
			tt.fail(cs)
			h.poll(t)
			for i, want := range []struct{ responses, unchanged int }{{2, 0}, {2, 1}} {
				clk.advance(time.Minute)
				_, st := h.poll(t)
				r, _, _ := cs.counts()
				if r != want.responses || int(h.fetches("unchanged")) != want.unchanged || len(storedGUIDs(t, h.st)) != 1 || st.Failures != 0 {
					t.Errorf("poll %d after the failure: %d responses, unchanged %v, %d articles, %d failures; want %d, %d, 1, 0",
						i+1, r, h.fetches("unchanged"), len(storedGUIDs(t, h.st)), st.Failures, want.responses, want.unchanged)
				}
			}
		})
	}
}

// TestRestartIngestsInFull: the memory of the last body is the process's:
// after a restart the first full response is ingested (stored again).
func TestRestartIngestsInFull(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, rss(rssItem("g1", "un"))) })
	h, cs, clk := newCountingHarness(t, f)
	h.poll(t)
	clk.advance(time.Minute)
	h.poll(t)
	if r, _, _ := cs.counts(); r != 1 || h.fetches("unchanged") != 1 {
		t.Fatalf("before the restart: %d responses, unchanged = %v; want 1, 1", r, h.fetches("unchanged"))
	}
	opts := h.m.opts
	opts.Metrics = nil
	restarted := &harness{m: New(opts), st: h.st, name: h.name, feedN: h.feedN}
	clk.advance(time.Minute)
	restarted.poll(t)
	if r, _, _ := cs.counts(); r != 2 || restarted.fetches("ok") != 1 || restarted.fetches("unchanged") != 0 {
		t.Errorf("after the restart: %d responses, ok %v, unchanged %v; want 2, 1, 0", r, restarted.fetches("ok"), restarted.fetches("unchanged"))
	}
	clk.advance(time.Minute)
	restarted.poll(t)
	if r, _, _ := cs.counts(); r != 2 || restarted.fetches("unchanged") != 1 {
		t.Errorf("the restarted process's second poll: %d responses, unchanged %v; want 2, 1", r, restarted.fetches("unchanged"))
	}
}

// TestPollSourceIngestsEveryBody: a cluster's poll job may follow another
// process's, which stored a different body since: it ingests every full
// response.
func TestPollSourceIngestsEveryBody(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, rss(rssItem("g1", "un"))) })
	h, cs, clk := newCountingHarness(t, f)
	for range 2 {
		if _, ok := h.m.PollSource(context.Background(), h.name); !ok {
			t.Fatal("PollSource: no such source")
		}
		clk.advance(24 * time.Hour)
	}
	if r, _, _ := cs.counts(); r != 2 || h.fetches("ok") != 2 || h.fetches("unchanged") != 0 || h.feedN() != 2 {
		t.Errorf("%d responses, ok %v, unchanged %v, %d requests; want 2, 2, 0, 2", r, h.fetches("ok"), h.fetches("unchanged"), h.feedN())
	}
}

// TestFailedEvaluationEvaluatedAgain: when recording a poll's evaluation
// fails (a finding, the marks of the versions without any), the versions
// it left are evaluated before the next poll, though that poll sees the
// items unchanged, and the finding is alerted once.
func TestFailedEvaluationEvaluatedAgain(t *testing.T) {
	body := rss(rssItem("g1", "Les #MacronLeaks : selon les courriels, tout est prêt."), rssItem("g2", "Un article sans histoire."))
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, body) })
	h, cs, clk := newCountingHarness(t, f)
	cs.failFindings, cs.failMarks = 1, 1
	ctx := context.Background()
	h.poll(t)
	if vs, err := h.st.UnevaluatedVersions(ctx); err != nil || len(vs) != 2 {
		t.Fatalf("after the failed poll: %d unevaluated versions (%v), want 2", len(vs), err)
	}
	if fs, _ := h.st.Findings(ctx); len(fs) != 0 {
		t.Fatalf("after the failed poll: %d findings, want 0", len(fs))
	}
	for i := range 2 {
		clk.advance(time.Minute)
		h.poll(t)
		if vs, err := h.st.UnevaluatedVersions(ctx); err != nil || len(vs) != 0 {
			t.Errorf("poll %d after the failure: %d unevaluated versions (%v), want 0", i+1, len(vs), err)
		}
		fs, err := h.st.Findings(ctx)
		if err != nil || len(fs) != 1 || fs[0].Finding.Rule != "leak" {
			t.Errorf("poll %d after the failure: findings %+v (%v), want the one", i+1, fs, err)
		}
	}
	if due, err := h.st.DueAlerts(ctx, clk.Now().Add(time.Hour), 100); err != nil || len(due) != 1 {
		t.Errorf("%d alerts queued (%v), want 1", len(due), err)
	}
}
