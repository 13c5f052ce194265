package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The daemon mode (-daemon DURATION) runs monitor.Run, the scheduler of
// `silencewatch run`, over the feed server for DURATION, every feed due
// every -every. The first windows of -every, until every feed's first
// poll has started (all 200, every item stored and evaluated), are the
// warm-up, reported apart. The windows after it are the steady state:
// 304s, and the validator checks (full GETs of unchanged feeds) the
// cadence spreads over them.

// lagHist counts poll lags in buckets growing by 5%, so a long run at
// 50,000 feeds keeps a few kilobytes rather than every lag.
type lagHist struct {
	counts [lagBuckets]atomic.Int64
}

const (
	lagBuckets = 640
	lagGrowth  = 1.05
)

func (h *lagHist) add(lag time.Duration) {
	b := 0
	if lag > time.Microsecond {
		b = min(int(math.Log(float64(lag/time.Microsecond))/math.Log(lagGrowth))+1, lagBuckets-1)
	}
	h.counts[b].Add(1)
}

// quantile is the upper bound of the bucket holding the q-quantile.
func (h *lagHist) quantile(q float64) time.Duration {
	var total int64
	for i := range h.counts {
		total += h.counts[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(total)))
	var seen int64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= rank {
			return time.Duration(math.Pow(lagGrowth, float64(i))) * time.Microsecond
		}
	}
	return 0
}

// window is one -every of the daemon run.
type window struct {
	cpu   time.Duration // this process's, the benchmark's own counting taken out
	polls int64         // started
}

// daemonResult is what the daemon mode reports.
type daemonResult struct {
	o              options
	note           configNote
	windows        []window
	warmupWindows  int
	warmup, steady counts // what the pipeline did in the warm-up, and after it
	lags           *lagHist
	warmupRSSKiB   int64 // peak RSS at the end of the warm-up
	peakRSSKiB     int64
	heapInUse      uint64 // after a GC at the end
	server         rusage
	serverErr      error
	goVersion      string
	procs          int
}

// runDaemon is the daemon mode of run.
func (b *bench) runDaemon(ctx context.Context) (*daemonResult, error) {
	r := &daemonResult{o: b.o, note: b.cfgNote, lags: &lagHist{}, goVersion: runtime.Version(), procs: runtime.GOMAXPROCS(0)}
	var polls atomic.Int64
	var steady, warm atomic.Bool
	var mu sync.Mutex
	first := map[string]bool{} // sources polled, until all are
	b.onDispatch = func(source string, lag time.Duration) {
		polls.Add(1)
		switch {
		case steady.Load():
			r.lags.add(lag)
		case !warm.Load():
			mu.Lock()
			if first[source] = true; len(first) == b.o.Feeds {
				warm.Store(true)
				first = nil
			}
			mu.Unlock()
		}
	}
	before, err := b.count(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = b.mon.Run(runCtx) })

	n := int(b.o.Daemon / b.o.Every)
	tick := time.NewTicker(b.o.Every)
	defer tick.Stop()
	last, lastPolls := getRusage(), int64(0)
	var stopProfile func() error
	for i := range n {
		select {
		case <-ctx.Done():
			stop()
			wg.Wait()
			return nil, ctx.Err()
		case <-tick.C:
		}
		u, p := getRusage(), polls.Load()
		r.windows = append(r.windows, window{cpu: u.CPU() - last.CPU(), polls: p - lastPolls})
		last, lastPolls = u, p
		if !steady.Load() && warm.Load() {
			// The end of the warm-up: count what it did, then take the
			// counting's CPU out of the next window.
			r.warmupWindows = i + 1
			r.warmupRSSKiB = u.MaxRSSKiB
			c, err := b.count(ctx)
			if err != nil {
				stop()
				wg.Wait()
				return nil, err
			}
			r.warmup, before = c.sub(before), c
			steady.Store(true)
			if stopProfile, err = startProfile(b.o.CPUProfile, 0); err != nil {
				stop()
				wg.Wait()
				return nil, err
			}
			last = getRusage()
		}
	}
	if r.warmupWindows == 0 || r.warmupWindows == n {
		stop()
		wg.Wait()
		return nil, fmt.Errorf("-daemon %s: the warm-up (every feed's first poll) took %d of %d windows: no steady state to measure",
			b.o.Daemon, r.warmupWindows, n)
	}
	if err := stopProfile(); err != nil {
		stop()
		wg.Wait()
		return nil, err
	}
	if b.o.MemProfile != "" {
		if err := writeHeapProfile(b.o.MemProfile); err != nil {
			stop()
			wg.Wait()
			return nil, err
		}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	r.heapInUse = ms.HeapInuse
	stop()
	wg.Wait()
	if runErr != nil {
		return nil, fmt.Errorf("monitor: %w", runErr)
	}
	after, err := b.count(ctx)
	if err != nil {
		return nil, err
	}
	r.steady = after.sub(before)
	r.steady.articles, r.steady.versions = after.articles, after.versions // totals, for the check
	r.peakRSSKiB = getRusage().MaxRSSKiB
	r.server, r.serverErr = b.server.rusage(ctx)
	return r, nil
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("-memprofile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("-memprofile: %w", err)
	}
	return f.Close()
}

