package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/monitor"
	"github.com/silencewatch/silencewatch/notify"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // an error, or the counts check failed
	exitUsage  = 2
)

// run is the whole benchmark; main only parses flags.
func run(ctx context.Context, o options, stdout, stderr io.Writer) int {
	if o.Feeds < 1 || o.Items < 1 || o.Workers < 1 || o.PerHost < 1 || o.PerHostDelay < 0 {
		fmt.Fprintln(stderr, "pollbench: -feeds, -items, -workers and -per-host must be at least 1, -per-host-delay not negative")
		return exitUsage
	}
	if o.Daemon < 0 || (o.Daemon > 0 && o.Every <= 0) {
		fmt.Fprintln(stderr, "pollbench: -daemon must not be negative, -every must be positive")
		return exitUsage
	}
	// The feed server's stderr is copied in by os/exec while the daemon
	// logs: one lock for both, for writers that are not files.
	stderr = &lockedWriter{w: stderr}
	b, err := setup(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pollbench: %v\n", err)
		return exitFailed
	}
	defer b.close()
	var r interface{ report(io.Writer) bool }
	if o.Daemon > 0 {
		r, err = b.runDaemon(ctx)
	} else {
		r, err = b.measure(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pollbench: %v\n", err)
		return exitFailed
	}
	if !r.report(stdout) {
		return exitFailed
	}
	return exitOK
}

// bench is a ready pipeline pointed at a running feed server.
type bench struct {
	o        options
	cfgNote  configNote
	server   *child
	tmp      string
	store    *store.DB
	counts   *sql.DB
	mon      *monitor.Monitor
	metrics  *monitor.Metrics
	warnings *atomic.Int64
	// onDispatch, set before the daemon mode starts monitor.Run, is told
	// each poll's lag.
	onDispatch func(source string, lag time.Duration)
}

func setup(ctx context.Context, o options, stderr io.Writer) (_ *bench, err error) {
	b := &bench{o: o, warnings: new(atomic.Int64)}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	path, err := filepath.Abs(o.Config)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-config: %w", err)
	}
	if b.server, err = startServer(o, stderr); err != nil {
		return nil, err
	}
	cfg, note, err := benchConfig(path, raw, b.server.addr, o)
	if err != nil {
		return nil, err
	}
	b.cfgNote = note
	if b.tmp, err = os.MkdirTemp("", "pollbench-"); err != nil {
		return nil, err
	}
	cfg.Store = filepath.Join(b.tmp, "silencewatch.db")

	// The pipeline exactly as app.Daemon builds it, minus the HTTP
	// endpoints; alerts go to a console that writes nowhere.
	engine, err := rules.New(cfg)
	if err != nil {
		return nil, err
	}
	for _, w := range engine.Calendar().Windows() {
		if w.Contains(o.Published) {
			b.cfgNote.windowsAtPublished = append(b.cfgNote.windowsAtPublished, w.Ref())
		}
	}
	if b.store, err = store.OpenSQLite(ctx, cfg.Store); err != nil {
		return nil, err
	}
	clk := clock.Real{}
	fetcher := crawler.NewFetcher(crawler.FetcherOptions{
		ContactURL: cfg.Crawler.ContactURL, Timeout: cfg.Crawler.Timeout, MaxBodyBytes: cfg.Crawler.MaxBodyBytes,
		PerHostConcurrency: cfg.Crawler.PerHostConcurrency, PerHostDelay: cfg.Crawler.PerHostDelay,
		// The synthetic feeds are served on loopback.
		AllowPrivate: append(cfg.Crawler.AllowPrivate, netip.MustParsePrefix("127.0.0.0/8")), Now: clk.Now,
	})
	b.metrics = monitor.NewMetrics()
	// The daemon's logger when not on a terminal (JSON), so the per-poll
	// logger.With costs the same; warnings are counted and the first few
	// shown.
	logger := slog.New(&countingHandler{Handler: slog.NewJSONHandler(stderr, nil), warnings: b.warnings})
	b.mon = monitor.New(monitor.Options{
		Config: cfg, Store: b.store, Engine: engine, Fetcher: fetcher,
		Delivery: notify.New(notify.Options{Config: cfg.Slack, Store: b.store, Clock: clk, Logger: logger, Console: io.Discard}),
		Clock:    clk, Logger: logger, Metrics: b.metrics,
		OnDispatch: func(source string, lag time.Duration) {
			if b.onDispatch != nil {
				b.onDispatch(source, lag)
			}
		},
	})
	// A second connection, outside the measured cycles, to count rows.
	if b.counts, err = sql.Open("sqlite", cfg.Store+"?_pragma=busy_timeout(5000)"); err != nil {
		return nil, fmt.Errorf("opening the store to count rows: %w", err)
	}
	return b, nil
}

