package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/store"
)

// capItem is an item with a link (so the store lists it) published
// minutesAgo before Saturday 10:00 Paris; minutesAgo < 0 gives no date.
func capItem(guid string, minutesAgo int, text string) string {
	date := ""
	if minutesAgo >= 0 {
		date = "<pubDate>" + time.Date(2017, 5, 6, 8, 0, 0, 0, time.UTC).Add(-time.Duration(minutesAgo)*time.Minute).Format(time.RFC1123Z) + "</pubDate>"
	}
	return fmt.Sprintf(`<item><guid>%s</guid><link>https://cap.example/%s</link><title>%s</title><description>%s</description>%s</item>`, guid, guid, guid, text, date)
}

// storedGUIDs lists the GUIDs of the source's stored articles, sorted.
func storedGUIDs(t *testing.T, st *store.DB) []string {
	t.Helper()
	vs, err := st.RevisitCandidates(context.Background(), "src", time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Article.GUID)
	}
	slices.Sort(out)
	return out
}

// logRecorder keeps the records of a logger, for tests.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	h.mu.Lock()
	h.lines = append(h.lines, b.String())
	h.mu.Unlock()
	return nil
}
func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler { return &attrHandler{h, as} }
func (h *logRecorder) WithGroup(string) slog.Handler         { return h }

type attrHandler struct {
	*logRecorder
	attrs []slog.Attr
}

func (h *attrHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.attrs...)
	return h.logRecorder.Handle(ctx, r)
}

// TestPollTakesAtMostMaxItems polls a feed of 13 items with max_items 5,
// listed out of date order, one undated and the oldest one a violation:
// each poll stores and evaluates at most 5 new items, the undated and the
// newest first; the rest stay new to the store and the following polls
// take them, so the violation is found on the third poll, not lost.
func TestPollTakesAtMostMaxItems(t *testing.T) {
	ages := []int{30, 5, 110, 60, -1, 0, 90, 20, 120, 10, 40, 80, 50} // minutes before 10:00; -1: undated
	var items []string
	for i, age := range ages {
		text := "Un article sans histoire."
		if age == 120 {
			text = "Les #MacronLeaks : selon les courriels, tout est prêt."
		}
		items = append(items, capItem(fmt.Sprintf("i%02d-%d", i, age), age, text))
	}
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { io.WriteString(w, rss(items...)) })
	h := newHarness(t, f)
	rec := &logRecorder{}
	h.m.opts.Logger = slog.New(rec)
	src := h.m.sources["src"]
	src.MaxItems = 5
	h.m.sources["src"] = src

	guid := func(age int) string { i := slices.Index(ages, age); return fmt.Sprintf("i%02d-%d", i, age) }
	want := func(ages ...int) []string {
		var out []string
		for _, a := range ages {
			out = append(out, guid(a))
		}
		slices.Sort(out)
		return out
	}
	deferred := func() float64 { return h.m.opts.Metrics.sources.value("src", seriesDeferred, "") }

	_, st := h.poll(t)
	if got, w := storedGUIDs(t, h.st), want(-1, 0, 5, 10, 20); !slices.Equal(got, w) {
		t.Fatalf("first poll stored %v, want the undated and the 4 newest %v", got, w)
	}
	if d := deferred(); d != 8 {
		t.Errorf("silencewatch_items_deferred_total = %v after the first poll, want 8", d)
	}
	if len(st.LastItems) > 5 {
		t.Errorf("%d keys kept in the source's state, want at most max_items", len(st.LastItems))
	}
	var capped []string
	for _, l := range rec.lines {
		if strings.Contains(l, "poll capped") {
			capped = append(capped, l)
		}
	}
	if len(capped) != 1 || !strings.Contains(capped[0], "source=src") || !strings.Contains(capped[0], "deferred=8") {
		t.Errorf("want one log line naming the source and the 8 deferred items, got %q", capped)
	}
	if fs, _ := h.st.Findings(context.Background()); len(fs) != 0 {
		t.Errorf("the violation was evaluated on the first poll: %d findings", len(fs))
	}

	h.poll(t)
	if got, w := storedGUIDs(t, h.st), want(-1, 0, 5, 10, 20, 30, 40, 50, 60, 80); !slices.Equal(got, w) {
		t.Fatalf("second poll: stored %v, want the next 5 newest too: %v", got, w)
	}
	if n := h.m.opts.Metrics.sources.value("src", seriesItems, "seen"); n != 5 {
		t.Errorf("second poll: %v items seen again, want the 5 of the first", n)
	}
	h.poll(t)
	if got := storedGUIDs(t, h.st); len(got) != len(ages) {
		t.Fatalf("third poll: %d of %d items stored: %v", len(got), len(ages), got)
	}
	if d := deferred(); d != 8+3 {
		t.Errorf("silencewatch_items_deferred_total = %v, want 11 (8, then 3, then none)", d)
	}
	fs, _ := h.st.Findings(context.Background())
	if len(fs) != 1 || fs[0].Finding.Article.GUID != guid(120) {
		t.Errorf("want the oldest item's violation found once on the third poll, got %d findings", len(fs))
	}
	if n := h.m.opts.Metrics.sources.value("src", seriesItems, "new"); n != float64(len(ages)) {
		t.Errorf("%v items counted new, want each of the %d once", n, len(ages))
	}
}

