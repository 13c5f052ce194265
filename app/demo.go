package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/demo"
	"github.com/silencewatch/silencewatch/export"
	"github.com/silencewatch/silencewatch/notify"
	"github.com/silencewatch/silencewatch/store"
)

// demoDuration is how long the weekend takes by default.
const demoDuration = time.Minute

func runDemo(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("demo", env)
	speed := fs.Float64("speed", 0, "simulated seconds per real second (default: the weekend in about a minute)")
	listen := fs.String("listen", "127.0.0.1:0", "address for /healthz and /metrics (port 0: a free one, printed at start); empty to disable")
	dir := fs.String("dir", "", "directory for the store, config and exports (default: a new temporary directory); an earlier run's directory is reused, its edited config.yaml kept")
	fresh := fs.Bool("fresh", false, "with -dir of an earlier run: start over, regenerating config.yaml and the mailbox")
	serve := fs.Bool("serve", false, "after the replay, serve the review web UI on the night's store until interrupted, with a temporary reviewer account")
	serveAddr := fs.String("serve-addr", "127.0.0.1:0", "address for -serve (port 0: a free one)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	res, err := Demo(ctx, DemoOptions{Speed: *speed, Listen: *listen, Dir: *dir, Fresh: *fresh, Command: invocation(os.Args[0]),
		Out: env.Stdout, Log: env.Stderr, LookupEnv: env.LookupEnv, Now: env.Now})
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch demo: %s\n", strings.TrimPrefix(err.Error(), "demo: "))
		return ExitUsage
	}
	code := ExitOK
	if !res.Matches() {
		code = ExitFindings
	}
	if *serve {
		if err := serveDemoReview(ctx, res.Config, *serveAddr, env); err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch demo: -serve: %v\n", err)
			return ExitUsage
		}
	}
	return code
}

// invocation is how to run this binary again, for the commands the demo
// suggests: `go run ./cmd/silencewatch` for a binary `go run` built (in a
// go-build temporary directory), the name for one found on the PATH, else
// the path it was run by.
func invocation(arg0 string) string {
	slash := filepath.ToSlash(arg0)
	if strings.Contains(slash, "/go-build") && path.Base(path.Dir(slash)) == "exe" {
		return "go run ./cmd/silencewatch"
	}
	return arg0
}

// DemoOptions configures Demo.
type DemoOptions struct {
	Speed float64
	// Listen is the address of /healthz and /metrics ("" for none; port 0
	// for a free one).
	Listen string
	// Dir is where the store, config and exports go; a new temporary
	// directory when "". An earlier run's directory is reused (see
	// prepareDemoDir); Fresh starts it over.
	Dir   string
	Fresh bool
	// Command runs this binary, in the commands the summary suggests
	// ("silencewatch" when "").
	Command   string
	Out, Log  io.Writer
	LookupEnv config.LookupEnv
	Now       func() time.Time
	// SlackHTTP, SlackAPIURL and SlackPace point Slack delivery elsewhere
	// (tests).
	SlackHTTP   *http.Client
	SlackAPIURL string
	SlackPace   string
}

// DemoResult compares what the pipeline found with the scenario.
type DemoResult struct {
	Dir      string
	Expected int
	Found    int
	// ExpectedAlerts and FoundAlerts count the article alerts beyond
	// findings (edited, deleted, crossing, velocity).
	ExpectedAlerts, FoundAlerts int
	Missed                      []string // "item: rule"
	Unexpected                  []string
	WrongZones                  []string
	Findings                    []store.StoredFinding
	Timeline                    *demo.Timeline
	// Messages is how many alert messages were sent (printed, without
	// Slack); Updates how many of them follow up one before (a new
	// version, an edit or a deletion of an alerted article), printed
	// with "updated:".
	Messages, Updates int
	// Laundering is how many of them were crossing or velocity alerts.
	Laundering int
	// KeptConfig is true when the directory's edited config.yaml was used.
	KeptConfig bool
	// Config is the configuration the replay ran with (its store holds
	// the night's record).
	Config *config.Config
}

// Matches reports whether every expectation was met and nothing else found.
func (r *DemoResult) Matches() bool {
	return len(r.Missed) == 0 && len(r.Unexpected) == 0 && len(r.WrongZones) == 0
}

