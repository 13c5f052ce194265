// Package cpubench reports a benchmark's throughput per second of CPU
// time, beside the wall-clock MB/s: on a shared machine it is the figure
// per core that other load does not distort (with -cpu 1).
package cpubench

import (
	"testing"
	"time"
)

// Rate measures one benchmark's CPU time.
type Rate struct {
	b     *testing.B
	bytes int64
	start time.Duration
}

// Start sets the bytes one op processes, reports allocations, resets the
// timer and starts counting CPU time.
func Start(b *testing.B, bytes int64) *Rate {
	b.SetBytes(bytes)
	b.ReportAllocs()
	b.ResetTimer()
	return &Rate{b: b, bytes: bytes, start: processCPU()}
}

// Stop stops the timer and reports cpu-MB/s.
func (r *Rate) Stop() {
	r.b.StopTimer()
	if d := processCPU() - r.start; d > 0 {
		r.b.ReportMetric(float64(r.bytes)*float64(r.b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}