// cpuStats are the median and the largest of the windows' CPU.
func cpuStats(ws []window) (median, largest time.Duration) {
	if len(ws) == 0 {
		return 0, 0
	}
	cpu := make([]time.Duration, len(ws))
	for i, w := range ws {
		cpu[i] = w.cpu
	}
	slices.Sort(cpu)
	median = cpu[len(cpu)/2]
	if len(cpu)%2 == 0 {
		median = (cpu[len(cpu)/2-1] + cpu[len(cpu)/2]) / 2
	}
	return median, cpu[len(cpu)-1]
}

// report prints the figures and the check, and says whether it passed.
func (r *daemonResult) report(w io.Writer) bool {
	o := r.o
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	n := o.Feeds
	p("pollbench -daemon: monitor.Run over %d feeds × %d items on loopback for %s, every feed due every %s", n, o.Items, o.Daemon, o.Every)
	p("  %s, GOMAXPROCS %d; crawler: workers %d, per_host_concurrency %d; config: %d rules of %s; store: SQLite; clock: real",
		r.goVersion, r.procs, o.Workers, o.PerHost, r.note.rules, r.note.path)
	if o.FirstPollSpread > 0 {
		p("  crawler.first_poll_spread %s: the first polls are spread over it", o.FirstPollSpread)
	}
	p("  window = %s (-every); the warm-up lasts until every feed's first poll has started, the steady state is the windows after it", o.Every)
	p("")
	var warm window
	for _, w := range r.windows[:r.warmupWindows] {
		warm.cpu += w.cpu
		warm.polls += w.polls
	}
	allMed, allMax := cpuStats(r.windows)
	p("warm-up (windows 1-%d): %d polls (200: %d, unchanged: %d, 304: %d, errors: %d), CPU %.2f s, peak RSS %.1f MiB",
		r.warmupWindows, warm.polls, r.warmup.fetchOK, r.warmup.fetchUnchanged, r.warmup.fetchNotModified, r.warmup.fetchErrors, seconds(warm.cpu), mib(r.warmupRSSKiB))
	p("  every window, warm-up included: median %.2f s, max %.2f s, max/median %.2f", seconds(allMed), seconds(allMax), float64(allMax)/float64(max(allMed, 1)))
	steady := r.windows[r.warmupWindows:]
	var cpu time.Duration
	var polls int64
	for _, w := range steady {
		cpu += w.cpu
		polls += w.polls
	}
	med, largest := cpuStats(steady)
	ratio := 0.0
	if med > 0 {
		ratio = float64(largest) / float64(med)
	}
	fetches := r.steady.polls()
	p("steady state (windows %d-%d): %d polls (304: %d; 200 unchanged: %d validator checks of a body already ingested; 200 ingested: %d; errors: %d)",
		r.warmupWindows+1, len(r.windows), fetches, r.steady.fetchNotModified, r.steady.fetchUnchanged, r.steady.fetchOK, r.steady.fetchErrors)
	p("  CPU per poll      %.0f µs (steady CPU / polls started; the validator checks included, as in any steady minute)",
		perPoll(cpu, int(polls)).Seconds()*1e6)
	p("  CPU per window    median %.2f s, max %.2f s, max/median %.2f (%.1f%% of %d cores at the median)",
		seconds(med), seconds(largest), ratio, 100*seconds(med)/seconds(o.Every)/float64(r.procs), r.procs)
	p("  poll lag          p50 %s, p90 %s, p99 %s, max %s (bucket upper bounds, 5%% wide)",
		r.lags.quantile(0.5), r.lags.quantile(0.9), r.lags.quantile(0.99), r.lags.quantile(1))
	p("  peak RSS          %.1f MiB (in-use heap after a final GC: %.1f MiB)", mib(r.peakRSSKiB), float64(r.heapInUse)/(1<<20))
	var line []byte
	for i, w := range r.windows {
		line = fmt.Appendf(line, " %d:%.2fs/%d", i+1, seconds(w.cpu), w.polls)
	}
	p("  windows (CPU/polls)%s", line)
	if r.serverErr != nil {
		p("feed server (child): rusage unavailable: %v", r.serverErr)
	} else {
		p("feed server (child, not counted above): CPU %.2f s, peak RSS %.1f MiB", seconds(r.server.CPU()), mib(r.server.MaxRSSKiB))
	}
	if o.CPUProfile != "" {
		p("CPU profile of the steady state: %s", profilePath(o.CPUProfile, 0))
	}
	p("")

	// The check: every feed stored in full by its first poll (in the
	// warm-up, but for the few a loaded machine starts late), nothing
	// stored again (the feeds never change), no failure.
	var bad []string
	check := func(what string, got, want int) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s: got %d, want %d", what, got, want))
		}
	}
	if ok := r.warmup.fetchOK + r.steady.fetchOK; ok < n {
		bad = append(bad, fmt.Sprintf("200 answers: got %d, want at least %d (every feed's first poll)", ok, n))
	}
	check("warm-up: failed polls", r.warmup.fetchErrors, 0)
	check("steady state: failed polls", r.steady.fetchErrors, 0)
	check("new items (every feed's first poll only)", r.warmup.itemsNew+r.steady.itemsNew, n*o.Items)
	check("articles in the store", r.steady.articles, n*o.Items)
	check("versions in the store", r.steady.versions, n*o.Items)
	if fetches == 0 {
		bad = append(bad, "steady state: no poll")
	}
	p("check: %d articles, %d versions (want %d); %d failed polls", r.steady.articles, r.steady.versions, n*o.Items,
		r.warmup.fetchErrors+r.steady.fetchErrors)
	return verdict(w, bad)
}
