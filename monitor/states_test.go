package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

func TestOnlyTimesMoved(t *testing.T) {
	t0 := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	prev := store.SourceState{Name: "s", URL: "u", ETag: `"1"`, LastModified: "lm", Failures: 0, LastItems: []string{"a", "b"},
		LastPollAt: t0, NextPollAt: t0.Add(time.Minute), Interval: time.Minute}
	moved := prev
	moved.LastPollAt, moved.LastSuccessAt, moved.NextPollAt, moved.Interval = t0.Add(time.Minute), t0.Add(time.Minute), t0.Add(2*time.Minute), 90*time.Second
	moved.LastItems = []string{"a", "b"} // an equal copy
	for _, tt := range []struct {
		name string
		edit func(st *store.SourceState)
		want bool
	}{
		{"poll times and interval", func(*store.SourceState) {}, true},
		{"new etag", func(st *store.SourceState) { st.ETag = `"2"` }, false},
		{"new last-modified", func(st *store.SourceState) { st.LastModified = "lm2" }, false},
		{"validators found unreliable", func(st *store.SourceState) { st.ConditionalOff = true }, false},
		{"a failure", func(st *store.SourceState) { st.Failures = 1 }, false},
		{"new items", func(st *store.SourceState) { st.LastItems = []string{"c", "a"} }, false},
		{"items forgotten", func(st *store.SourceState) { st.LastItems = nil }, false},
		{"another source", func(st *store.SourceState) { st.Name = "t" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := moved
			tt.edit(&st)
			if got := onlyTimesMoved(prev, st); got != tt.want {
				t.Errorf("onlyTimesMoved = %v, want %v", got, tt.want)
			}
		})
	}
}

// failingTimes fails its first n batches of poll times.
type failingTimes struct {
	*store.DB
	fail int
}

func (f *failingTimes) SaveSourceTimes(ctx context.Context, states []store.SourceState) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("store: disk I/O error")
	}
	return f.DB.SaveSourceTimes(ctx, states)
}

// TestStateCache: a state that only moves poll times waits (and is what
// the next poll starts from); any other state is written at once, after
// the times that wait; a failed flush keeps the times for the next one.
func TestStateCache(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ft := &failingTimes{DB: st}
	c := newStateCache(ft)
	t0 := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	a0 := store.SourceState{Name: "a", URL: "u", ETag: `"1"`, NextPollAt: t0, LastItems: []string{"g1"}}
	if err := st.SaveSourceState(ctx, a0); err != nil {
		t.Fatal(err)
	}
	c.remember(a0)
	stored := func(name string) store.SourceState {
		t.Helper()
		got, _, err := st.SourceState(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	cached, ok := c.state("a")
	if !ok || cached.LastItems != nil || cached.ETag != `"1"` {
		t.Fatalf("cached state = %#v, %v; want a0 without its items", cached, ok)
	}

	a1 := cached
	a1.NextPollAt = t0.Add(time.Minute)
	if err := c.save(ctx, a1, cached); err != nil {
		t.Fatal(err)
	}
	if got := stored("a"); !got.NextPollAt.Equal(t0) {
		t.Errorf("a 304's state was written at once: next poll %v", got.NextPollAt)
	}
	if got, ok := c.state("a"); !ok || !reflect.DeepEqual(got, a1) {
		t.Errorf("cached state = %v, %v; want %v", got, ok, a1)
	}

	// Source b's new validators: written now, a's times before them.
	b0 := store.SourceState{Name: "b", URL: "v"}
	b1 := b0
	b1.ETag = `"x"`
	if err := c.save(ctx, b1, b0); err != nil {
		t.Fatal(err)
	}
	if got := stored("b"); got.ETag != `"x"` {
		t.Errorf("new validators not written at once: %#v", got)
	}
	want := a0
	want.NextPollAt = a1.NextPollAt
	if got := stored("a"); !reflect.DeepEqual(got, want) {
		t.Errorf("after the flush: %#v\nwant %#v (times moved, items kept)", got, want)
	}

	// A failed flush keeps the times, and the next flush writes them.
	a2 := a1
	a2.NextPollAt = t0.Add(2 * time.Minute)
	c.save(ctx, a2, a1)
	ft.fail = 1
	if err := c.flush(ctx); err == nil {
		t.Fatal("flush succeeded, want the store's error")
	}
	if err := c.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stored("a"); !got.NextPollAt.Equal(a2.NextPollAt) || !slices.Equal(got.LastItems, a0.LastItems) {
		t.Errorf("after the retry: next poll %v, items %v; want %v, %v", got.NextPollAt, got.LastItems, a2.NextPollAt, a0.LastItems)
	}
}

// TestCachedPollKeepsItems: a poll from the cache (which leaves the item
// keys in the store) that fails, and so is written at once, keeps the
// stored item keys; one that gets the feed in full compares with them
// (here: a gap, no item in common) and writes the new ones.
func TestCachedPollKeepsItems(t *testing.T) {
	fail := false
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Write([]byte(rss(rssItem(fmt.Sprintf("g%d", n), "hello"))))
	})
	h := newHarness(t, f)
	ctx := context.Background()
	h.poll(t) // a first poll, from and to the store: items g1
	h.m.states = newStateCache(h.st)
	defer func() { h.m.states = nil }()
	st, _, _ := h.st.SourceState(ctx, h.name)
	h.m.states.remember(st)

	fail = true
	h.m.poll(ctx, h.name)
	got, _, _ := h.st.SourceState(ctx, h.name)
	if got.Failures != 1 || !slices.Equal(got.LastItems, st.LastItems) {
		t.Errorf("after a failed poll from the cache: failures %d, items %v; want 1, %v", got.Failures, got.LastItems, st.LastItems)
	}
	fail = false
	h.m.poll(ctx, h.name)
	got, _, _ = h.st.SourceState(ctx, h.name)
	if want := []string{"g3"}; got.Failures != 0 || !slices.Equal(got.LastItems, want) {
		t.Errorf("after a full poll from the cache: failures %d, items %v; want 0, %v", got.Failures, got.LastItems, want)
	}
	if gaps := h.events(t, "gap"); len(gaps) != 1 {
		t.Errorf("%d gap events, want 1: the poll did not compare with the stored items", len(gaps))
	}
}

