package monitor

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestSourceSeriesExposition: the series by source, as Handler serves
// them, read as the client_golang vectors they replace did: names, help,
// types, labels, and a series only once it was touched; the registry's
// own series are served beside them.
func TestSourceSeriesExposition(t *testing.T) {
	m := NewMetrics()
	s := m.sources
	s.add("lemonde", seriesFetches, "ok", 1)
	s.add("lemonde", seriesFetches, "not_modified", 1)
	s.add("lemonde", seriesFetches, "not_modified", 1)
	s.add("liberation", seriesFetches, "http_status", 1)
	s.add("lemonde", seriesItems, "new", 3)
	s.add("lemonde", seriesItems, "seen", 7)
	s.set("lemonde", seriesLag, 0.25)
	s.set("lemonde", seriesFailures, 0)
	s.set("liberation", seriesFailures, 2)
	s.add("liberation", seriesDeferred, "", 40)
	m.HeadersTruncated("lemonde")
	m.findings.WithLabelValues("leak-content").Inc()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	want := `
# HELP silencewatch_findings_total Findings by rule.
# TYPE silencewatch_findings_total counter
silencewatch_findings_total{rule="leak-content"} 1
# HELP silencewatch_fetches_total Polls by source and outcome (ok, unchanged, not_modified, or an error kind).
# TYPE silencewatch_fetches_total counter
silencewatch_fetches_total{outcome="http_status",source="liberation"} 1
silencewatch_fetches_total{outcome="not_modified",source="lemonde"} 2
silencewatch_fetches_total{outcome="ok",source="lemonde"} 1
# HELP silencewatch_headers_truncated_total Responses whose headers the store cut at its cap (64 KiB), by source.
# TYPE silencewatch_headers_truncated_total counter
silencewatch_headers_truncated_total{source="lemonde"} 1
# HELP silencewatch_items_deferred_total New or changed feed items left for a later poll by crawler.max_items_per_poll, by source.
# TYPE silencewatch_items_deferred_total counter
silencewatch_items_deferred_total{source="liberation"} 40
# HELP silencewatch_items_total Feed items by source and state (new, changed, seen).
# TYPE silencewatch_items_total counter
silencewatch_items_total{source="lemonde",state="new"} 3
silencewatch_items_total{source="lemonde",state="seen"} 7
# HELP silencewatch_poll_lag_seconds How late the last poll of a source started after it was due.
# TYPE silencewatch_poll_lag_seconds gauge
silencewatch_poll_lag_seconds{source="lemonde"} 0.25
# HELP silencewatch_source_consecutive_failures Consecutive failed polls of a source.
# TYPE silencewatch_source_consecutive_failures gauge
silencewatch_source_consecutive_failures{source="lemonde"} 0
silencewatch_source_consecutive_failures{source="liberation"} 2
`
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(want), "silencewatch_findings_total",
		"silencewatch_fetches_total", "silencewatch_items_total", "silencewatch_poll_lag_seconds",
		"silencewatch_source_consecutive_failures", "silencewatch_items_deferred_total", "silencewatch_headers_truncated_total"); err != nil {
		t.Error(err)
	}
	if got := s.value("lemonde", seriesFetches, "not_modified"); got != 2 {
		t.Errorf("value = %v, want 2", got)
	}
	if got := m.SourceTotals()["silencewatch_fetches_total"]; got["not_modified"] != 2 || got["ok"] != 1 || got["http_status"] != 1 {
		t.Errorf("SourceTotals fetches = %v", got)
	}
	if got := m.SourceTotals()["silencewatch_source_consecutive_failures"][""]; got != 2 {
		t.Errorf("SourceTotals failures = %v, want 2", got)
	}
}

// TestSourceSeriesEscaped: a source name is a label value whatever it
// holds: quotes, backslashes, a line feed, bytes that are not UTF-8, over
// more sources than one chunk, and gzip when asked for.
func TestSourceSeriesEscaped(t *testing.T) {
	m := NewMetrics()
	odd := "le \"monde\"\\rss\nune \xff"
	m.sources.add(odd, seriesFetches, "ok", 1)
	for i := range 3 * textChunk {
		m.sources.set(strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i), seriesLag, float64(i))
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%.500s", err, body)
	}
	fetches := families["silencewatch_fetches_total"].GetMetric()
	if len(fetches) != 1 {
		t.Fatalf("%d fetch series, want 1", len(fetches))
	}
	for _, l := range fetches[0].GetLabel() {
		if l.GetName() == "source" && l.GetValue() != strings.ToValidUTF8(odd, "\uFFFD") {
			t.Errorf("source label read back as %q, want %q", l.GetValue(), odd)
		}
	}
	if n := len(families["silencewatch_poll_lag_seconds"].GetMetric()); n != 3*textChunk {
		t.Errorf("%d lag series, want %d (one family across chunks)", n, 3*textChunk)
	}
}

// discardResponse is an http.ResponseWriter that keeps nothing.
type discardResponse struct{ h http.Header }

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(int)             {}

// BenchmarkScrape50k serves /metrics for 50,000 sources with six series
// each, as a daemon at that size is scraped.
func BenchmarkScrape50k(b *testing.B) {
	m := NewMetrics()
	for i := range 50000 {
		s := fmt.Sprintf("source-%05d", i)
		m.sources.add(s, seriesFetches, "ok", 1)
		m.sources.add(s, seriesFetches, "not_modified", 10)
		m.sources.add(s, seriesFetches, "unchanged", 1)
		m.sources.add(s, seriesItems, "new", 10)
		m.sources.set(s, seriesLag, 0.05)
		m.sources.set(s, seriesFailures, 0)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&discardResponse{h: http.Header{}}, req)
	}
}
