package monitor

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Metrics are the daemon's Prometheus series, on a registry of its own so
// tests and the demo can run several pipelines in one process. Serve them
// with Handler: the series by source are not in Registry.
type Metrics struct {
	Registry *prometheus.Registry
	// The series by source: fetches{source,outcome}, items{source,state},
	// poll lag, consecutive failures, items deferred and headers
	// truncated. Written out by Handler, not gathered (see sourceSeries).
	sources        *sourceSeries
	findings       *prometheus.CounterVec
	queueDepth     prometheus.Gauge
	alertsSent     prometheus.Counter
	alertsFailed   prometheus.Counter
	evaluateErrors prometheus.Counter
	pageErrors     *prometheus.CounterVec
	relayErrors    prometheus.Counter
}

// NewMetrics registers every series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		sources:  newSourceSeries(),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "silencewatch_findings_total", Help: "Findings by rule.",
		}, []string{"rule"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "silencewatch_poll_queue_depth", Help: "Sources due and waiting for a worker.",
		}),
		alertsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "silencewatch_alerts_sent_total", Help: "Alerts delivered.",
		}),
		alertsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "silencewatch_alerts_failed_total", Help: "Alerts that failed permanently (kept, visible, not retried).",
		}),
		evaluateErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "silencewatch_store_errors_total", Help: "Store reads and writes that failed in the pipeline (polls, events, pruning, the search index).",
		}),
	}
	m.pageErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "silencewatch_page_errors_total",
		Help: "Failures fetching or keeping article pages (full text, revisits) and queueing their alerts, by step.",
	}, []string{"step"})
	m.relayErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "silencewatch_relay_errors_total", Help: "Evaluated versions whose relay detection (Options.Relay) failed; the pipeline went on.",
	})
	m.Registry.MustRegister(m.relayErrors)
	m.Registry.MustRegister(m.findings, m.queueDepth,
		m.alertsSent, m.alertsFailed, m.evaluateErrors, m.pageErrors)
	return m
}

// Handler serves every series in Prometheus's text format: Registry's
// (including what other packages registered in it), then the series by
// source, gzip-compressed when the scraper accepts it.
func (m *Metrics) Handler() http.Handler {
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := m.Registry.Gather()
		if err != nil {
			http.Error(w, "gathering the metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(format))
		var out io.Writer = w
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			defer zw.Close()
			out = zw
		}
		enc := expfmt.NewEncoder(out, format)
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				return // the scraper went away
			}
		}
		_ = m.sources.writeText(out) // an error: the scraper went away, nothing to tell it
	})
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// SourceTotals sums each series by source over the sources: metric name
// to the second label's value ("" for a series without one) to the sum.
func (m *Metrics) SourceTotals() map[string]map[string]float64 { return m.sources.totals() }

// AlertsDelivered counts delivered alerts (for the notifier's hook).
func (m *Metrics) AlertsDelivered(n int) { m.alertsSent.Add(float64(n)) }

// HeadersTruncated counts a response whose stored headers were cut (for
// the store's hook).
func (m *Metrics) HeadersTruncated(source string) { m.sources.add(source, seriesTruncated, "", 1) }

// AlertsFailed counts alerts that failed permanently.
func (m *Metrics) AlertsFailed(n int) { m.alertsFailed.Add(float64(n)) }
