package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
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
	listen := fs.String("listen", "127.0.0.1:8080", "address for /healthz and /metrics; empty to disable")
	dir := fs.String("dir", "", "directory for the store, config and exports (default: a new temporary directory)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	res, err := Demo(ctx, DemoOptions{Speed: *speed, Listen: *listen, Dir: *dir, Out: env.Stdout, Log: env.Stderr, LookupEnv: env.LookupEnv, Now: env.Now})
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch demo: %v\n", err)
		return ExitUsage
	}
	if !res.Matches() {
		return ExitFindings
	}
	return ExitOK
}

// DemoOptions configures Demo.
type DemoOptions struct {
	Speed     float64
	Listen    string
	Dir       string
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
	Dir        string
	Expected   int
	Found      int
	Missed     []string // "item: rule"
	Unexpected []string
	WrongZones []string
	Findings   []store.StoredFinding
	Timeline   *demo.Timeline
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
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "silencewatch-demo-"); err != nil {
			return nil, err
		}
	}
	mailbox := filepath.Join(dir, "mailbox")
	if err := copyFS(mailbox); err != nil {
		return nil, err
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
	yaml, err := demo.Config(demo.ConfigParams{Base: "http://" + ln.Addr().String(), Store: filepath.Join(dir, "silencewatch.db"),
		Mailbox: mailbox, Outlets: tl.Outlets, SlackChannel: channel, SlackAPIURL: o.SlackAPIURL, SlackPace: o.SlackPace})
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, yaml, 0o644); err != nil {
		return nil, err
	}
	cfg, err := config.Parse(cfgPath, yaml, o.LookupEnv)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Out, "silencewatch demo: replaying %s → %s (Paris) at %.0f× — about %s.\n",
		tl.Start.Format("Mon 2 Jan 15:04"), tl.End.Format("Mon 2 Jan 15:04"), speed, time.Duration(float64(weekend)/speed).Round(time.Second))
	fmt.Fprintf(o.Out, "Outlets are served on %s; alerts follow as they are found.\n\n", ln.Addr())

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
	err = Daemon(run, DaemonOptions{Config: cfg, Listen: o.Listen, Clock: sim, DeliveryClock: clock.Real{},
		Logger: logger, Alerts: o.Out, SlackHTTP: o.SlackHTTP, InitStore: true})
	if err != nil && !errors.Is(err, context.Canceled) {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err := drainOutbox(ctx, cfg, o, logger); err != nil {
		return nil, err
	}
	res, err := demoSummary(dir, cfg, tl)
	if err != nil {
		return nil, err
	}
	printDemoSummary(o.Out, res, cfgPath, time.Since(started))
	return res, nil
}

// drainOutbox delivers what the replay left queued: Slack takes about a
// message a second, far slower than the simulated weekend.
func drainOutbox(ctx context.Context, cfg *config.Config, o DemoOptions, logger *slog.Logger) error {
	st, err := store.OpenSQLite(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	n := notify.New(notify.Options{Config: cfg.Slack, Store: st, Channels: st, Clock: clock.Real{}, Logger: logger, Console: o.Out, HTTP: o.SlackHTTP})
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
	res := &DemoResult{Dir: dir, Findings: fs, Timeline: tl}
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
	for _, it := range tl.Items {
		key := it.Outlet + "/" + it.ID
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

func printDemoSummary(w io.Writer, r *DemoResult, cfgPath string, took time.Duration) {
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
	fmt.Fprintf(w, "Findings by outlet: %s\n\n", joinCounts(byOutlet))
	fmt.Fprintf(w, "Against the scenario: %d findings expected, %d found", r.Expected, r.Found)
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
	fmt.Fprintf(w, "Next:     silencewatch export -config %s -format csv\n", cfgPath)
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
