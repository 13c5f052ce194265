package monitor

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceSeries holds the series labelled by source in one small record a
// source, and makes the Prometheus series from it at each scrape. One
// client_golang child a series cost about 2 KB a source in the daemon
// (label pairs, hashes, a lock each), the most memory a configured source
// took; the series exposed are the same.
type sourceSeries struct {
	descs [seriesCount]*prometheus.Desc

	mu       sync.Mutex
	bySource map[string]*seriesRecord
}

// The series by source. fetches and items carry a second label.
const (
	seriesFetches   = iota // silencewatch_fetches_total{source,outcome}
	seriesItems            // silencewatch_items_total{source,state}
	seriesLag              // silencewatch_poll_lag_seconds{source}
	seriesFailures         // silencewatch_source_consecutive_failures{source}
	seriesDeferred         // silencewatch_items_deferred_total{source}
	seriesTruncated        // silencewatch_headers_truncated_total{source}
	seriesCount
)

var seriesKinds = [seriesCount]prometheus.ValueType{prometheus.CounterValue, prometheus.CounterValue,
	prometheus.GaugeValue, prometheus.GaugeValue, prometheus.CounterValue, prometheus.CounterValue}

// seriesRecord is one source's values: a few labelled values for the
// series with a second label, one value (and whether it was ever set)
// for the others.
type seriesRecord struct {
	labelled []labelledValue
	values   [seriesCount]float64
	set      uint8 // bit i: series i has a value
}

type labelledValue struct {
	series uint8
	label  string
	value  float64
}

func newSourceSeries() *sourceSeries {
	s := &sourceSeries{bySource: map[string]*seriesRecord{}}
	for i, d := range []struct{ name, help, label string }{
		{"silencewatch_fetches_total", "Polls by source and outcome (ok, unchanged, not_modified, or an error kind).", "outcome"},
		{"silencewatch_items_total", "Feed items by source and state (new, changed, seen).", "state"},
		{"silencewatch_poll_lag_seconds", "How late the last poll of a source started after it was due.", ""},
		{"silencewatch_source_consecutive_failures", "Consecutive failed polls of a source.", ""},
		{"silencewatch_items_deferred_total", "New or changed feed items left for a later poll by crawler.max_items_per_poll, by source.", ""},
		{"silencewatch_headers_truncated_total", "Responses whose headers the store cut at its cap (64 KiB), by source.", ""},
	} {
		labels := []string{"source"}
		if d.label != "" {
			labels = append(labels, d.label)
		}
		s.descs[i] = prometheus.NewDesc(d.name, d.help, labels, nil)
	}
	return s
}

// record returns source's record; s.mu is held.
func (s *sourceSeries) record(source string) *seriesRecord {
	r := s.bySource[source]
	if r == nil {
		r = &seriesRecord{}
		s.bySource[source] = r
	}
	return r
}

// add adds v to a series; label is the second label's value, for the
// series that have one.
func (s *sourceSeries) add(source string, series int, label string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(source)
	if series == seriesFetches || series == seriesItems {
		for i := range r.labelled {
			if l := &r.labelled[i]; int(l.series) == series && l.label == label {
				l.value += v
				return
			}
		}
		r.labelled = append(r.labelled, labelledValue{series: uint8(series), label: label, value: v})
		return
	}
	r.values[series] += v
	r.set |= 1 << series
}

// set sets a gauge.
func (s *sourceSeries) set(source string, series int, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.record(source)
	r.values[series] = v
	r.set |= 1 << series
}

// value is a series' value (0 when it has none), for tests.
func (s *sourceSeries) value(source string, series int, label string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.bySource[source]
	if r == nil {
		return 0
	}
	for _, l := range r.labelled {
		if int(l.series) == series && l.label == label {
			return l.value
		}
	}
	return r.values[series]
}

// Describe implements prometheus.Collector.
func (s *sourceSeries) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *sourceSeries) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for source, r := range s.bySource {
		for _, l := range r.labelled {
			ch <- prometheus.MustNewConstMetric(s.descs[l.series], seriesKinds[l.series], l.value, source, l.label)
		}
		for i := seriesLag; i < seriesCount; i++ {
			if r.set&(1<<i) != 0 {
				ch <- prometheus.MustNewConstMetric(s.descs[i], seriesKinds[i], r.values[i], source)
			}
		}
	}
}
