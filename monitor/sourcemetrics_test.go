package monitor

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSourceSeriesExposition: the series by source read as the
// client_golang vectors they replace did: names, help, types, labels, and
// a series only once it was touched.
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
	want := `
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
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"silencewatch_fetches_total", "silencewatch_items_total", "silencewatch_poll_lag_seconds",
		"silencewatch_source_consecutive_failures", "silencewatch_items_deferred_total", "silencewatch_headers_truncated_total"); err != nil {
		t.Error(err)
	}
	if got := s.value("lemonde", seriesFetches, "not_modified"); got != 2 {
		t.Errorf("value = %v, want 2", got)
	}
}
