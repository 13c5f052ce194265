package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/monitor"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/terminal"
)

// ruleList is a repeatable -rule flag; "a,b" counts as two.
type ruleList []string

func (l *ruleList) String() string { return strings.Join(*l, ",") }

func (l *ruleList) Set(v string) error {
	for _, r := range strings.Split(v, ",") {
		if r = strings.TrimSpace(r); r != "" {
			*l = append(*l, r)
		}
	}
	return nil
}

// runBacktest replays the stored versions through rules of the config
// (as written now) and prints what they would flag that the record does
// not hold, and what the record holds that they would no longer flag.
func runBacktest(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("backtest", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	var ruleIDs ruleList
	fs.Var(&ruleIDs, "rule", "the `ID` of a rule to replay (repeatable, or a,b); required")
	since := fs.String("since", "7 days", "replay versions fetched since this RFC 3339 time, or this long ago (48h, 2 days)")
	format := fs.String("format", "text", "output format: text or json")
	save := fs.Bool("save", false, "store what the rules would flag as late findings (not alerted)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if len(ruleIDs) == 0 {
		fmt.Fprintln(env.Stderr, "silencewatch backtest: -rule is required")
		return ExitUsage
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(env.Stderr, "silencewatch backtest: -format %q: want text or json\n", *format)
		return ExitUsage
	}
	from, err := parseSince(*since, env.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "silencewatch backtest: -since %v\n", err)
		return ExitUsage
	}
	cfg, st, code := configAndStore(ctx, "backtest", *configPath, env)
	if st == nil {
		return code
	}
	defer st.Close()
	for _, id := range ruleIDs {
		var names []string
		for _, r := range cfg.Rules {
			names = append(names, r.ID)
		}
		if !slices.Contains(names, id) {
			fmt.Fprintf(env.Stderr, "silencewatch backtest: -rule %q is not a rule of %s (rules: %s)\n", id, cfg.Path, strings.Join(names, ", "))
			return ExitUsage
		}
	}

	indexes, _, err := leakIndexes(ctx, cfg, st, env.Now())
	if err != nil {
		fmt.Fprintln(env.Stderr, "silencewatch backtest:", err)
		return ExitUsage
	}
	engine, err := rules.New(cfg, rules.WithLeakIndexes(indexes))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	results, err := monitor.Backtest(ctx, st, engine, ruleIDs, from)
	if err != nil {
		fmt.Fprintln(env.Stderr, "silencewatch backtest:", err)
		return ExitUsage
	}
	if *save {
		for _, r := range results {
			for _, h := range r.Flagged {
				if _, err := st.SaveLateFindings(ctx, h.VersionID, []finding.Finding{h.Finding}, nil, env.Now()); err != nil {
					fmt.Fprintln(env.Stderr, "silencewatch backtest:", err)
					return ExitUsage
				}
			}
		}
	}
	if *format == "json" {
		return printBacktestJSON(env, results)
	}
	printBacktest(env.Stdout, results, from, *save)
	return ExitOK
}

// parseSince reads an RFC 3339 instant or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := calendar.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2017-05-06T00:00:00+02:00) or %s", s, calendar.DurationForms)
	}
	return now.Add(-d), nil
}

func printBacktest(w io.Writer, results []backtest.Result, since time.Time, saved bool) {
	for _, r := range results {
		fmt.Fprintf(w, "%s: %d versions since %s: %d would be flagged that are not, %d would no longer be flagged, %d unchanged\n",
			r.Rule, r.Versions, since.UTC().Format(time.RFC3339), len(r.Flagged), len(r.Unflagged), r.Kept)
		for _, h := range r.Flagged {
			a := h.Finding.Article
			fmt.Fprintf(w, "  + %s  %s  %q  %s  (%s)\n", h.Finding.BasisTime.UTC().Format(time.RFC3339), terminal.Clean(a.Source),
				terminal.Clean(a.Title), terminal.Clean(a.URL), h.Finding.Window)
		}
		for _, sf := range r.Unflagged {
			a := sf.Finding.Article
			fmt.Fprintf(w, "  - %s  %s  %q  %s  (finding %d)\n", sf.Finding.BasisTime.UTC().Format(time.RFC3339), terminal.Clean(a.Source),
				terminal.Clean(a.Title), terminal.Clean(a.URL), sf.ID)
		}
	}
	if saved {
		fmt.Fprintln(w, "the + findings are stored, marked late, and not alerted")
	}
}

func printBacktestJSON(env Env, results []backtest.Result) int {
	type hit struct {
		VersionID int64           `json:"version_id"`
		Finding   finding.Finding `json:"finding"`
	}
	type out struct {
		Rule      string  `json:"rule"`
		Versions  int     `json:"versions"`
		Flagged   []hit   `json:"would_flag"`
		Unflagged []int64 `json:"would_no_longer_flag"` // stored finding ids
		Kept      int     `json:"unchanged"`
	}
	var all []out
	for _, r := range results {
		o := out{Rule: r.Rule, Versions: r.Versions, Kept: r.Kept, Flagged: []hit{}, Unflagged: []int64{}}
		for _, h := range r.Flagged {
			o.Flagged = append(o.Flagged, hit{h.VersionID, h.Finding})
		}
		for _, sf := range r.Unflagged {
			o.Unflagged = append(o.Unflagged, sf.ID)
		}
		all = append(all, o)
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(all); err != nil {
		fmt.Fprintln(env.Stderr, "silencewatch backtest:", err)
		return ExitUsage
	}
	return ExitOK
}
