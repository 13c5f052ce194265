package config

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

// sourcesConfig is a config of n feeds written as pollbench -daemon
// writes its loopback feeds, one flow mapping a line.
func sourcesConfig(n int) []byte {
	var b bytes.Buffer
	b.WriteString("crawler:\n  workers: 16\nsources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: feed-%05d, url: \"http://127.0.0.1:40000/feed/%d\", language: fr, tags: [national, daily], every: 1m0s, silence_every: 1m0s, max_every: 1m0s, min_every: 30s}\n", i, i)
	}
	return b.Bytes()
}

// BenchmarkParseSources parses configs of many sources and reports the
// bytes allocated per source and the heap the parsed Config retains per
// source (after a GC, while the Config is live).
func BenchmarkParseSources(b *testing.B) {
	for _, n := range []int{2000, 50000} {
		data := sourcesConfig(n)
		b.Run(fmt.Sprintf("sources=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var base, end, live runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&base)
			var cfg *Config
			for b.Loop() {
				var err error
				cfg, err = Parse("bench.yaml", data, noEnv)
				if err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&end)
			runtime.GC()
			runtime.ReadMemStats(&live)
			if len(cfg.Sources) != n {
				b.Fatalf("%d sources, want %d", len(cfg.Sources), n)
			}
			runtime.KeepAlive(cfg)
			b.ReportMetric(float64(end.TotalAlloc-base.TotalAlloc)/float64(b.N)/float64(n), "B/source")
			b.ReportMetric(float64(int64(live.HeapAlloc)-int64(base.HeapAlloc))/float64(n), "retained-B/source")
		})
	}
}
