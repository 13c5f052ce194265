package leak

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// The 20,000-mail benchmarks. They are benchmarks (and one env-gated
// test), so the normal test run does not pay for them:
//
//	go test -run '^$' -bench 20k -benchtime 3x ./rules/leak/
//	go test -run '^$' -bench 'Quotes|Classify' ./rules/leak/
//	LEAK_RSS=1 go test -run TestIndex20kRSS -v ./rules/leak/
const (
	bench20kMails    = 20000
	bench20kMailSize = 2048
	benchArticles    = 200
	benchArticleSize = 5 * 1024
)

var bench20k struct {
	once     sync.Once
	dir      string
	bytes    int64
	ix       *Index
	articles []string
	err      error
}

// benchCorpusDir writes the 20,000 synthetic mails once per test binary.
func benchCorpusDir(tb testing.TB) string {
	tb.Helper()
	bench20k.once.Do(func() {
		docs, _, err := ReadCorpus("testdata/corpus")
		if err != nil {
			bench20k.err = err
			return
		}
		dir, err := os.MkdirTemp("", "silencewatch-leak-20k-")
		if err != nil {
			bench20k.err = err
			return
		}
		bench20k.dir = dir
		bench20k.bytes, bench20k.err = newSynthCorpus(docs).writeMails(dir, bench20kMails, bench20kMailSize, 42)
	})
	if bench20k.err != nil {
		tb.Fatal(bench20k.err)
	}
	return bench20k.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench20k.dir != "" {
		os.RemoveAll(bench20k.dir)
	}
	os.Exit(code)
}

func benchOptions(tb testing.TB) Options {
	fixtureIndex(tb)
	o := Options{Background: fixture.bg, Identifiers: fixture.leak.Identifiers, DisclosedAt: fixture.leak.DisclosedAt}
	return o
}

// bench20kIndex builds the 20k index and 5 KB articles (background news
// with two lightly edited passages of the synthetic mails planted in each).
func bench20kIndex(b *testing.B) (*Index, []string) {
	dir := benchCorpusDir(b)
	if bench20k.ix == nil {
		docs, _, err := ReadCorpus(dir)
		if err != nil {
			b.Fatal(err)
		}
		bench20k.ix = Build(docs, benchOptions(b))
		bench20k.articles = benchArticleTexts(bench20k.ix, fixture.bg, benchArticles, 7)
	}
	return bench20k.ix, bench20k.articles
}

func benchArticleTexts(ix *Index, bg []string, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed))
	planted := plantPassages(ix, bg, 2*n, seed)
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		b.WriteString(planted[2*i].host)
		for b.Len() < benchArticleSize-1500 {
			b.WriteString("\n\n")
			b.WriteString(bg[rng.IntN(len(bg))])
		}
		b.WriteString("\n\n")
		b.WriteString(planted[2*i+1].host)
		out[i] = b.String()
	}
	return out
}

// BenchmarkIndex20k reads and indexes 20,000 mails of about 2 KB: MIME
// and charset decoding, quote deduplication, fingerprinting, the table
// and the term model.
func BenchmarkIndex20k(b *testing.B) {
	dir := benchCorpusDir(b)
	opts := benchOptions(b)
	b.ReportAllocs()
	var ix *Index
	for b.Loop() {
		docs, skipped, err := ReadCorpus(dir)
		if err != nil || len(skipped) > 0 {
			b.Fatal(err, skipped)
		}
		ix = Build(docs, opts)
	}
	st := ix.Stats()
	b.ReportMetric(float64(bench20k.bytes)/bench20kMails, "bytes/mail")
	b.ReportMetric(float64(st.Fingerprints), "fingerprints")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "index-MB")
}

// BenchmarkBuild20k is the indexing step alone, on parsed documents.
func BenchmarkBuild20k(b *testing.B) {
	dir := benchCorpusDir(b)
	opts := benchOptions(b)
	docs, _, err := ReadCorpus(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Build(docs, opts)
	}
}

// BenchmarkUpdate20kUnchanged re-indexes an unchanged corpus through
// Update, from parsed documents (the caller's path when the corpus key
// changed for another reason, or when no stored blob exists).
func BenchmarkUpdate20kUnchanged(b *testing.B) {
	ix, _ := bench20kIndex(b)
	docs := ix.Documents()
	opts := benchOptions(b)
	for b.Loop() {
		Update(ix, docs, opts)
	}
}

// BenchmarkUnmarshal20k restores a stored index blob (the caller's path
// for an unchanged corpus).
func BenchmarkUnmarshal20k(b *testing.B) {
	ix, _ := bench20kIndex(b)
	blob, err := ix.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(blob))/(1<<20), "blob-MB")
	for b.Loop() {
		var x Index
		if err := x.UnmarshalBinary(blob); err != nil {
			b.Fatal(err)
		}
	}
}

func reportArticlesPerSecond(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "articles/s")
}

// BenchmarkQuotes matches 5 KB articles against the 20k index.
func BenchmarkQuotes(b *testing.B) {
	ix, arts := bench20kIndex(b)
	b.SetBytes(int64(len(arts[0])))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ix.Quotes(arts[i%len(arts)], DefaultMinWords)
	}
	reportArticlesPerSecond(b, start)
}

// BenchmarkClassify labels 5 KB articles against the 20k index.
func BenchmarkClassify(b *testing.B) {
	ix, arts := bench20kIndex(b)
	as := make([]*article.Article, len(arts))
	for i, t := range arts {
		as[i] = &article.Article{Title: "Benchmark", Content: t, PublishedAt: fixture.leak.DisclosedAt.Add(time.Hour)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ix.Classify(as[i%len(as)])
	}
	reportArticlesPerSecond(b, start)
}

// BenchmarkClassifyParallel uses every core, as the rule engine's workers
// would.
func BenchmarkClassifyParallel(b *testing.B) {
	ix, arts := bench20kIndex(b)
	as := make([]*article.Article, len(arts))
	for i, t := range arts {
		as[i] = &article.Article{Title: "Benchmark", Content: t}
	}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			ix.Classify(as[i%len(as)])
			i++
		}
	})
	reportArticlesPerSecond(b, start)
}

// TestIndex20kRSS measures indexing 20,000 mails in a child process, so
// that its peak RSS is the indexing's alone: LEAK_RSS=1 to run.
func TestIndex20kRSS(t *testing.T) {
	if child := os.Getenv("LEAK_RSS_CHILD"); child != "" {
		index20kChild(t, child)
		return
	}
	if os.Getenv("LEAK_RSS") == "" {
		t.Skip("set LEAK_RSS=1 to measure indexing 20,000 mails (time and peak RSS)")
	}
	dir := benchCorpusDir(t)
	t.Logf("corpus: %d mails, %.1f MB, %.0f bytes/mail on average", bench20kMails, float64(bench20k.bytes)/(1<<20), float64(bench20k.bytes)/bench20kMails)
	cmd := exec.Command(os.Args[0], "-test.run=^TestIndex20kRSS$", "-test.v")
	cmd.Env = append(os.Environ(), "LEAK_RSS_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	peak := ru.Maxrss * 1024 // kilobytes on Linux
	t.Logf("peak RSS of the indexing process: %.0f MB (user %.1fs, system %.1fs)", float64(peak)/(1<<20),
		time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds())
	if peak > 1<<30 {
		t.Errorf("peak RSS %d MB above 1 GB", peak>>20)
	}
}

func index20kChild(t *testing.T, dir string) {
	opts := benchOptions(t)
	t0 := time.Now()
	docs, skipped, err := ReadCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	hwmParse := peakRSS()
	ix := Build(docs, opts)
	t2 := time.Now()
	hwmBuild := peakRSS()
	blob, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	t3 := time.Now()
	var back Index
	if err := back.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	t4 := time.Now()
	key, err := CorpusKey(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t5 := time.Now()
	upd := Update(ix, docs, opts)
	t6 := time.Now()
	st := ix.Stats()
	fmt.Printf("GOMAXPROCS=%d\n", runtime.GOMAXPROCS(0))
	fmt.Printf("read+parse: %d documents, %d skipped in %v\n", len(docs), len(skipped), t1.Sub(t0).Round(time.Millisecond))
	fmt.Printf("build: %v (%d fingerprints, %d distinct, %d boilerplate dropped at df>%d, %d terms, ~%.0f MB held)\n",
		t2.Sub(t1).Round(time.Millisecond), st.Fingerprints, st.Distinct, st.Boilerplate, st.DocFreqBound, st.Terms, float64(st.Bytes)/(1<<20))
	fmt.Printf("read+parse+build: %v; peak RSS after parsing %d MB, after building %d MB\n", t2.Sub(t0).Round(time.Millisecond), hwmParse>>20, hwmBuild>>20)
	fmt.Printf("marshal: %v, blob %.1f MB; unmarshal: %v\n", t3.Sub(t2).Round(time.Millisecond), float64(len(blob))/(1<<20), t4.Sub(t3).Round(time.Millisecond))
	fmt.Printf("corpus key %s… in %v; update of the unchanged corpus: %v\n", key[:12], t5.Sub(t4).Round(time.Millisecond), t6.Sub(t5).Round(time.Millisecond))
	if upd.Stats() != st {
		t.Error("update of an unchanged corpus changed the index")
	}
	if t2.Sub(t0) > 60*time.Second {
		// Reported, not failed: a timed assertion in a test would make
		// it flaky on a loaded machine.
		fmt.Printf("WARNING: indexing took longer than the 60 s target\n")
	}
}

// peakRSS reads the process's peak resident set (VmHWM) so far, in bytes;
// 0 where /proc is not available.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// corpusFreeArticles is the real corpus as the rule engine sees it, with
// each leak's profile index (identifiers and names, no corpus).
func corpusFreeArticles(b *testing.B) ([]*Index, []*article.Article) {
	c, err := ReadRealCorpus()
	if err != nil {
		b.Fatal(err)
	}
	indexes := map[string]*Index{}
	var ixs []*Index
	var as []*article.Article
	for i := range c.Articles {
		a := &c.Articles[i]
		if indexes[a.Leak] == nil {
			indexes[a.Leak] = Build(nil, c.Leaks[a.Leak].Options())
		}
		ixs = append(ixs, indexes[a.Leak])
		as = append(as, a.Article())
	}
	return ixs, as
}

// BenchmarkClassifyCorpusFree labels the real corpus's articles (about
// 1 KB each, as stored) with no corpus, as the example config does.
func BenchmarkClassifyCorpusFree(b *testing.B) {
	ixs, as := corpusFreeArticles(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ixs[i%len(as)].Classify(as[i%len(as)])
	}
	reportArticlesPerSecond(b, start)
}

// BenchmarkClassifyCorpusFree1MB labels one 1 MB article (the real
// corpus's texts end to end): time and memory grow with its length, no
// more.
func BenchmarkClassifyCorpusFree1MB(b *testing.B) {
	ixs, as := corpusFreeArticles(b)
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		sb.WriteString(as[i%len(as)].Content)
		sb.WriteString("\n\n")
	}
	a := &article.Article{Title: as[0].Title, Content: sb.String()[:1<<20]}
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ixs[0].Classify(a)
	}
}
