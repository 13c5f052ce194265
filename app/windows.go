package app

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
)

func runWindows(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("windows", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, err := loadConfig(*configPath, env)
	if err != nil {
		printConfigError(env.Stderr, err)
		return ExitUsage
	}
	cal, err := calendar.New(cfg.Elections, cfg.Guidance)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	printWindows(env.Stdout, cal)
	return ExitOK
}

const localLayout = "Mon 02 Jan 2006 15:04 MST"
const utcLayout = "2006-01-02 15:04 UTC"

// printWindows prints one block per window reference, zones ordered by
// start, each with UTC and local times.
func printWindows(w io.Writer, cal *calendar.Calendar) {
	descriptions := map[string]string{}
	for _, e := range cal.Elections {
		for _, r := range e.Rounds {
			for _, s := range r.Windows {
				descriptions[e.ID+"/"+r.ID+"/"+s.Name] = s.Description
			}
		}
	}
	for _, g := range cal.Guidance {
		descriptions["guidance:"+g.ID] = g.Authority + ": " + g.Summary
	}
	var order []string
	byRef := map[string][]calendar.Window{}
	for _, win := range cal.Windows() {
		ref := win.Ref()
		if _, ok := byRef[ref]; !ok {
			order = append(order, ref)
		}
		byRef[ref] = append(byRef[ref], win)
	}
	for i, ref := range order {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, ref)
		if d := descriptions[ref]; d != "" {
			fmt.Fprintf(w, "  %s\n", d)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  zone\tstart (UTC)\tend (UTC)\tstart (local)\tend (local)\tlength")
		for _, win := range byRef[ref] {
			zone := win.Zone
			if zone == "" {
				zone = "(all)"
			}
			end, endLocal, length := "open-ended", "open-ended", "-"
			if !win.End.IsZero() {
				end = win.End.UTC().Format(utcLayout)
				endLocal = win.End.In(win.Location).Format(localLayout)
				length = hoursMinutes(win.End.Sub(win.Start))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", zone,
				win.Start.UTC().Format(utcLayout), end,
				win.Start.In(win.Location).Format(localLayout), endLocal, length)
		}
		tw.Flush()
	}
}

func hoursMinutes(d time.Duration) string {
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02d", int(d.Hours()), int(d.Minutes())%60)
}
