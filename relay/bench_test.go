package relay

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// The 100,000-article window of the benchmarks, built once: 1,000 outlets,
// a third of the articles in relay chains; the 2,000 articles that follow
// it in time are the new ones matched.
var (
	benchOnce   sync.Once
	benchIndex  *Index
	benchNew    []Article
	benchHeapMB float64
	benchBuild  time.Duration
	benchWords  int
)

func benchWindow(b *testing.B) {
	benchOnce.Do(func() {
		g := generate(42, 1000, 102000, 0.33)
		window := make([]Article, 0, 100000)
		for _, a := range g.articles[:100000] {
			window = append(window, a.Article)
			benchWords += a.words()
		}
		// New articles: every other one copies 12–60 words of a random
		// article of the window, lightly edited, inside its own text.
		r := rand.New(rand.NewPCG(42, 43))
		v := newVocab(r)
		for i, a := range g.articles[100000:] {
			if i%2 == 0 {
				src := window[r.IntN(len(window))]
				ws := strings.Fields(src.Segments[len(src.Segments)-1].Text)
				n := min(len(ws), 12+r.IntN(49))
				at := r.IntN(len(ws) - n + 1)
				p := v.edit(r, "fr", ws[at:at+n])
				text := sentence(slices.Concat(v.body(r, "fr", 40+r.IntN(150)), p, v.body(r, "fr", 40+r.IntN(150))))
				a.Outlet, a.At = "newcomer", src.At.Add(time.Hour)
				a.Segments = []article.Segment{{Field: article.FieldContent, Text: text}}
			}
			benchNew = append(benchNew, a.Article)
		}
		g = nil
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		benchIndex = New(Options{Window: 30 * 24 * time.Hour, MaxDocFreq: benchDF}) // the whole generated week stays in the window
		benchIndex.Add(window...)
		benchBuild = time.Since(start)
		window = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		benchHeapMB = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	})
	b.Logf("window: %d articles, %.0f words on average; built in %s; heap held by the index %.0f MB (Stats.Bytes %.0f MB); levels %v",
		benchIndex.Stats().Articles, float64(benchWords)/100000, benchBuild.Round(time.Millisecond), benchHeapMB,
		float64(benchIndex.Stats().Bytes)/(1<<20), benchIndex.Stats().Levels)
}

// BenchmarkMatch100k: matching one new article against the 100,000-article
// window (Match: the index is left as it is).
func BenchmarkMatch100k(b *testing.B) {
	benchWindow(b)
	b.ReportAllocs()
	b.ResetTimer()
	edges := 0
	for i := 0; b.Loop(); i++ {
		edges += len(benchIndex.Match(benchNew[i%len(benchNew)]))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(edges)/float64(b.N), "edges/article")
	b.ReportMetric(benchHeapMB, "index-MB")
}

// BenchmarkObserve: matching and indexing, on a fresh index (what the
// monitor pays per evaluated version, merges of the levels included).
func BenchmarkObserve(b *testing.B) {
	g := generate(43, 1000, 20000, 0.33)
	x := New(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x.Observe(g.articles[i%len(g.articles)].Article)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

// benchDF is the window's boilerplate bound (RELAY_BENCH_DF; default
// DefaultMaxDocFreq).
var benchDF = func() int {
	n, _ := strconv.Atoi(os.Getenv("RELAY_BENCH_DF"))
	return n
}()
