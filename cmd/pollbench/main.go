// Command pollbench measures one full poll cycle of many feeds, served on
// loopback, through silencewatch's real pipeline: fetch, parse, store,
// evaluate, outbox. The feeds are served by a child process (this program
// re-executed), so the CPU time and peak RSS it reports are the crawler's
// alone.
//
//	go build -o /tmp/pollbench ./cmd/pollbench
//	/tmp/pollbench                          # 2,000 feeds, 16 workers
//	/tmp/pollbench -workers 64 -per-host 64 # tuned
//
// Cycle 1 polls every feed once with nothing stored: every feed answers
// 200 and every item is parsed, stored and evaluated. Then every 20th feed
// publishes one item, and cycle 2 polls them all again: 95% answer 304.
// Cycle 3 polls them once more with nothing changed: all answer 304. The
// run fails (exit 1) unless the store and the metrics show exactly that.
//
//	/tmp/pollbench -daemon 10m -every 1m -feeds 10000
//
// runs the daemon's own loop (monitor.Run) instead for ten minutes, every
// feed due every minute, and reports its steady state: CPU per poll and
// per minute, poll lag and peak RSS (see daemon.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// options are the benchmark's flags.
type options struct {
	Feeds        int
	Items        int
	Workers      int
	PerHost      int
	PerHostDelay time.Duration
	Config       string
	CPUProfile   string
	Published    time.Time
	Gzip         bool
	Daemon       time.Duration // 0: the three cycles
	Every        time.Duration // with -daemon or -processes
	MemProfile   string
	// FirstPollSpread is crawler.first_poll_spread.
	FirstPollSpread time.Duration
	// The -processes mode (processes.go).
	Processes int
	Bin       string
	Postgres  string
	NoRelay   bool
}

func main() {
	if params, ok := os.LookupEnv(childEnv); ok {
		os.Exit(serveMain(params))
	}
	var o options
	published := "2017-05-06T08:00:00+02:00"
	flag.IntVar(&o.Feeds, "feeds", 2000, "feeds to serve and poll")
	flag.IntVar(&o.Items, "items", 10, "items per feed")
	flag.IntVar(&o.Workers, "workers", 16, "crawler.workers: polls in flight at once")
	flag.IntVar(&o.PerHost, "per-host", 16, "crawler.per_host_concurrency: every feed is on one host here, so keep it at -workers")
	flag.DurationVar(&o.PerHostDelay, "per-host-delay", 0, "crawler.per_host_delay: with one host, any delay serialises the cycle")
	flag.StringVar(&o.Config, "config", "config.yaml", "config whose elections, guidance, leaks, lists and rules are used (its sources are replaced)")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of this process during each cycle: `file`.pprof gives file.cycle1.pprof, ...")
	flag.StringVar(&published, "published", published, "pubDate (RFC 3339) of every feed's first item, the next ones 10 min apart; the default lies in the example config's silence windows, so every item is scanned by the rules")
	flag.BoolVar(&o.Gzip, "gzip", true, "serve feeds gzip-compressed, as news sites do")
	flag.DurationVar(&o.Daemon, "daemon", 0, "instead of the three cycles, run the daemon's scheduler (monitor.Run) for this long, every feed due every -every, and report its steady state")
	flag.DurationVar(&o.Every, "every", time.Minute, "with -daemon or -processes: every feed's every, silence_every and max_every, and the window CPU is reported by")
	flag.DurationVar(&o.FirstPollSpread, "first-poll-spread", 0, "crawler.first_poll_spread: the span the feeds' first polls (full fetches) are spread over, when longer than -every")
	flag.StringVar(&o.MemProfile, "memprofile", "", "with -daemon: write a heap profile at the end of the run to `file`")
	flag.IntVar(&o.Processes, "processes", 0, "instead of cycles in this process, run this many `silencewatch run` daemons polling every -every, and measure their first and a steady cycle (CPU from /proc, PostgreSQL's included)")
	flag.StringVar(&o.Bin, "bin", "", "with -processes: the silencewatch binary (default: built from ./cmd/silencewatch)")
	flag.StringVar(&o.Postgres, "postgres", "", "with -processes: a PostgreSQL server `URL` on this machine; the run processes share a database of their own on it (default: a SQLite file, one process)")
	flag.BoolVar(&o.NoRelay, "no-relay", false, "with -processes: relay.enabled: false (no laundering watch), to measure the rest of the pipeline")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pollbench: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	t, err := time.Parse(time.RFC3339, published)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pollbench: -published: %v\n", err)
		os.Exit(2)
	}
	o.Published = t

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if o.Processes > 0 {
		code = runProcesses(ctx, o, os.Stdout, os.Stderr)
	} else {
		code = run(ctx, o, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// maxRSSKiB converts getrusage's ru_maxrss to KiB: Linux reports KiB,
// macOS bytes.
func maxRSSKiB(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v / 1024
	}
	return v
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func seconds(d time.Duration) float64 { return d.Seconds() }