func (b *bench) close() {
	if b.counts != nil {
		b.counts.Close()
	}
	if b.store != nil {
		b.store.Close()
	}
	if b.server != nil {
		b.server.kill()
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

// configNote records what benchConfig changed, for the report.
type configNote struct {
	path               string
	rules              int
	perHostWas         int
	perHostDelayWas    time.Duration
	windowsAtPublished []string // the config's windows containing -published
}

// benchConfig loads the config at path with its sources replaced by one
// loopback feed per served feed, and the crawler settings from o.
func benchConfig(path string, raw []byte, addr string, o options) (*config.Config, configNote, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, configNote{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, configNote{}, fmt.Errorf("%s: not a YAML mapping", path)
	}
	// The sources are written as text after the rest of the config: a
	// yaml.v3 encoding of 50,000 sources allocates gigabytes, which the
	// peak RSS would then report.
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "sources" {
			root.Content = append(root.Content[:i:i], root.Content[i+2:]...)
			break
		}
	}
	data, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, configNote{}, err
	}
	every, extra := "1h", ""
	if o.Daemon > 0 {
		// Due every -every whatever the cadence would adapt to, and
		// inside or outside a window.
		every = o.Every.String()
		extra = fmt.Sprintf(", silence_every: %s, max_every: %s, min_every: %s", every, every, min(o.Every, 30*time.Second))
	}
	var b bytes.Buffer
	b.Grow(len(data) + o.Feeds*(150+len(extra)))
	b.Write(data)
	b.WriteString("sources:\n")
	for i := range o.Feeds {
		fmt.Fprintf(&b, "  - {name: %s, url: %q, language: fr, tags: [national, daily], every: %s%s}\n",
			feedName(i), fmt.Sprintf("http://%s/feed/%d", addr, i), every, extra)
	}
	data = b.Bytes()
	cfg, err := config.Parse(path, data, os.LookupEnv)
	if err != nil {
		return nil, configNote{}, err
	}
	note := configNote{path: path, rules: len(cfg.Rules), perHostWas: cfg.Crawler.PerHostConcurrency,
		perHostDelayWas: cfg.Crawler.PerHostDelay}
	cfg.Crawler.Workers = o.Workers
	cfg.Crawler.PerHostConcurrency = o.PerHost
	cfg.Crawler.PerHostDelay = o.PerHostDelay
	cfg.Crawler.FirstPollSpread = o.FirstPollSpread
	return cfg, note, nil
}

// child is the feed server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

// startServer re-executes this program as the feed server and waits for
// its address.
func startServer(o options, stderr io.Writer) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting the feed server: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(serverEnv(), childEnv+"="+serverOptions{Feeds: o.Feeds, Items: o.Items, Gzip: o.Gzip, Published: o.Published}.encode())
	cmd.Stderr = stderr
	// The child exits when its stdin closes, so it never outlives us.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the feed server: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	type result struct {
		addr string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		addr, err := readAddr(out)
		done <- result{addr, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			c.kill()
			return nil, r.err
		}
		c.addr = r.addr
	case <-time.After(time.Minute):
		c.kill()
		return nil, errors.New("the feed server did not report its address within a minute")
	}
	return c, nil
}

