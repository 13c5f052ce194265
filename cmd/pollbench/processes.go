package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"go.yaml.in/yaml/v3"

	"github.com/silencewatch/silencewatch/config"
)

// The -processes mode: instead of the pipeline in this process, N
// `silencewatch run` daemons poll the feeds on their schedule, on a
// SQLite file (one process) or a PostgreSQL database they share (a
// cluster). Their CPU, and PostgreSQL's, is read from /proc: the figures
// include everything a real deployment pays for a poll, the database
// server's processes included.

// fleet is the run processes, their store and the feed server.
type fleet struct {
	o       options
	server  *child
	tmp     string
	bin     string
	store   string // the store: config value
	dropDB  func() error
	pgMain  int     // the PostgreSQL server's postmaster PID
	db      *sql.DB // the benchmark's database, for its statistics
	procs   []*exec.Cmd
	logs    []string
	metrics []string // each process's /metrics URL
	// startCPU is the run processes' CPU when each was up; startPG
	// PostgreSQL's when the first process started.
	startCPU, startPG time.Duration
	started           time.Time
}

// runProcesses is the -processes benchmark.
func runProcesses(ctx context.Context, o options, stdout, stderr io.Writer) int {
	if o.Processes > 1 && o.Postgres == "" {
		fmt.Fprintln(stderr, "pollbench: -processes above 1 needs -postgres: only a PostgreSQL store is shared by several run processes")
		return exitUsage
	}
	if o.Every < time.Second {
		fmt.Fprintln(stderr, "pollbench: -every must be at least 1s")
		return exitUsage
	}
	f, err := startFleet(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pollbench: %v\n", err)
		if f != nil {
			f.close()
		}
		return exitFailed
	}
	defer f.close()
	r, err := f.measure(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "pollbench: %v\n", err)
		return exitFailed
	}
	r.report(stdout)
	return exitOK
}

func startFleet(ctx context.Context, o options, stderr io.Writer) (*fleet, error) {
	f := &fleet{o: o}
	var err error
	if f.tmp, err = os.MkdirTemp("", "pollbench-fleet-"); err != nil {
		return f, err
	}
	path, err := filepath.Abs(o.Config)
	if err != nil {
		return f, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("-config: %w", err)
	}
	if f.bin = o.Bin; f.bin == "" {
		f.bin = filepath.Join(f.tmp, "silencewatch")
		build := exec.CommandContext(ctx, "go", "build", "-o", f.bin, "./cmd/silencewatch")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return f, fmt.Errorf("building silencewatch (run from the repository root, or give -bin): %w", err)
		}
	}
	if o.Postgres == "" {
		f.store = filepath.Join(f.tmp, "silencewatch.db")
	} else {
		if f.store, f.dropDB, f.pgMain, err = createDatabase(ctx, o.Postgres); err != nil {
			return f, err
		}
		cfg, err := pgx.ParseConfig(f.store)
		if err != nil {
			return f, err
		}
		f.db = stdlib.OpenDB(*cfg)
	}
	if f.server, err = startServer(o, stderr); err != nil {
		return f, err
	}
	cfgPath := filepath.Join(f.tmp, "config.yaml")
	data, err := fleetConfig(raw, f.server.addr, f.store, o)
	if err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := config.Parse(cfgPath, data, func(string) (string, bool) { return "", false }); err != nil {
		return f, err
	}
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		return f, err
	}
	f.started = time.Now()
	if o.Postgres != "" {
		if f.startPG, err = postgresCPU(f.pgMain); err != nil {
			return f, err
		}
	}
	for n := range o.Processes {
		logPath := filepath.Join(f.tmp, fmt.Sprintf("run-%d.log", n))
		out, err := os.Create(logPath)
		if err != nil {
			return f, err
		}
		cmd := exec.Command(f.bin, "run", "-init", "-listen", "127.0.0.1:0", "-config", cfgPath)
		// Alerts go to the console (no Slack token): stdout, discarded.
		cmd.Stdout, cmd.Stderr = io.Discard, out
		cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			out.Close()
			return f, fmt.Errorf("starting %s: %w", f.bin, err)
		}
		out.Close()
		f.procs, f.logs = append(f.procs, cmd), append(f.logs, logPath)
	}
	// The processes start at different speeds and poll as soon as they
	// are up, so the measure starts from what each had spent when it was
	// up (its start-up excluded), and from the first answer served.
	for n, logPath := range f.logs {
		addr, err := waitListening(ctx, logPath, time.Minute)
		if err != nil {
			return f, fmt.Errorf("run process %d: %w", n, err)
		}
		st, err := readProcStat(f.procs[n].Process.Pid)
		if err != nil {
			return f, fmt.Errorf("run process %d: %w", n, err)
		}
		f.startCPU += st.cpu
		f.metrics = append(f.metrics, "http://"+addr+"/metrics")
	}
	return f, nil
}

