package monitor

import (
	"bytes"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// sourceSeries holds the series labelled by source in one small record a
// source, and writes them out in Prometheus's text format at each scrape.
// One client_golang child a series cost about 2 KB a source in the daemon
// (label pairs, hashes, a lock each), the most memory a configured source
// took. A scrape writes them straight out rather than building
// client_golang metrics: at 50,000 sources that built 300,000 of them,
// 181 MiB allocated and 120 MiB held at once, every scrape. The series
// exposed are the same.
type sourceSeries struct {
	families [seriesCount]seriesFamily

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

// seriesFamily is one metric name's description.
type seriesFamily struct {
	name, help, kind string
	label            string // the second label's name, "" for none
}

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
	return &sourceSeries{bySource: map[string]*seriesRecord{}, families: [seriesCount]seriesFamily{
		{"silencewatch_fetches_total", "Polls by source and outcome (ok, unchanged, not_modified, or an error kind).", "counter", "outcome"},
		{"silencewatch_items_total", "Feed items by source and state (new, changed, seen).", "counter", "state"},
		{"silencewatch_poll_lag_seconds", "How late the last poll of a source started after it was due.", "gauge", ""},
		{"silencewatch_source_consecutive_failures", "Consecutive failed polls of a source.", "gauge", ""},
		{"silencewatch_items_deferred_total", "New or changed feed items left for a later poll by crawler.max_items_per_poll, by source.", "counter", ""},
		{"silencewatch_headers_truncated_total", "Responses whose headers the store cut at its cap (64 KiB), by source.", "counter", ""},
	}}
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

// textChunk is how many sources' lines are written under the lock at a
// time: the pollers are never held up for the scrape's reader.
const textChunk = 512

// writeText writes every series in Prometheus's text exposition format
// (version 0.0.4), each family's lines together, sources in name order:
// what a client_golang collector of the same series would expose.
func (s *sourceSeries) writeText(w io.Writer) error {
	s.mu.Lock()
	names := make([]string, 0, len(s.bySource))
	for name := range s.bySource {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	order := make([]int, seriesCount) // families by name, as a registry sorts them
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(s.families[a].name, s.families[b].name) })
	var buf bytes.Buffer
	var labels []labelledValue
	for _, series := range order {
		f := &s.families[series]
		header := false
		for start := 0; start < len(names); start += textChunk {
			buf.Reset()
			s.mu.Lock()
			for _, name := range names[start:min(start+textChunk, len(names))] {
				r := s.bySource[name]
				if r == nil { // a source removed since the scrape began
					continue
				}
				labels = labels[:0]
				if f.label != "" {
					for _, l := range r.labelled {
						if int(l.series) == series {
							labels = append(labels, l)
						}
					}
				} else if r.set&(1<<series) != 0 {
					labels = append(labels, labelledValue{value: r.values[series]})
				}
				if len(labels) == 0 {
					continue
				}
				if !header {
					header = true
					buf.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n# TYPE " + f.name + " " + f.kind + "\n")
				}
				slices.SortFunc(labels, func(a, b labelledValue) int { return strings.Compare(a.label, b.label) })
				for _, l := range labels {
					// Label names in order, as client_golang writes them.
					first, second := [2]string{"source", name}, [2]string{f.label, l.label}
					if f.label != "" && f.label < "source" {
						first, second = second, first
					}
					buf.WriteString(f.name)
					buf.WriteByte('{')
					writeLabel(&buf, first)
					if f.label != "" {
						buf.WriteByte(',')
						writeLabel(&buf, second)
					}
					buf.WriteString(`} `)
					buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), l.value, 'g', -1, 64))
					buf.WriteByte('\n')
				}
			}
			s.mu.Unlock()
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeLabel writes a label, name and value, as name="value".
func writeLabel(buf *bytes.Buffer, label [2]string) {
	buf.WriteString(label[0])
	buf.WriteString(`="`)
	writeLabelValue(buf, label[1])
	buf.WriteByte('"')
}

// writeLabelValue escapes a label value as the text format wants:
// backslash, double quote and line feed; bytes that are not UTF-8 become
// U+FFFD, since a scraper refuses them.
func writeLabelValue(buf *bytes.Buffer, v string) {
	for _, r := range strings.ToValidUTF8(v, "\uFFFD") {
		switch r {
		case '\\':
			buf.WriteString(`\\`)
		case '"':
			buf.WriteString(`\"`)
		case '\n':
			buf.WriteString(`\n`)
		default:
			buf.WriteRune(r)
		}
	}
}

func escapeHelp(h string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(h)
}

// totals sums each series over the sources, by its second label's value
// ("" for the series without one).
func (s *sourceSeries) totals() map[string]map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]float64, seriesCount)
	for i := range s.families {
		out[s.families[i].name] = map[string]float64{}
	}
	for _, r := range s.bySource {
		for _, l := range r.labelled {
			out[s.families[l.series].name][l.label] += l.value
		}
		for i := range s.families {
			if s.families[i].label == "" && r.set&(1<<i) != 0 {
				out[s.families[i].name][""] += r.values[i]
			}
		}
	}
	return out
}
