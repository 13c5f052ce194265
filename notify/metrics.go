package notify

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what goes wrong on the way to Slack, so that no failure
// on the alert path is only a log line. A nil *Metrics counts nothing.
type Metrics struct {
	errors   *prometheus.CounterVec
	verdicts *prometheus.CounterVec
}

// NewMetrics registers notify's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "silencewatch_delivery_errors_total",
			Help: "Failed steps of alert delivery by operation (post, update, history, digest, health, store, resolve, verdict, socket_mode) and kind (rate_limited, transient, permanent, store).",
		}, []string{"op", "kind"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "silencewatch_verdicts_total",
			Help: "Verdict button presses by outcome (recorded, refused, error).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.errors, m.verdicts)
	return m
}

// deliveryError counts a failed step; op names the step.
func (m *Metrics) deliveryError(op string, err error) {
	if m == nil || err == nil {
		return
	}
	m.errors.WithLabelValues(op, errorKind(err)).Inc()
}

// storeError counts a failed store read or write on the alert path.
func (m *Metrics) storeError(err error) {
	if m == nil || err == nil {
		return
	}
	m.errors.WithLabelValues("store", "store").Inc()
}

func (m *Metrics) verdict(outcome string) {
	if m == nil {
		return
	}
	m.verdicts.WithLabelValues(outcome).Inc()
}

func errorKind(err error) string {
	var se *SendError
	if !errors.As(err, &se) {
		return "transient"
	}
	switch se.Kind {
	case RateLimited:
		return "rate_limited"
	case Permanent:
		return "permanent"
	}
	return "transient"
}