func (c *child) kill() {
	c.stdin.Close()
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// advance asks the server to publish one item on every 20th feed.
func (c *child) advance(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.addr+"/advance", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("advancing the feeds: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("advancing the feeds: %s %q %v", resp.Status, body, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}

func (c *child) rusage(ctx context.Context) (rusage, error) {
	var u rusage
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr+"/rusage", nil)
	if err != nil {
		return u, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return u, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&u)
	return u, err
}

// counts is what the pipeline did, from its metrics and its store.
type counts struct {
	// From the metrics.
	// fetchUnchanged: full answers whose body was the one last ingested
	// (monitor's "unchanged"), not ingested again.
	fetchOK, fetchUnchanged, fetchNotModified, fetchErrors int
	itemsNew, itemsChanged, itemsSeen                      int
	findings, alertsSent                                   int
	// From the store.
	articles, versions, storedFindings, sentAlerts, events int
}

// polls is how many polls the fetch outcomes count.
func (c counts) polls() int { return c.fetchOK + c.fetchUnchanged + c.fetchNotModified + c.fetchErrors }

func (c counts) sub(d counts) counts {
	return counts{
		fetchOK: c.fetchOK - d.fetchOK, fetchUnchanged: c.fetchUnchanged - d.fetchUnchanged, fetchNotModified: c.fetchNotModified - d.fetchNotModified,
		fetchErrors: c.fetchErrors - d.fetchErrors,
		itemsNew:    c.itemsNew - d.itemsNew, itemsChanged: c.itemsChanged - d.itemsChanged, itemsSeen: c.itemsSeen - d.itemsSeen,
		findings: c.findings - d.findings, alertsSent: c.alertsSent - d.alertsSent,
		articles: c.articles - d.articles, versions: c.versions - d.versions,
		storedFindings: c.storedFindings - d.storedFindings, sentAlerts: c.sentAlerts - d.sentAlerts, events: c.events - d.events,
	}
}

func (b *bench) count(ctx context.Context) (counts, error) {
	var c counts
	if err := gatherCounts(b.metrics, &c); err != nil {
		return c, fmt.Errorf("reading the metrics: %w", err)
	}
	err := b.counts.QueryRowContext(ctx, `SELECT
	(SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM versions), (SELECT COUNT(*) FROM findings),
	(SELECT COUNT(*) FROM alerts WHERE status = 'sent'), (SELECT COUNT(*) FROM events)`).
		Scan(&c.articles, &c.versions, &c.storedFindings, &c.sentAlerts, &c.events)
	if err != nil {
		return c, fmt.Errorf("counting the store's rows: %w", err)
	}
	return c, nil
}

// gatherCounts reads the pipeline's counters: the series by source as
// their totals, the others from the registry.
func gatherCounts(m *monitor.Metrics, c *counts) error {
	totals := m.SourceTotals()
	for outcome, v := range totals["silencewatch_fetches_total"] {
		switch outcome {
		case "ok":
			c.fetchOK += int(v)
		case "unchanged":
			c.fetchUnchanged += int(v)
		case "not_modified":
			c.fetchNotModified += int(v)
		default:
			c.fetchErrors += int(v)
		}
	}
	for state, v := range totals["silencewatch_items_total"] {
		switch state {
		case "new":
			c.itemsNew += int(v)
		case "changed":
			c.itemsChanged += int(v)
		default:
			c.itemsSeen += int(v)
		}
	}
	families, err := m.Registry.Gather()
	if err != nil {
		return err
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			switch f.GetName() {
			case "silencewatch_findings_total":
				c.findings += int(s.GetCounter().GetValue())
			case "silencewatch_alerts_sent_total":
				c.alertsSent += int(s.GetCounter().GetValue())
			}
		}
	}
	return nil
}

// cycle is one measured PollOnce.
type cycle struct {
	n           int
	wall        time.Duration
	cpu         rusage // delta; MaxRSSKiB is the process peak so far
	did, totals counts // this cycle's, and the store's totals after it
	warnings    int64
}

// The cycles: every feed new; 5% changed; nothing changed. The third is
// the like of the peers' "all answer 304" column, and measures a 304 poll
// alone.
const cycles = 3

// profilePath is where cycle n's CPU profile goes: name.pprof becomes
// name.cycleN.pprof; n = 0 (the daemon mode's one profile) keeps name.
func profilePath(name string, n int) string {
	if n == 0 {
		return name
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s.cycle%d%s", strings.TrimSuffix(name, ext), n, ext)
}

// startProfile starts a CPU profile of cycle n when name is set. One file
// per cycle, rather than one file with labelled samples: the transport's
// connection goroutines are created in cycle 1 and would carry its label
// into the others.
func startProfile(name string, n int) (stop func() error, err error) {
	if name == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(profilePath(name, n))
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		return nil
	}, nil
}

// result is everything the report prints.
type result struct {
	o             options
	note          configNote
	addr          string
	serverPID     int
	changed       int
	cycles        [cycles]cycle
	server        rusage
	serverErr     error
	whole         rusage
	goVersion     string
	procs, numCPU int
}

func (b *bench) measure(ctx context.Context) (*result, error) {
	r := &result{o: b.o, note: b.cfgNote, addr: b.server.addr, serverPID: b.server.cmd.Process.Pid,
		goVersion: runtime.Version(), procs: runtime.GOMAXPROCS(0), numCPU: runtime.NumCPU()}
	before, err := b.count(ctx)
	if err != nil {
		return nil, err
	}
	for i := range r.cycles {
		if i == 1 {
			if r.changed, err = b.server.advance(ctx); err != nil {
				return nil, err
			}
		}
		c := &r.cycles[i]
		c.n = i + 1
		warnings := b.warnings.Load()
		stopProfile, err := startProfile(b.o.CPUProfile, c.n)
		if err != nil {
			return nil, err
		}
		u0, t0 := getRusage(), time.Now()
		_, err = b.mon.PollOnce(ctx)
		// Collect this cycle's garbage now, so the next cycle is not
		// billed for it.
		runtime.GC()
		t1, u1 := time.Now(), getRusage()
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", c.n, err)
		}
		c.wall = t1.Sub(t0)
		c.cpu = rusage{User: u1.User - u0.User, Sys: u1.Sys - u0.Sys, MaxRSSKiB: u1.MaxRSSKiB}
		c.warnings = b.warnings.Load() - warnings
		if c.totals, err = b.count(ctx); err != nil {
			return nil, err
		}
		c.did = c.totals.sub(before)
		before = c.totals
	}
	r.whole = getRusage()
	r.server, r.serverErr = b.server.rusage(ctx)
	return r, nil
}

