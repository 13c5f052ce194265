package monitor

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the daemon's Prometheus series, on a registry of its own so
// tests and the demo can run several pipelines in one process.
type Metrics struct {
	Registry       *prometheus.Registry
	fetches        *prometheus.CounterVec
	items          *prometheus.CounterVec
	pollLag        *prometheus.GaugeVec
	failures       *prometheus.GaugeVec
	findings       *prometheus.CounterVec
	queueDepth     prometheus.Gauge
	alertsSent     prometheus.Counter
	alertsFailed   prometheus.Counter
	evaluateErrors prometheus.Counter
	pageErrors     *prometheus.CounterVec
	// Bounds: work and evidence a poll did not take on.
	headersTruncated *prometheus.CounterVec
	itemsDeferred    *prometheus.CounterVec
	relayErrors      prometheus.Counter
}

// NewMetrics registers every series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "silencewatch_fetches_total", Help: "Polls by source and outcome (ok, not_modified, or an error kind).",
		}, []string{"source", "outcome"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "silencewatch_items_total", Help: "Feed items by source and state (new, changed, seen).",
		}, []string{"source", "state"}),
		pollLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "silencewatch_poll_lag_seconds", Help: "How late the last poll of a source started after it was due.",
		}, []string{"source"}),
		failures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "silencewatch_source_consecutive_failures", Help: "Consecutive failed polls of a source.",
		}, []string{"source"}),
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
			Name: "silencewatch_store_errors_total", Help: "Store reads and writes that failed in the pipeline (polls, events, pruning).",
		}),
	}
	m.pageErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "silencewatch_page_errors_total",
		Help: "Failures fetching or keeping article pages (full text, revisits) and queueing their alerts, by step.",
	}, []string{"step"})
	m.headersTruncated = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "silencewatch_headers_truncated_total", Help: "Responses whose headers the store cut at its cap (64 KiB), by source.",
	}, []string{"source"})
	m.itemsDeferred = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "silencewatch_items_deferred_total", Help: "New or changed feed items left for a later poll by crawler.max_items_per_poll, by source.",
	}, []string{"source"})
	m.relayErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "silencewatch_relay_errors_total", Help: "Evaluated versions whose relay detection (Options.Relay) failed; the pipeline went on.",
	})
	m.Registry.MustRegister(m.relayErrors)
	m.Registry.MustRegister(m.fetches, m.items, m.pollLag, m.failures, m.findings, m.queueDepth,
		m.alertsSent, m.alertsFailed, m.evaluateErrors, m.pageErrors, m.headersTruncated, m.itemsDeferred)
	return m
}

// AlertsDelivered counts delivered alerts (for the notifier's hook).
func (m *Metrics) AlertsDelivered(n int) { m.alertsSent.Add(float64(n)) }

// HeadersTruncated counts a response whose stored headers were cut (for
// the store's hook).
func (m *Metrics) HeadersTruncated(source string) { m.headersTruncated.WithLabelValues(source).Inc() }

// AlertsFailed counts alerts that failed permanently.
func (m *Metrics) AlertsFailed(n int) { m.alertsFailed.Add(float64(n)) }
