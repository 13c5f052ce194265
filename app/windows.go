package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/preset"
)

func runWindows(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("windows", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	presetCode := fs.String("preset", "", "print the windows of this country `preset` instead of a config's (\"list\" lists them)")
	listPresets := fs.Bool("presets", false, "list the country presets")
	dateFlag := fs.String("date", "", "with -preset: the election `date` (YYYY-MM-DD; the main zone's voting day)")
	date2Flag := fs.String("date2", "", "with -preset: the `date` of a second round")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "silencewatch windows: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if *listPresets || *presetCode == "list" {
		all, err := preset.All()
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitUsage
		}
		printPresets(env.Stdout, all)
		return ExitOK
	}
	if *presetCode != "" || *dateFlag != "" || *date2Flag != "" {
		if *configPath != "" {
			fmt.Fprintln(env.Stderr, "silencewatch windows: -preset and -config exclude each other")
			return ExitUsage
		}
		e, err := presetElection(*presetCode, *dateFlag, *date2Flag)
		if err != nil {
			fmt.Fprintf(env.Stderr, "silencewatch windows: %v\n", err)
			return ExitUsage
		}
		cal, err := calendar.New([]*calendar.Election{e}, nil)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitUsage
		}
		printWindows(env.Stdout, cal)
		return ExitOK
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

// presetElection builds the election of preset code on date (and date2,
// the second round, when given).
func presetElection(code, date, date2 string) (*calendar.Election, error) {
	if code == "" {
		return nil, errors.New("-date needs -preset (silencewatch windows -presets lists them)")
	}
	p, err := preset.Lookup(code)
	if err != nil {
		return nil, err
	}
	if date == "" {
		return nil, fmt.Errorf("-preset %s needs -date YYYY-MM-DD, the election date", p.Code)
	}
	var dates []calendar.Date
	for _, s := range []string{date, date2} {
		if s == "" {
			continue
		}
		d, err := calendar.ParseDate(s)
		if err != nil {
			return nil, err
		}
		dates = append(dates, d)
	}
	return p.Election(dates...)
}

// printPresets lists the presets: code, country, zones and windows.
func printPresets(w io.Writer, all []*preset.Preset) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "preset\tcountry\tzones\twindows")
	for _, p := range all {
		names := make([]string, len(p.Windows))
		for i, win := range p.Windows {
			names[i] = win.Name
		}
		fmt.Fprintf(tw, "%s\t%s (%s)\t%d\t%s\n", p.Code, p.Name, p.Country, len(p.Zones), strings.Join(names, ", "))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nsilencewatch windows -preset CODE -date YYYY-MM-DD prints one; silencewatch init -preset CODE -date YYYY-MM-DD writes a config from it.")
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