// report prints the figures and the check, and says whether it passed.
func (r *result) report(w io.Writer) bool {
	o := r.o
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	n := o.Feeds
	p("pollbench: one poll cycle of %d feeds × %d items over loopback, through the real pipeline", n, o.Items)
	p("  %s, GOMAXPROCS %d, %d CPUs", r.goVersion, r.procs, r.numCPU)
	p("  feed server: child process %d at %s (re-executed pollbench), RSS 2.0, ETag + Last-Modified, 304 on match, gzip %v", r.serverPID, r.addr, o.Gzip)
	p("  config: elections, guidance, leaks, lists and %d rules of %s; sources replaced by the %d loopback feeds (every: 1h)", r.note.rules, r.note.path, n)
	p("  crawler: workers %d; per_host_concurrency %d (config: %d; every feed is on 127.0.0.1, one host, so it is raised to the worker count)", o.Workers, o.PerHost, r.note.perHostWas)
	if o.PerHost < o.Workers {
		p("    NOTE: -per-host %d < -workers %d: workers queue for the one host", o.PerHost, o.Workers)
	}
	p("           per_host_delay %s (config: %s; with one host, a delay would space every poll of the cycle)", o.PerHostDelay, r.note.perHostDelayWas)
	p("  store: SQLite in a temporary directory; alerts to a console writing to io.Discard; clock: real")
	p("  each cycle is one monitor.PollOnce; its wall and CPU include a forced GC at its end, so no cycle pays for another's garbage")
	p("  items: French news-like, 300-600 byte descriptions, pubDates from %s 10 min apart; 1 item in %d mentions #MacronLeaks",
		o.Published.Format(time.RFC3339), leakEvery)
	if ws := r.note.windowsAtPublished; len(ws) > 0 {
		p("    inside %d of the config's windows (%s, ...): every new item is scanned by the rules", len(ws), ws[0])
	} else {
		p("    inside none of the config's windows: the rule engine skips the items unread")
	}
	p("")
	for _, c := range r.cycles {
		polls := c.did.polls()
		switch c.n {
		case 1:
			p("cycle 1: every feed new, all answer 200")
		case 2:
			p("cycle 2: %d feeds changed (every %dth), the others answer 304", r.changed, changeEvery)
		case 3:
			p("cycle 3: no feed changed, all answer 304")
		}
		p("  feeds polled      %d (200: %d, of them %d unchanged; 304: %d; errors: %d)", polls, c.did.fetchOK+c.did.fetchUnchanged, c.did.fetchUnchanged,
			c.did.fetchNotModified, c.did.fetchErrors)
		p("  wall              %.2f s", seconds(c.wall))
		p("  CPU (user+sys)    %.2f s (user %.2f + sys %.2f), crawler process only", seconds(c.cpu.CPU()), seconds(c.cpu.User), seconds(c.cpu.Sys))
		p("  CPU per poll      %.3f ms", perPoll(c.cpu.CPU(), polls).Seconds()*1e3)
		switch {
		case c.n == 2 && c.did.fetchNotModified > 0:
			p("  CPU per 304 poll  ≤ %.0f µs (cycle-2 CPU / polls: an upper bound, it includes the %d full fetches; cycle 3 measures it)",
				perPoll(c.cpu.CPU(), polls).Seconds()*1e6, c.did.fetchOK+c.did.fetchUnchanged)
		case c.n == 3 && c.did.fetchOK+c.did.fetchUnchanged > 0:
			p("  CPU per 304 poll  ≤ %.0f µs (cycle-3 CPU / polls: it includes the %d validator checks, full GETs of unchanged feeds, as a steady cycle does)",
				perPoll(c.cpu.CPU(), polls).Seconds()*1e6, c.did.fetchOK+c.did.fetchUnchanged)
		case c.n == 3:
			p("  CPU per 304 poll  %.0f µs", perPoll(c.cpu.CPU(), polls).Seconds()*1e6)
		}
		p("  items stored      %d new articles, %d new versions (items seen: %d new, %d changed, %d unchanged)",
			c.did.articles, c.did.versions, c.did.itemsNew, c.did.itemsChanged, c.did.itemsSeen)
		p("  findings          %d recorded, %d alerts delivered", c.did.storedFindings, c.did.sentAlerts)
		if c.did.events > 0 || c.warnings > 0 {
			p("  events, warnings  %d source events, %d log warnings", c.did.events, c.warnings)
		}
		p("  peak RSS so far   %.1f MiB", mib(c.cpu.MaxRSSKiB))
		p("")
	}
	p("crawler process (this one): peak RSS %.1f MiB; CPU %.2f s in all (user %.2f + sys %.2f), set-up included",
		mib(r.whole.MaxRSSKiB), seconds(r.whole.CPU()), seconds(r.whole.User), seconds(r.whole.Sys))
	if r.serverErr != nil {
		p("feed server (child): rusage unavailable: %v", r.serverErr)
	} else {
		p("feed server (child, not counted above): CPU %.2f s, peak RSS %.1f MiB", seconds(r.server.CPU()), mib(r.server.MaxRSSKiB))
	}
	if o.CPUProfile != "" {
		p("CPU profiles of this process, one per cycle: %s, %s, %s", profilePath(o.CPUProfile, 1), profilePath(o.CPUProfile, 2), profilePath(o.CPUProfile, 3))
	}
	p("")

	// The check: cycle 1 stored every item, cycle 2 fetched in full only
	// the changed feeds and those due a validator check and stored only
	// the changed feeds' one new item each, cycle 3 fetched in full only
	// the feeds due a check.
	items := n * o.Items
	c1, c2, c3 := r.cycles[0], r.cycles[1], r.cycles[2]
	var bad []string
	check := func(what string, got, want int) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s: got %d, want %d", what, got, want))
		}
	}
	check("feeds changed by the server", r.changed, changedFeeds(n))
	checks2, checks3 := checksDue(n)
	// A check of an unchanged feed gets the body its last poll ingested:
	// it is counted as unchanged, not ingested again.
	for _, w := range []struct {
		c                                cycle
		ok, unchanged, notModified, news int
	}{
		{c1, n, 0, 0, items},
		{c2, r.changed, checks2, n - r.changed - checks2, r.changed},
		{c3, 0, checks3, n - checks3, 0},
	} {
		check(fmt.Sprintf("cycle %d: 200 answers ingested", w.c.n), w.c.did.fetchOK, w.ok)
		check(fmt.Sprintf("cycle %d: 200 answers unchanged", w.c.n), w.c.did.fetchUnchanged, w.unchanged)
		check(fmt.Sprintf("cycle %d: 304 answers", w.c.n), w.c.did.fetchNotModified, w.notModified)
		check(fmt.Sprintf("cycle %d: failed polls", w.c.n), w.c.did.fetchErrors, 0)
		check(fmt.Sprintf("cycle %d: new items", w.c.n), w.c.did.itemsNew, w.news)
		check(fmt.Sprintf("cycle %d: new articles in the store", w.c.n), w.c.did.articles, w.news)
		check(fmt.Sprintf("cycle %d: new versions in the store", w.c.n), w.c.did.versions, w.news)
	}
	check("articles after cycle 1", c1.totals.articles, items)
	check("articles after cycle 2", c2.totals.articles, items+r.changed)
	check("alerts delivered, as findings recorded", c3.totals.sentAlerts, c3.totals.storedFindings)
	p("check: articles %d after cycle 1 (want %d), %d after cycle 2 (want %d); cycle 2: %d × 304, %d × 200 of them %d unchanged (want %d, %d, %d); cycle 3: %d × 304, %d unchanged (want %d, %d)",
		c1.totals.articles, items, c2.totals.articles, items+r.changed,
		c2.did.fetchNotModified, c2.did.fetchOK+c2.did.fetchUnchanged, c2.did.fetchUnchanged, n-r.changed-checks2, r.changed+checks2, checks2,
		c3.did.fetchNotModified, c3.did.fetchUnchanged, n-checks3, checks3)
	p("check: validator checks (a full GET after every %d conditional polls, each source's first at a poll fixed by its name): %d in cycle 2, %d in cycle 3",
		monitor.VerifyEvery, checks2, checks3)
	return verdict(w, bad)
}