// TestRunWritesBufferedStatesAtShutdown: once Run returns, the store
// holds the state of the source's last poll, a 304 whose state went
// through the buffer.
func TestRunWritesBufferedStatesAtShutdown(t *testing.T) {
	// A simulated clock, so the source's five-minute cadence takes a
	// fraction of a second.
	sim := fastClock{clock.NewSim(time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC), 3000)}
	var mu sync.Mutex
	var lastRequest time.Time
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		lastRequest = sim.Now()
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte(rss(rssItem("g1", "hello"))))
	})
	h := newHarness(t, f)
	opts := h.m.opts
	opts.Clock = sim
	m := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for h.feedN() < 3 { // a 200, then 304s
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, found, err := h.st.SourceState(context.Background(), h.name)
	mu.Lock()
	defer mu.Unlock()
	if err != nil || !found || st.ETag != `"v1"` || st.LastPollAt.Before(lastRequest) {
		t.Fatalf("after Run: %#v, %v, %v; want the poll of %v", st, found, err, lastRequest)
	}
}

// fastClock is a simulated clock that Run takes for the wall clock (it
// does not tell its speed), so that it buffers states.
type fastClock struct{ s *clock.Sim }

func (c fastClock) Now() time.Time                       { return c.s.Now() }
func (c fastClock) NewTimer(d time.Duration) clock.Timer { return c.s.NewTimer(d) }

// TestPollSourceWritesAtOnce: a cluster's poll job leaves the state in
// the store when it returns, where the next job (in any process) reads it.
func TestPollSourceWritesAtOnce(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte(rss(rssItem("g1", "hello"))))
	})
	h := newHarness(t, f)
	ctx := context.Background()
	for i := range 2 { // a 200, then a 304 that moves only the poll times
		st, _, _ := h.st.SourceState(ctx, h.name)
		st.NextPollAt = time.Time{} // due
		if i > 0 {
			if err := h.st.SaveSourceState(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		next, ok := h.m.PollSource(ctx, h.name)
		if !ok {
			t.Fatal("PollSource: no such source")
		}
		got, found, err := h.st.SourceState(ctx, h.name)
		if err != nil || !found || !got.NextPollAt.Equal(next) {
			t.Fatalf("poll %d: stored %v, %v, %v; want next poll %v", i+1, got.NextPollAt, found, err, next)
		}
	}
	if n := h.feedN(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestFirstPollSpread: with crawler.first_poll_spread, sources never
// polled are first polled across that span; a source with a stored
// state, overdue, still within its interval.
func TestFirstPollSpread(t *testing.T) {
	var yaml strings.Builder
	yaml.WriteString("crawler: {first_poll_spread: 10m}\nsources:\n")
	for i := range 40 {
		fmt.Fprintf(&yaml, "  - {name: s%d, url: \"https://s%d.example/rss\", every: 1m}\n", i, i)
	}
	yaml.WriteString(rulesYAML)
	cfg, err := config.Parse("test.yaml", []byte(yaml.String()), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	engine, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // outside the windows
	if err := st.SaveSourceState(ctx, store.SourceState{Name: "s0", URL: "u", NextPollAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Config: cfg, Store: st, Engine: engine, Clock: fixedClock{now}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	due, err := m.firstDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	late := 0
	for name, at := range due {
		d := at.Sub(now)
		switch {
		case name == "s0" && (d < 0 || d >= time.Minute):
			t.Errorf("s0, polled before, first due in %s, want within its 1m interval", d)
		case d < 0 || d >= 10*time.Minute:
			t.Errorf("%s first due in %s, want within the 10m spread", name, d)
		case d >= time.Minute:
			late++
		}
	}
	if late < 20 { // 39 phases over 10 minutes: about 35 past the first
		t.Errorf("only %d of 39 new sources first due after the first minute", late)
	}
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                       { return c.t }
func (c fixedClock) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }
