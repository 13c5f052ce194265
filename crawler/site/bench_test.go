package site

import (
	"bufio"
	"context"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/site/internal/benchsite"
)

const (
	benchPages    = 5000
	benchSections = 50
)

func benchOptions(base string) Options {
	return Options{
		Source:      "bench",
		Transport:   crawler.NewTransport(crawler.TransportOptions{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, PerHostConcurrency: 8}),
		StartURLs:   benchsite.StartURLs(base, benchSections),
		Follow:      []*regexp.Regexp{benchsite.Follow},
		Parallelism: 8,
		Delay:       -1,
		MaxQueue:    2 * benchPages,
		MaxPages:    2 * benchPages,
		Visited:     NewMemoryVisited(),
	}
}

// BenchmarkCrawl5000 crawls a local site of 5,000 articles (5–15 KB) and
// 50 sections, served in-process; one iteration is one full pass with an
// empty visited set. Crawl only: see internal/sitebench for extraction.
func BenchmarkCrawl5000(b *testing.B) {
	srv := httptest.NewServer(benchsite.Handler(benchPages, benchSections))
	defer srv.Close()
	var articles int
	start := time.Now()
	for b.Loop() {
		stats, err := Crawl(context.Background(), benchOptions(srv.URL), nil)
		if err != nil || stats.Articles != benchPages {
			b.Fatalf("Crawl: %v, %+v", err, stats)
		}
		articles += stats.Articles
	}
	b.ReportMetric(float64(articles)/time.Since(start).Seconds(), "pages/s")
	b.ReportMetric(maxRSSMB(b), "peakRSS-MB")
}

// TestCrawl5000RSS measures one pass over the 5,000-article site served
// by a child process, so the peak RSS is the crawler's alone. It runs only
// with SILENCEWATCH_BENCH=1. Run the compiled test binary itself: Linux
// keeps ru_maxrss across execve, so under `go test` the figure starts at
// the go command's own peak (about 30 MB):
//
//	go test -c -o /tmp/site.test ./crawler/site/
//	SILENCEWATCH_BENCH=1 /tmp/site.test -test.run TestCrawl5000RSS -test.v
func TestCrawl5000RSS(t *testing.T) {
	if os.Getenv("SILENCEWATCH_BENCH") != "1" {
		t.Skip("set SILENCEWATCH_BENCH=1 to run")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSiteServer$")
	cmd.Env = append(os.Environ(), "SILENCEWATCH_BENCH_SERVE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	base := strings.TrimSpace(line)

	before := maxRSSMB(t)
	start := time.Now()
	stats, err := Crawl(context.Background(), benchOptions(base), nil)
	elapsed := time.Since(start)
	if err != nil || stats.Articles != benchPages {
		t.Fatalf("Crawl: %v, %+v", err, stats)
	}
	t.Logf("%d articles (%d responses) in %v: %.0f pages/s; peak RSS %.1f MB (%.1f MB before the crawl)",
		stats.Articles, stats.Fetched, elapsed.Round(time.Millisecond),
		float64(stats.Articles)/elapsed.Seconds(), maxRSSMB(t), before)
}

// TestBenchSiteServer is the child process of TestCrawl5000RSS.
func TestBenchSiteServer(t *testing.T) {
	if os.Getenv("SILENCEWATCH_BENCH_SERVE") != "1" {
		t.Skip("the benchmark site's server process")
	}
	benchsite.Serve(benchPages, benchSections)
}

func maxRSSMB(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}
