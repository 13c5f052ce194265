// Package spread reads a leak's spread from the record: the stored
// findings and relay edges, with the config's outlet tiers, become
// relay.Compute's input. The spread command and the review UI both read
// spreads here, so they show the same thing.
package spread

import (
	"context"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/store"
)

// Store is what a spread reads of the store; *store.DB.
type Store interface {
	Findings(ctx context.Context) ([]store.StoredFinding, error)
	RelayEdges(ctx context.Context, since time.Time) ([]store.RelayEdge, error)
}

// Record is what spreads are computed from: every stored finding and
// relay edge. Read it once to compute the spreads of several leaks.
type Record struct {
	Findings []relay.Sighting
	Edges    []relay.Edge
}

// Read reads the findings and relay edges of the store.
func Read(ctx context.Context, st Store) (Record, error) {
	var r Record
	fs, err := st.Findings(ctx)
	if err != nil {
		return r, err
	}
	for _, f := range fs {
		r.Findings = append(r.Findings, relay.Sighting{FindingID: f.ID, VersionID: f.VersionID, ArticleID: f.ArticleID, Finding: f.Finding})
	}
	es, err := st.RelayEdges(ctx, time.Time{})
	if err != nil {
		return r, err
	}
	for _, e := range es {
		r.Edges = append(r.Edges, Edge(e))
	}
	return r, nil
}

// Input is the input of leak's spread: the record, the config's tiers
// and each source's tier; now ends the spread's "last hour".
func (r Record) Input(cfg *config.Config, leak string, now time.Time) relay.Input {
	in := relay.Input{Leak: leak, Findings: r.Findings, Edges: r.Edges, Tiers: cfg.Tiers, Now: now, TierOf: map[string]string{}}
	for _, s := range cfg.Sources {
		in.TierOf[s.Name] = s.Tier
	}
	return in
}

// Compute reads the store and computes leak's spread at now.
func Compute(ctx context.Context, st Store, cfg *config.Config, leak string, now time.Time) (relay.Spread, error) {
	r, err := Read(ctx, st)
	if err != nil {
		return relay.Spread{}, err
	}
	return relay.Compute(r.Input(cfg, leak, now)), nil
}

// Edge is the relay form of a stored edge.
func Edge(e store.RelayEdge) relay.Edge {
	return relay.Edge{
		From:  relay.Ref{VersionID: e.FromVersion, ArticleID: e.FromArticle},
		To:    relay.Ref{VersionID: e.ToVersion, ArticleID: e.ToArticle},
		Words: e.Words, Matched: e.Matched,
		FromSpan:   relay.Span{Field: article.Field(e.FromField), Start: e.FromStart, End: e.FromEnd},
		ToSpan:     relay.Span{Field: article.Field(e.ToField), Start: e.ToStart, End: e.ToEnd},
		DetectedAt: e.DetectedAt,
	}
}
