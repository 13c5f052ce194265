package cluster

import "github.com/prometheus/client_golang/prometheus"

// Metrics are a worker's own figures; every process serves its own
// /metrics, and worker_info says which worker it is.
type Metrics struct {
	workerInfo *prometheus.GaugeVec
	leader     prometheus.Gauge
	jobs       *prometheus.CounterVec
}

// NewMetrics registers the cluster's metrics with reg (none when nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		workerInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "silencewatch_worker_info",
			Help: "1, labelled with this process's worker ID and roles."}, []string{"worker", "roles"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "silencewatch_delivery_leader",
			Help: "1 while this process holds the delivery lead."}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "silencewatch_jobs_total",
			Help: "Jobs this worker ran, by kind (poll, revisit, prune, recover) and outcome."}, []string{"kind", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.workerInfo, m.leader, m.jobs)
	}
	return m
}

func (m *Metrics) info(worker, roles string) { m.workerInfo.WithLabelValues(worker, roles).Set(1) }