func perPoll(cpu time.Duration, polls int) time.Duration {
	if polls == 0 {
		return 0
	}
	return cpu / time.Duration(polls)
}

// countingHandler counts warnings and errors and passes on only the
// first few, so a failing run does not print 2,000 lines.
type countingHandler struct {
	slog.Handler
	warnings *atomic.Int64
}

const shownWarnings = 5

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && h.warnings.Add(1) > shownWarnings {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithAttrs(attrs), warnings: h.warnings}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithGroup(name), warnings: h.warnings}
}

// feedName is the name of the i-th farm feed's source.
func feedName(i int) string { return fmt.Sprintf("feed-%04d", i) }

// checksDue is how many unchanged feeds the monitor checks in full (an
// unconditional GET, answered 200) in cycles 2 and 3: the monitor's own
// crawler.Checks replayed over the farm's feeds.
func checksDue(n int) (cycle2, cycle3 int) {
	c := &crawler.Checks{Every: monitor.VerifyEvery}
	for i := range n {
		name := feedName(i)
		c.Full(name, false, true) // cycle 1: its first body
		changed := i%changeEvery == 0
		switch {
		case !c.Conditional(name):
			if !changed {
				cycle2++ // a changed feed's 200 is counted as a change
			}
			c.Full(name, false, false)
		case changed:
			c.Full(name, true, false)
		default:
			c.NotModified(name)
		}
		if !c.Conditional(name) {
			cycle3++
		}
	}
	return cycle2, cycle3
}

// verdict prints the check's outcome, each failed check on its own line,
// and reports whether every check passed.
func verdict(w io.Writer, bad []string) bool {
	if len(bad) == 0 {
		fmt.Fprintln(w, "check: ok")
		return true
	}
	fmt.Fprintln(w, "check: FAILED")
	for _, s := range bad {
		fmt.Fprintf(w, "  %s\n", s)
	}
	return false
}

// serverEnv is this process's environment without the Go runtime's memory
// settings: a GOMEMLIMIT or GOGC given to measure the daemon (this
// process) must not starve the feed server, which holds every feed.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") && !strings.HasPrefix(kv, "GOGC=") {
			env = append(env, kv)
		}
	}
	return env
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
