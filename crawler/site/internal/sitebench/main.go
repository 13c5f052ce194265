// Command sitebench measures site.Crawl on a local news site: pages per
// second and the crawler's peak RSS, with or without text extraction.
//
//	go build -o /tmp/sitebench ./crawler/site/internal/sitebench
//	/tmp/sitebench                  # crawl only
//	/tmp/sitebench -extract         # + extract.Extract on every page, in onPage
//	/tmp/sitebench -pages 5000 -sections 50 -parallelism 8
//
// Run the binary itself, not `go run`: Linux keeps ru_maxrss across
// execve, so under `go run` the figure starts at the go command's peak.
// The binary links the extraction package (go-trafilatura, a WASM RE2),
// which alone takes about 64 MB before the crawl starts; the crawl-only
// figure without it is TestCrawl5000RSS in package site.
//
// The site (sections linking to articles of 5–15 KB of HTML, generated
// deterministically) is served by a child process, the same binary run with
// -serve, so the peak RSS reported (getrusage RUSAGE_SELF, ru_maxrss) is the
// crawler's alone. Run one mode per invocation: the peak of a process never
// goes down.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
	"github.com/silencewatch/silencewatch/crawler/site"
	"github.com/silencewatch/silencewatch/crawler/site/internal/benchsite"
)

func main() {
	var (
		serve       = flag.Bool("serve", false, "serve the site on loopback and print its URL (used by the parent)")
		pages       = flag.Int("pages", 5000, "article pages")
		sections    = flag.Int("sections", 50, "section pages sharing the articles")
		parallelism = flag.Int("parallelism", 8, "site.Options.Parallelism")
		delay       = flag.Duration("delay", -1, "site.Options.Delay (negative: none)")
		doExtract   = flag.Bool("extract", false, "run extract.Extract on every page")
	)
	flag.Parse()
	if *serve {
		benchsite.Serve(*pages, *sections)
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	base, child, err := startServer(*pages, *sections)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()

	opts := site.Options{
		Source: "bench",
		// The bench site listens on loopback.
		Transport:   crawler.NewTransport(crawler.TransportOptions{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, PerHostConcurrency: *parallelism}),
		StartURLs:   benchsite.StartURLs(base, *sections),
		Follow:      []*regexp.Regexp{benchsite.Follow},
		Parallelism: *parallelism,
		Delay:       *delay,
		MaxQueue:    2 * *pages,
		MaxPages:    2 * *pages,
		Visited:     site.NewMemoryVisited(),
	}
	baseRSS := maxRSS()
	var bodyBytes, textBytes, extractErrs int
	var extractTime time.Duration
	start := time.Now()
	stats, err := site.Crawl(ctx, opts, func(p site.Page) error {
		bodyBytes += len(p.Body)
		if !*doExtract {
			return nil
		}
		t0 := time.Now()
		r, err := extract.Extract(p.Body, p.Header.Get("Content-Type"), p.URL, extract.Feed{})
		extractTime += time.Since(t0)
		if err != nil {
			extractErrs++
			return nil
		}
		textBytes += len(r.Text)
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		log.Fatalf("crawl: %v", err)
	}
	mode := "crawl only"
	if *doExtract {
		mode = "crawl + extract"
	}
	fmt.Printf("mode:          %s (parallelism %d, delay %v)\n", mode, *parallelism, *delay)
	fmt.Printf("articles:      %d (fetched %d responses, %d errors, %d queue drops)\n", stats.Articles, stats.Fetched, stats.ErrorCount, stats.QueueDrops)
	fmt.Printf("elapsed:       %v\n", elapsed.Round(time.Millisecond))
	fmt.Printf("pages/s:       %.0f articles/s (%.0f responses/s)\n", float64(stats.Articles)/elapsed.Seconds(), float64(stats.Fetched)/elapsed.Seconds())
	fmt.Printf("bodies:        %.1f MB, mean %.1f KB\n", float64(bodyBytes)/1e6, float64(bodyBytes)/float64(max(stats.Articles, 1))/1e3)
	if *doExtract {
		fmt.Printf("extraction:    %v total, %.1f ms/page, %d errors, %.1f MB of text\n", extractTime.Round(time.Millisecond),
			float64(extractTime.Milliseconds())/float64(max(stats.Articles, 1)), extractErrs, float64(textBytes)/1e6)
	}
	fmt.Printf("peak RSS:      %.1f MB (crawler process; %.1f MB before the crawl)\n", maxRSS(), baseRSS)
	for _, e := range stats.Errors[:min(len(stats.Errors), 5)] {
		fmt.Println("error:", e)
	}
}

// maxRSS is the process's peak resident set so far, in MB.
func maxRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// startServer runs this binary with -serve and reads the site's URL.
func startServer(pages, sections int) (string, *exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe, "-serve", "-pages", strconv.Itoa(pages), "-sections", strconv.Itoa(sections))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", nil, fmt.Errorf("server: %w", err)
	}
	return strings.TrimSpace(line), cmd, nil
}
