package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/spread"
	"github.com/silencewatch/silencewatch/store"
)

// runSpread prints the spread of a leak: which articles report its
// content or mention it, first sightings per tier and outlet, who relayed
// whom, the stage reached.
func runSpread(ctx context.Context, args []string, env Env) int {
	fs := newFlagSet("spread", env)
	configPath := fs.String("config", "", "config file (default: ./config.yaml, else the embedded example)")
	leakID := fs.String("leak", "", "the leak's id (config leaks[].id)")
	format := fs.String("format", "json", "json, csv (edges), gexf (Gephi) or svg (chart)")
	out := fs.String("o", "", "output file (default: standard output)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "silencewatch spread: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	switch *format {
	case "json", "csv", "gexf", "svg":
	default:
		fmt.Fprintf(env.Stderr, "silencewatch spread: -format %q: want json, csv, gexf or svg\n", *format)
		return ExitUsage
	}
	cfg, st, code := configAndStore(ctx, "spread", *configPath, env)
	if st == nil {
		return code
	}
	defer st.Close()
	var known []string
	for _, l := range cfg.Leaks {
		known = append(known, l.ID)
	}
	if !slices.Contains(known, *leakID) {
		fmt.Fprintf(env.Stderr, "silencewatch spread: -leak %q: want one of the config's leaks (%s)\n", *leakID, strings.Join(known, ", "))
		return ExitUsage
	}
	cal, err := calendar.New(cfg.Elections, cfg.Guidance)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	sp, err := spread.Compute(ctx, st, cfg, *leakID, env.Now())
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}

	err = writeOutput(*out, env.Stdout, func(w io.Writer) error {
		var err error
		switch *format {
		case "json":
			err = relay.WriteJSON(w, sp)
		case "csv":
			err = relay.WriteCSV(w, sp)
		case "gexf":
			err = relay.WriteGEXF(w, sp)
		case "svg":
			err = relay.WriteSVG(w, sp, cfg.Tiers, cal.Windows())
		}
		return err
	})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	if *out != "" {
		fmt.Fprintf(env.Stderr, "%s: leak %s, stage %s: %d articles, %d relays\n", *out, sp.Leak, stageLabel(sp.Stage), len(sp.Nodes), len(sp.Edges))
	}
	return ExitOK
}

func stageLabel(s string) string {
	if s == relay.StageNone {
		return "none"
	}
	return s
}

// edgeToStore is the stored form of an edge found now.
func edgeToStore(e relay.Edge) store.RelayEdge {
	return store.RelayEdge{FromVersion: e.From.VersionID, ToVersion: e.To.VersionID, Words: e.Words, Matched: e.Matched,
		FromField: string(e.FromSpan.Field), FromStart: e.FromSpan.Start, FromEnd: e.FromSpan.End,
		ToField: string(e.ToSpan.Field), ToStart: e.ToSpan.Start, ToEnd: e.ToSpan.End, DetectedAt: e.DetectedAt}
}