// Demo replays the scenario's weekend through the real pipeline: a
// loopback site serves the outlets as they evolve on a simulated clock,
// and `run` polls, stores, evaluates and alerts against it.
func Demo(ctx context.Context, o DemoOptions) (*DemoResult, error) {
	tl, err := demo.LoadTimeline()
	if err != nil {
		return nil, err
	}
	weekend := tl.End.Sub(tl.Start)
	speed := o.Speed
	if speed <= 0 {
		speed = float64(weekend) / float64(demoDuration)
	}
	if err := checkListen(o.Listen); err != nil {
		return nil, err
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, err
	}
	antilles, err := time.LoadLocation("America/Martinique")
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "silencewatch-demo-"); err != nil {
			return nil, err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	prev, err := prepareDemoDir(dir, o.Fresh)
	if err != nil {
		return nil, err
	}
	mailbox := filepath.Join(dir, "mailbox")
	if _, err := os.Stat(mailbox); errors.Is(err, fs.ErrNotExist) {
		if err := copyFS(mailbox); err != nil {
			return nil, err
		}
	}

	// The pipeline starts ten minutes before the scenario, so its first
	// polls see the outlets as they were at noon on Friday.
	sim := clock.NewSim(tl.Start.Add(-10*time.Minute), speed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	site := &http.Server{Handler: demo.NewSite(tl, sim.Now), ReadHeaderTimeout: 5 * time.Second}
	go site.Serve(ln)
	defer site.Close()

	channel := "#silencewatch-demo"
	if v, ok := o.LookupEnv("SLACK_CHANNEL"); ok && v != "" {
		channel = v
	}
	base := "http://" + ln.Addr().String()
	generated, err := demo.Config(demo.ConfigParams{Base: base, Store: filepath.Join(dir, demoStore),
		Mailbox: mailbox, Outlets: tl.Outlets, SlackChannel: channel, SlackAPIURL: o.SlackAPIURL, SlackPace: o.SlackPace})
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	yaml, kept, err := demoConfig(cfgPath, generated, base, prev)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(cfgPath, yaml, o.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := checkDemoStore(dir, cfg.Store); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "silencewatch demo: replaying %s → %s Paris time (%s → %s in the Antilles) at %.0f× — about %s.\n",
		tl.Start.In(paris).Format("Mon 2 Jan 15:04"), tl.End.In(paris).Format("Mon 2 Jan 15:04"),
		tl.Start.In(antilles).Format("Mon 15:04"), tl.End.In(antilles).Format("Mon 15:04"),
		speed, time.Duration(float64(weekend)/speed).Round(time.Second))
	if kept {
		fmt.Fprintf(o.Out, "Using your edited %s (-fresh regenerates it); the run starts on a fresh store.\n", cfgPath)
	}
	fmt.Fprintf(o.Out, "Outlets are served on %s; alerts follow as they are found, times in each zone's own with Paris time beside.\n", ln.Addr())
	ready := func(addr string) {
		fmt.Fprintf(o.Out, "Metrics on http://%s/metrics (health: /healthz) while it runs.\n\n", addr)
	}
	if o.Listen == "" {
		fmt.Fprintln(o.Out)
	}
	alerts := &notify.ConsoleWriter{W: o.Out, Beside: notify.Beside{Loc: paris, Name: "Paris"}}

	run, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		// Stop once the simulated clock is past the end of the weekend.
		for {
			if sim.Now().After(tl.End.Add(15 * time.Minute)) {
				stop()
				return
			}
			select {
			case <-run.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	logger := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	started := time.Now()
	err = Daemon(run, DaemonOptions{Config: cfg, Listen: o.Listen, Ready: ready, Clock: sim, DeliveryClock: clock.Real{},
		Logger: logger, Alerts: alerts, SlackHTTP: o.SlackHTTP, InitStore: true})
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, portInUse(o.Listen)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := drainOutbox(ctx, cfg, o, alerts, logger); err != nil {
		return nil, err
	}
	res, err := demoSummary(dir, cfg, tl)
	if err != nil {
		return nil, err
	}
	res.KeptConfig = kept
	command := o.Command
	if command == "" {
		command = "silencewatch"
	}
	printDemoSummary(o.Out, res, cfgPath, command, time.Since(started))
	return res, nil
}

// checkListen fails early, naming the port and the flag, when -listen's
// port is taken.
func checkListen(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return portInUse(addr)
	}
	if err != nil {
		return fmt.Errorf("demo: -listen %s: %w", addr, err)
	}
	return ln.Close()
}

func portInUse(addr string) error {
	_, port, _ := net.SplitHostPort(addr)
	return fmt.Errorf("demo: -listen %s: port %s is already in use: choose another with -listen 127.0.0.1:PORT, or leave -listen out for a free port", addr, port)
}

// drainOutbox delivers what the replay left queued: Slack takes about a
// message a second, far slower than the simulated weekend.
func drainOutbox(ctx context.Context, cfg *config.Config, o DemoOptions, alerts io.Writer, logger *slog.Logger) error {
	st, err := store.OpenSQLite(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	n := notify.New(notify.Options{Config: cfg.Slack, Store: st, Channels: st, Clock: clock.Real{}, Logger: logger, Console: alerts, HTTP: o.SlackHTTP})
	if err := n.Start(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		n.DeliverDue(ctx)
		due, err := st.DueAlerts(ctx, time.Now().Add(time.Hour), 1)
		if err != nil || len(due) == 0 {
			return err
		}
		fmt.Fprintf(o.Log, "delivering %d+ queued alerts…\n", len(due))
		time.Sleep(time.Second)
	}
	return nil
}

func copyFS(dst string) error {
	mb, err := demo.Mailbox()
	if err != nil {
		return err
	}
	return fs.WalkDir(mb, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(mb, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// demoSummary compares the stored findings with the scenario, and writes
// the exports researchers would take away.
func demoSummary(dir string, cfg *config.Config, tl *demo.Timeline) (*DemoResult, error) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	fs, err := st.Findings(ctx)
	if err != nil {
		return nil, err
	}
	res := &DemoResult{Dir: dir, Findings: fs, Timeline: tl, Config: cfg}
	alerts, err := st.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	res.Messages, res.Updates, res.Laundering = countMessages(alerts)
	found := map[string]map[string][]string{} // item → rule → zones of its first finding
	for _, sf := range fs {
		f := sf.Finding
		key := f.Article.Source + "/" + itemID(f.Article.GUID)
		if found[key] == nil {
			found[key] = map[string][]string{}
		}
		if _, ok := found[key][f.Rule]; !ok {
			found[key][f.Rule] = f.Zones
		}
	}
	sentKinds := map[string][]string{} // item → kinds of its article alerts
	for _, a := range alerts {
		f := a.Finding.Finding
		key := f.Article.Source + "/" + itemID(f.Article.GUID)
		if a.Kind != "" && a.Kind != "finding" && !slices.Contains(sentKinds[key], a.Kind) {
			sentKinds[key] = append(sentKinds[key], a.Kind)
		}
	}
	for _, it := range tl.Items {
		key := it.Outlet + "/" + it.ID
		for _, kind := range it.ExpectAlerts {
			res.ExpectedAlerts++
			if slices.Contains(sentKinds[key], kind) {
				res.FoundAlerts++
			} else {
				res.Missed = append(res.Missed, it.ID+": "+kind+" alert")
			}
		}
		for _, kind := range sentKinds[key] {
			if !slices.Contains(it.ExpectAlerts, kind) {
				res.Unexpected = append(res.Unexpected, it.ID+": "+kind+" alert")
			}
		}
		got := found[key]
		for i, rule := range it.Expect {
			res.Expected++
			zones, ok := got[rule]
			if !ok {
				res.Missed = append(res.Missed, it.ID+": "+rule)
				continue
			}
			res.Found++
			if i == 0 && len(it.ExpectZones) > 0 && !sameSet(zones, it.ExpectZones) {
				res.WrongZones = append(res.WrongZones, fmt.Sprintf("%s: %s in zones %v, want %v", it.ID, rule, zones, it.ExpectZones))
			}
		}
		for rule := range got {
			if !slices.Contains(it.Expect, rule) {
				res.Unexpected = append(res.Unexpected, it.ID+": "+rule)
			}
		}
	}
	sort.Strings(res.Unexpected)
	items, err := export.Collect(ctx, st, export.Filter{})
	if err != nil {
		return nil, err
	}
	if f, err := os.Create(filepath.Join(dir, "findings.jsonl")); err == nil {
		export.WriteJSONL(f, items)
		f.Close()
	}
	if f, err := os.Create(filepath.Join(dir, "evidence.warc")); err == nil {
		export.WriteWARC(f, items, time.Now())
		f.Close()
	}
	return res, nil
}

// itemID is the scenario item an article is: its GUID, or for a page
// found by crawling (identified by its URL) the URL's last segment.
func itemID(guid string) string {
	if i := strings.LastIndexByte(guid, '/'); i >= 0 {
		return guid[i+1:]
	}
	return guid
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// countMessages counts the messages the sent alerts made (alerts listed
// in one digest message count once), and those that follow up one before
// on the same finding (a new version, an edit, a deletion), and the
// laundering alerts among them.
func countMessages(alerts []store.Alert) (messages, updates, laundering int) {
	sort.Slice(alerts, func(i, j int) bool { return alerts[i].ID < alerts[j].ID })
	seenMsg, seenFinding := map[string]bool{}, map[string]bool{}
	for _, a := range alerts {
		if a.Status != "sent" {
			continue
		}
		if msg := a.Channel + "\x00" + a.MessageTS; !seenMsg[msg] || a.MessageTS == "" {
			seenMsg[msg] = true
			messages++
		}
		key := a.Channel + "\x00" + a.Finding.Finding.ID
		switch {
		case notify.Laundering(a.Kind):
			laundering++
		case (a.Kind != "" && a.Kind != "finding") || seenFinding[key]:
			updates++
		}
		seenFinding[key] = true
	}
	return messages, updates, laundering
}

func printDemoSummary(w io.Writer, r *DemoResult, cfgPath, command string, took time.Duration) {
	byRule, byZone, byOutlet := map[string]int{}, map[string]int{}, map[string]int{}
	titles := map[string]string{}
	seen := map[string]bool{}
	for _, sf := range r.Findings {
		f := sf.Finding
		key := f.Article.Source + "/" + itemID(f.Article.GUID) + "/" + f.Rule
		if seen[key] {
			continue // a later version of the same article: one finding for the summary
		}
		seen[key] = true
		byRule[f.Rule]++
		titles[f.Rule] = f.Title
		byOutlet[f.Article.Source]++
		if len(f.Zones) == 0 {
			byZone["(guidance)"]++
		}
		for _, z := range f.Zones {
			byZone[z]++
		}
	}
	fmt.Fprintf(w, "\n── The weekend replayed in %s ──\n\nFindings by rule\n", took.Round(time.Second))
	for _, k := range sortedByCount(byRule) {
		fmt.Fprintf(w, "  %-22s %3d  %s\n", k, byRule[k], titles[k])
	}
	fmt.Fprintf(w, "Findings by zone:   %s\n", joinCounts(byZone))
	fmt.Fprintf(w, "Findings by outlet: %s\n", joinCounts(byOutlet))
	fmt.Fprintf(w, "Alerts:             %d findings, %d messages", len(seen), r.Messages)
	if r.Updates > 0 {
		fmt.Fprintf(w, " (%d %s: a new version, an edit or a deletion of an article alerted before, marked \"updated:\")", r.Updates, "update"+plural(r.Updates))
	}
	if r.Laundering > 0 {
		fmt.Fprintf(w, ", %d laundering %s (CROSSING: the contents reached a national outlet; VELOCITY: many outlets at once)", r.Laundering, "alert"+plural(r.Laundering))
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintf(w, "Against the scenario: %d findings expected, %d found; %d article alerts expected (edits, deletions, laundering), %d sent", r.Expected, r.Found, r.ExpectedAlerts, r.FoundAlerts)
	if r.Matches() {
		fmt.Fprint(w, ", none missed, none unexpected.\n")
	} else {
		fmt.Fprintf(w, "; %d missed, %d unexpected, %d in the wrong zones:\n", len(r.Missed), len(r.Unexpected), len(r.WrongZones))
		for _, s := range r.Missed {
			fmt.Fprintf(w, "  missed:      %s\n", s)
		}
		for _, s := range r.Unexpected {
			fmt.Fprintf(w, "  unexpected:  %s\n", s)
		}
		for _, s := range r.WrongZones {
			fmt.Fprintf(w, "  wrong zones: %s\n", s)
		}
	}
	var lawful []string
	for _, it := range r.Timeline.Items {
		if len(it.Expect) == 0 || (len(it.Expect) == 1 && it.Expect[0] == "leak-mention") {
			lawful = append(lawful, it.Outlet+" "+it.At.Format("Mon 15:04"))
		}
	}
	fmt.Fprintf(w, "Correctly not flagged as a breach: %d items (reports of the hack, the campaign's and the regulator's communiqués, newsrooms declining to publish, satire, results after 20:00, ordinary news).\n\n", len(lawful))
	fmt.Fprintf(w, "Store:    %s\nConfig:   %s\nExports:  %s, %s\n",
		filepath.Join(r.Dir, "silencewatch.db"), cfgPath, filepath.Join(r.Dir, "findings.jsonl"), filepath.Join(r.Dir, "evidence.warc"))
	fmt.Fprintf(w, "Next:     %s export -config %s -format csv\n", command, cfgPath)
	fmt.Fprintf(w, "          edit %s and run %s demo -dir %s again: your edits are kept, the run starts afresh (-fresh regenerates the config)\n",
		cfgPath, command, r.Dir)
}

func sortedByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func joinCounts(m map[string]int) string {
	var parts []string
	for _, k := range sortedByCount(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, " · ")
}

// The files of a demo directory.
const (
	demoStore  = "silencewatch.db"
	demoMarker = ".silencewatch-demo.json" // what the demo wrote: see demoMark
	demoHeader = "# silencewatch demo configuration (generated)"
)

// demoResults are a run's outputs, moved to previous/ by the next run.
var demoResults = []string{demoStore, demoStore + "-wal", demoStore + "-shm", "findings.jsonl", "evidence.warc"}

// demoMark records what a run wrote in its directory: the site's address
// its config.yaml names, and the config's SHA-256, to tell a user's edit.
type demoMark struct {
	Site      string `json:"site"`
	ConfigSum string `json:"config_sha256"`
}

// prepareDemoDir readies dir for a run and returns what the previous run
// left (nil for a new or empty directory). A directory of an earlier run
// is reused: its results (store, exports) move to previous/, so that this
// run alerts again and its summary is its own; config.yaml and the mailbox
// stay (fresh removes them, to be written anew). Any other non-empty
// directory is refused.
func prepareDemoDir(dir string, fresh bool) (*demoMark, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: -dir %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	mark := &demoMark{}
	if b, err := os.ReadFile(filepath.Join(dir, demoMarker)); err == nil {
		if err := json.Unmarshal(b, mark); err != nil {
			return nil, fmt.Errorf("demo: -dir %s: %s: %w", dir, demoMarker, err)
		}
	} else if cfg, err := os.ReadFile(filepath.Join(dir, "config.yaml")); err == nil && bytes.HasPrefix(cfg, []byte(demoHeader)) {
		// An earlier version's run, without a marker: its site is the
		// loopback address its sources name.
		mark.Site = string(loopbackSite.Find(cfg))
	} else {
		return nil, fmt.Errorf("demo: -dir %s is not empty and holds no earlier demo run: give a new or empty directory", dir)
	}
	lock, err := store.AcquireLock(filepath.Join(dir, demoStore))
	if err != nil {
		return nil, fmt.Errorf("demo: -dir %s: %w", dir, err)
	}
	defer lock.Release()
	if fresh {
		for _, name := range append([]string{"config.yaml", "mailbox", "previous", demoMarker}, demoResults...) {
			if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("demo: -fresh: %w", err)
			}
		}
		return nil, nil
	}
	previous := filepath.Join(dir, "previous")
	if err := os.RemoveAll(previous); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.Mkdir(previous, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, name := range demoResults {
		err := os.Rename(filepath.Join(dir, name), filepath.Join(previous, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("demo: moving the previous run's %s aside: %w", name, err)
		}
	}
	return mark, nil
}

// loopbackSite is the scenario site's address in a generated config.
var loopbackSite = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// demoConfig returns the configuration to run with: the directory's
// config.yaml when the user edited it since the run that wrote it (kept
// as is on disk, with the scenario site's old address replaced by base in
// what is run), else the generated one, written. It records the marker.
func demoConfig(cfgPath string, generated []byte, base string, prev *demoMark) (yaml []byte, kept bool, err error) {
	mark := demoMark{Site: base}
	onDisk, err := os.ReadFile(cfgPath)
	switch {
	case err == nil && prev != nil && sha256Hex(onDisk) != prev.ConfigSum:
		// The marker keeps the generated config's sum: the file stays
		// the user's on the next run too.
		kept, mark, yaml = true, *prev, onDisk
		if prev.Site != "" {
			yaml = bytes.ReplaceAll(onDisk, []byte(prev.Site), []byte(base))
		}
	case err == nil || errors.Is(err, fs.ErrNotExist):
		yaml, mark.ConfigSum = generated, sha256Hex(generated)
		if err := os.WriteFile(cfgPath, generated, 0o644); err != nil {
			return nil, false, err
		}
	default:
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	b, _ := json.Marshal(mark)
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), demoMarker), b, 0o644); err != nil {
		return nil, false, err
	}
	return yaml, kept, nil
}

// checkDemoStore refuses an edited config whose store is an existing file
// outside the directory: each run starts on a fresh store, and the demo
// moves aside only its own.
func checkDemoStore(dir, storePath string) error {
	abs, err := filepath.Abs(storePath)
	if err != nil || abs == filepath.Join(dir, demoStore) {
		return err
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("demo: %s: store %s exists and is not the directory's own; each run starts on a fresh store: set store: %s, or use -fresh",
			filepath.Join(dir, "config.yaml"), abs, filepath.Join(dir, demoStore))
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
