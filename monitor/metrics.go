package monitor

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the daemon's Prometheus series, on a registry of its own so
// tests and the demo can run several pipelines in one process.
type Metrics struct {
	Registry *prometheus.Registry
	// The series by source: fetches{source,outcome}, items{source,state},
	// poll lag, consecutive failures, items deferred and headers
	// truncated.
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
			Name: "silencewatch_store_errors_total", Help: "Store reads and writes that failed in the pipeline (polls, events, pruning).",
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
	m.Registry.MustRegister(m.sources, m.findings, m.queueDepth,
		m.alertsSent, m.alertsFailed, m.evaluateErrors, m.pageErrors)
	return m
}

// AlertsDelivered counts delivered alerts (for the notifier's hook).
func (m *Metrics) AlertsDelivered(n int) { m.alertsSent.Add(float64(n)) }

// HeadersTruncated counts a response whose stored headers were cut (for
// the store's hook).
func (m *Metrics) HeadersTruncated(source string) { m.sources.add(source, seriesTruncated, "", 1) }

// AlertsFailed counts alerts that failed permanently.
func (m *Metrics) AlertsFailed(n int) { m.alertsFailed.Add(float64(n)) }