// TestPollWithinCapKeepsFeedOrder checks that a feed within its cap is
// taken as listed, every item, as before.
func TestPollWithinCapKeepsFeedOrder(t *testing.T) {
	if got := pollOrder(make([]article.Article, 3), 3); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("order %v, want the document's", got)
	}
}

// bigFeed is an RSS feed of n items, 253 bytes each, one a second older
// than the one before.
func bigFeed(n int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>`)
	base := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, `<item><guid>g%06d</guid><link>https://big.example/a/%06d</link><title>Article %06d</title><description>Un court résumé de l'article numéro %06d, comme en donnent les flux.</description><pubDate>%s</pubDate></item>`,
			i, i, i, i, base.Add(-time.Duration(i)*time.Second).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// BenchmarkPoll100kItemFeed polls a 25 MB feed of 100,000 items with the
// default max_items_per_poll (500). first-poll: on an empty store (500
// taken, the rest deferred). all-seen: on a store that already holds all
// 100,000 (filled once without the cap), so every item is seen again. It
// reports the items stored per poll and the peak heap sampled meanwhile.
//
//	go test -run '^$' -bench Poll100k -benchmem -benchtime 3x ./monitor/
func BenchmarkPoll100kItemFeed(b *testing.B) {
	body := bigFeed(100_000)
	newItems := func(h *harness) float64 {
		return h.m.opts.Metrics.sources.value("src", seriesItems, "new")
	}
	setup := func(b *testing.B, fill bool) *harness {
		f := newFeed(b, func(w http.ResponseWriter, r *http.Request, n int) { w.Write(body) })
		h := newHarness(b, f)
		h.m.opts.Fetcher = crawler.NewFetcher(crawler.FetcherOptions{Timeout: time.Minute, MaxBodyBytes: 64 << 20, AllowPrivate: loopback})
		if fill {
			src := h.m.sources["src"]
			limit := src.MaxItems
			src.MaxItems = len(body)
			h.m.sources["src"] = src
			h.m.poll(context.Background(), "src")
			src.MaxItems = limit
			h.m.sources["src"] = src
			if n := newItems(h); n != 100_000 {
				b.Fatalf("filling the store: %v items stored, want 100000", n)
			}
		}
		return h
	}
	b.Run("first-poll", func(b *testing.B) {
		var peak uint64
		stored := 0.0
		for b.Loop() {
			b.StopTimer()
			h := setup(b, false)
			runtime.GC()
			stop := sampleHeap(&peak)
			b.StartTimer()
			h.m.poll(context.Background(), "src")
			b.StopTimer()
			stop()
			if stored = newItems(h); stored != 500 {
				b.Fatalf("first poll: %v items stored, want the cap's 500", stored)
			}
			b.StartTimer()
		}
		b.ReportMetric(stored, "stored/poll")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
	b.Run("all-seen", func(b *testing.B) {
		h := setup(b, true)
		before := newItems(h)
		var peak uint64
		runtime.GC()
		stop := sampleHeap(&peak)
		for b.Loop() {
			h.m.poll(context.Background(), "src")
		}
		stop()
		b.ReportMetric(newItems(h)-before, "stored/poll")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	})
}

// sampleHeap records the largest in-use heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// flakyStore fails the calls a test asks it to.
type flakyStore struct {
	*store.DB
	mu                    sync.Mutex
	failEvents, failState bool
}

func (f *flakyStore) AddEvent(ctx context.Context, e store.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failEvents {
		return fmt.Errorf("store: add event: disk I/O error")
	}
	return f.DB.AddEvent(ctx, e)
}

func (f *flakyStore) SourceState(ctx context.Context, name string) (store.SourceState, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failState {
		return store.SourceState{}, false, fmt.Errorf("store: source state: disk I/O error")
	}
	return f.DB.SourceState(ctx, name)
}

// TestDroppedStoreErrorsCounted checks that store failures a poll logs
// and goes on after (recording an event, reading the source's state) are
// counted in silencewatch_store_errors_total, not only logged.
func TestDroppedStoreErrorsCounted(t *testing.T) {
	f := newFeed(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusInternalServerError) })
	h := newHarness(t, f)
	flaky := &flakyStore{DB: h.st, failEvents: true}
	h.m.opts.Store = flaky
	errs := func() float64 { return testutil.ToFloat64(h.m.opts.Metrics.evaluateErrors) }
	for range h.m.opts.Config.Crawler.FailureReportAfter { // the last records a "failing" event
		h.m.poll(context.Background(), "src")
	}
	if n := errs(); n != 1 {
		t.Errorf("after the failing event could not be recorded: %v store errors counted, want 1", n)
	}
	flaky.mu.Lock()
	flaky.failState = true
	flaky.mu.Unlock()
	h.m.poll(context.Background(), "src")
	if n := errs(); n != 2 {
		t.Errorf("after the source state could not be read: %v store errors counted, want 2", n)
	}
}
