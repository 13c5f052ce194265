package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/relay"
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
	in, err := spreadInput(ctx, st, *leakID)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	in.Tiers, in.Now = cfg.Tiers, env.Now()
	in.TierOf = map[string]string{}
	for _, s := range cfg.Sources {
		in.TierOf[s.Name] = s.Tier
	}
	sp := relay.Compute(in)

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

// spreadInput reads the findings and relay edges a spread is computed
// from.
func spreadInput(ctx context.Context, st *store.DB, leak string) (relay.Input, error) {
	in := relay.Input{Leak: leak}
	fs, err := st.Findings(ctx)
	if err != nil {
		return in, err
	}
	for _, f := range fs {
		in.Findings = append(in.Findings, relay.Sighting{VersionID: f.VersionID, ArticleID: f.ArticleID, Finding: f.Finding})
	}
	es, err := st.RelayEdges(ctx, time.Time{})
	if err != nil {
		return in, err
	}
	for _, e := range es {
		in.Edges = append(in.Edges, edgeFromStore(e))
	}
	return in, nil
}

func edgeFromStore(e store.RelayEdge) relay.Edge {
	return relay.Edge{
		From:  relay.Ref{VersionID: e.FromVersion, ArticleID: e.FromArticle},
		To:    relay.Ref{VersionID: e.ToVersion, ArticleID: e.ToArticle},
		Words: e.Words, Matched: e.Matched,
		FromSpan:   relay.Span{Field: article.Field(e.FromField), Start: e.FromStart, End: e.FromEnd},
		ToSpan:     relay.Span{Field: article.Field(e.ToField), Start: e.ToStart, End: e.ToEnd},
		DetectedAt: e.DetectedAt,
	}
}

// edgeToStore is the stored form of an edge found now.
func edgeToStore(e relay.Edge) store.RelayEdge {
	return store.RelayEdge{FromVersion: e.From.VersionID, ToVersion: e.To.VersionID, Words: e.Words, Matched: e.Matched,
		FromField: string(e.FromSpan.Field), FromStart: e.FromSpan.Start, FromEnd: e.FromSpan.End,
		ToField: string(e.ToSpan.Field), ToStart: e.ToSpan.Start, ToEnd: e.ToSpan.End, DetectedAt: e.DetectedAt}
}