var listening = regexp.MustCompile(`"msg":"serving /healthz and /metrics","addr":"([^"]+)"`)

// waitListening waits for a run process's log to say where it serves
// /metrics.
func waitListening(ctx context.Context, logPath string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(logPath)
		if err != nil {
			return "", err
		}
		if m := listening.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(logPath)
	return "", fmt.Errorf("not serving /metrics after %s; its log:\n%s", within, lastLines(string(b), 20))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// createDatabase creates a database of its own on the server at rawURL
// and returns its URL, how to drop it and the server's postmaster PID
// (the server must run on this machine).
func createDatabase(ctx context.Context, rawURL string) (string, func() error, int, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return "", nil, 0, errors.New("-postgres: not a PostgreSQL URL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, 0, errors.New("-postgres: not a PostgreSQL URL")
	}
	admin := stdlib.OpenDB(*cfg)
	var backend int
	if err := admin.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		admin.Close()
		return "", nil, 0, fmt.Errorf("-postgres: %w", err)
	}
	st, err := readProcStat(backend)
	if err != nil {
		admin.Close()
		return "", nil, 0, fmt.Errorf("-postgres: the server must run on this machine, its CPU is measured: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "pollbench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, 0, fmt.Errorf("-postgres: creating database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop := func() error {
		defer admin.Close()
		_, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		return err
	}
	return u.String(), drop, st.ppid, nil
}

// fleetConfig is the config at raw with its sources replaced by one
// loopback feed per served feed, polled every o.Every whatever the
// cadence, on store, with o's crawler settings and no Slack.
func fleetConfig(raw []byte, addr, storeURL string, o options) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	root := doc.Content[0]
	every := o.Every.String()
	type source struct {
		Name         string   `yaml:"name"`
		URL          string   `yaml:"url"`
		Language     string   `yaml:"language"`
		Tags         []string `yaml:"tags"`
		Every        string   `yaml:"every"`
		MinEvery     string   `yaml:"min_every"`
		MaxEvery     string   `yaml:"max_every"`
		SilenceEvery string   `yaml:"silence_every"`
	}
	sources := make([]source, o.Feeds)
	for i := range sources {
		sources[i] = source{Name: feedName(i), URL: fmt.Sprintf("http://%s/feed/%d", addr, i),
			Language: "fr", Tags: []string{"national", "daily"}, Every: every, MinEvery: every, MaxEvery: every, SilenceEvery: every}
	}
	if err := setKey(root, "sources", sources); err != nil {
		return nil, err
	}
	if err := setKey(root, "store", storeURL); err != nil {
		return nil, err
	}
	deleteKey(root, "slack")
	if o.NoRelay {
		if err := setKey(mappingAt(root, "relay"), "enabled", false); err != nil {
			return nil, err
		}
	}
	crawler := mappingAt(root, "crawler")
	for key, v := range map[string]any{
		"workers": o.Workers, "per_host_concurrency": o.PerHost, "per_host_delay": o.PerHostDelay.String(),
		"allow_private": []string{"127.0.0.0/8"}, // the feed server
	} {
		if err := setKey(crawler, key, v); err != nil {
			return nil, err
		}
	}
	return yaml.Marshal(&doc)
}

// mappingAt returns the mapping under key in m, adding an empty one.
func mappingAt(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	deleteKey(m, key)
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

// setKey sets key in mapping m to v.
func setKey(m *yaml.Node, key string, v any) error {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return err
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = &n
			return nil
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &n)
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func (f *fleet) close() {
	for _, p := range f.procs {
		p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range f.procs {
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			p.Process.Kill()
			<-done
		}
	}
	if f.server != nil {
		f.server.kill()
	}
	if f.db != nil {
		f.db.Close()
	}
	if f.dropDB != nil {
		if err := f.dropDB(); err != nil {
			fmt.Fprintf(os.Stderr, "pollbench: dropping the benchmark's database: %v\n", err)
		}
	}
	if f.tmp != "" {
		os.RemoveAll(f.tmp)
	}
}

// sample is the fleet at one moment.
type sample struct {
	at          time.Time
	served      ServedCounts
	runCPU      time.Duration // the run processes'
	postgresCPU time.Duration // every postgres process's, exited backends included
	tables      map[string]tableStats
}

// tableStats is PostgreSQL's count of the work done on one table.
type tableStats struct{ reads, writes int64 }

// tableWork reads pg_stat_user_tables of the benchmark's database: how
// often each table was scanned and how many rows were written.
func tableWork(ctx context.Context, db *sql.DB) (map[string]tableStats, error) {
	rows, err := db.QueryContext(ctx, `SELECT relname, seq_scan + coalesce(idx_scan, 0), n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables`)
	if err != nil {
		return nil, fmt.Errorf("reading pg_stat_user_tables: %w", err)
	}
	defer rows.Close()
	out := map[string]tableStats{}
	for rows.Next() {
		var name string
		var t tableStats
		if err := rows.Scan(&name, &t.reads, &t.writes); err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, rows.Err()
}

func (f *fleet) sample(ctx context.Context) (sample, error) {
	s := sample{at: time.Now()}
	var err error
	if s.served, err = f.server.stats(ctx); err != nil {
		return s, err
	}
	for _, p := range f.procs {
		st, err := readProcStat(p.Process.Pid)
		if err != nil {
			return s, fmt.Errorf("run process %d: %w", p.Process.Pid, err)
		}
		s.runCPU += st.cpu
	}
	if f.o.Postgres != "" {
		if s.postgresCPU, err = postgresCPU(f.pgMain); err != nil {
			return s, err
		}
		// Statistics reach the view within a second of a transaction's end.
		if s.tables, err = tableWork(ctx, f.db); err != nil {
			return s, err
		}
	}
	return s, nil
}

// phase is what happened between two samples.
type phase struct {
	name              string
	wall              time.Duration
	full, notModified int64
	runCPU, pgCPU     time.Duration
	tables            map[string]tableStats
}

func between(name string, a, b sample) phase {
	p := phase{name: name, wall: b.at.Sub(a.at),
		full: b.served.Full - a.served.Full, notModified: b.served.NotModified - a.served.NotModified,
		runCPU: b.runCPU - a.runCPU, pgCPU: b.postgresCPU - a.postgresCPU}
	if b.tables != nil {
		p.tables = map[string]tableStats{}
		for name, t := range b.tables {
			d := tableStats{t.reads - a.tables[name].reads, t.writes - a.tables[name].writes}
			if d.reads != 0 || d.writes != 0 {
				p.tables[name] = d
			}
		}
	}
	return p
}

type fleetResult struct {
	o       options
	phases  []phase
	peakRSS []int64 // KiB, by process
	errs    int     // errors logged by the run processes
}

// measure samples at the start, when every feed has been polled once
// (the first cycle: every answer in full), and one interval later (a
// steady cycle: mostly 304, plus the cadence's validator checks).
func (f *fleet) measure(ctx context.Context) (*fleetResult, error) {
	start := sample{at: f.started, runCPU: f.startCPU, postgresCPU: f.startPG}
	if f.db != nil {
		var err error
		if start.tables, err = tableWork(ctx, f.db); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(f.o.Every*3 + 10*time.Minute)
	for {
		c, err := f.server.stats(ctx)
		if err != nil {
			return nil, err
		}
		if c.Distinct == int64(f.o.Feeds) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("only %d of %d feeds polled after %s", c.Distinct, f.o.Feeds, time.Since(start.at).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	first, err := f.sample(ctx)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(f.o.Every):
	}
	steady, err := f.sample(ctx)
	if err != nil {
		return nil, err
	}
	r := &fleetResult{o: f.o, phases: []phase{between("first cycle", start, first), between("steady cycle", first, steady)}}
	for _, p := range f.procs {
		st, err := readProcStatus(p.Process.Pid)
		if err != nil {
			return nil, err
		}
		r.peakRSS = append(r.peakRSS, st)
	}
	for _, path := range f.logs {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		r.errs += strings.Count(string(b), `"level":"ERROR"`)
	}
	return r, nil
}

func (r *fleetResult) report(w io.Writer) {
	store := "SQLite"
	if r.o.Postgres != "" {
		store = "PostgreSQL"
	}
	relayWatch := "on"
	if r.o.NoRelay {
		relayWatch = "off"
	}
	fmt.Fprintf(w, "%d feeds, %d items each, every %s; %d run process(es) on %s, %d workers each; laundering watch %s\n",
		r.o.Feeds, r.o.Items, r.o.Every, r.o.Processes, store, r.o.Workers, relayWatch)
	for _, p := range r.phases {
		polls := p.full + p.notModified
		fmt.Fprintf(w, "%-13s wall %6.1fs  polls %6d (200: %d, 304: %d)  CPU run %6.2fs", p.name, seconds(p.wall), polls, p.full, p.notModified, seconds(p.runCPU))
		if r.o.Postgres != "" {
			fmt.Fprintf(w, " + postgres %6.2fs", seconds(p.pgCPU))
		}
		fmt.Fprintf(w, "  per poll %s\n", perPoll(p.runCPU+p.pgCPU, int(polls)))
		if len(p.tables) > 0 && polls > 0 {
			names := make([]string, 0, len(p.tables))
			for name := range p.tables {
				names = append(names, name)
			}
			slices.SortFunc(names, func(a, b string) int {
				return cmp.Compare(p.tables[b].reads+p.tables[b].writes, p.tables[a].reads+p.tables[a].writes)
			})
			fmt.Fprintf(w, "%-13s per poll, scans/rows written:", "")
			for _, name := range names[:min(8, len(names))] {
				t := p.tables[name]
				fmt.Fprintf(w, " %s %.1f/%.1f", name, float64(t.reads)/float64(polls), float64(t.writes)/float64(polls))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "peak RSS by process (MiB):")
	for _, kib := range r.peakRSS {
		fmt.Fprintf(w, " %.0f", mib(kib))
	}
	fmt.Fprintf(w, "\nerrors logged: %d\n", r.errs)
}

// stats reads the feed server's counts.
func (c *child) stats(ctx context.Context) (ServedCounts, error) {
	var s ServedCounts
	if err := c.getJSON(ctx, "/stats", &s); err != nil {
		return s, fmt.Errorf("reading the feed server's counts: %w", err)
	}
	return s, nil
}

// getJSON decodes the feed server's answer to GET path into v.
func (c *child) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// clockTick is Linux's USER_HZ, the unit of /proc's CPU times; 100 on
// every architecture Go supports there.
const clockTick = 100

type procStat struct {
	ppid int
	cpu  time.Duration // utime + stime + cutime + cstime
}

// readProcStat reads a process's name and CPU time, its waited-for
// children's included (for the postmaster: its exited backends').
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	fields := strings.Fields(s[end+1:])
	// fields[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(fields) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	var ticks int64
	for _, f := range fields[11:15] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * time.Second / clockTick}, nil
}

// postgresCPU sums the CPU time of the postmaster and its children: its
// cutime and cstime hold those of the backends that have exited.
func postgresCPU(postmaster int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil {
			continue // exited meanwhile
		}
		if pid == postmaster || st.ppid == postmaster {
			total += st.cpu
		}
	}
	return total, nil
}

// readProcStatus reads a process's peak RSS (VmHWM), in KiB.
func readProcStatus(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}
