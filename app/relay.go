package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/store"
)

// relayRecorder is the monitor's Relay: each evaluated version is matched
// against the recent articles of other outlets and its edges are stored.
type relayRecorder struct {
	ix    *relay.Index
	st    *store.DB
	clock clock.Clock
}

// newRelayRecorder builds the rolling index from the versions stored in
// the last relay.window, so that a restart loses no earlier article.
func newRelayRecorder(ctx context.Context, cfg *config.Config, st *store.DB, clk clock.Clock, log *slog.Logger) (*relayRecorder, error) {
	ix := relay.New(relay.Options{Window: cfg.Relay.Window, MinWords: cfg.Relay.MinWords})
	start := time.Now()
	vs, err := st.VersionsSince(ctx, clk.Now().Add(-cfg.Relay.Window))
	if err != nil {
		return nil, fmt.Errorf("relay: loading recent articles: %w", err)
	}
	as := make([]relay.Article, 0, len(vs))
	for i := range vs {
		as = append(as, relay.FromArticle(vs[i].VersionID, vs[i].ArticleID, &vs[i].Article))
	}
	ix.Add(as...)
	log.Info("relay index ready", "articles", ix.Stats().Articles, "window", cfg.Relay.Window, "took", time.Since(start).Round(time.Millisecond))
	return &relayRecorder{ix: ix, st: st, clock: clk}, nil
}

// Observe implements monitor.Relay.
func (r *relayRecorder) Observe(ctx context.Context, versionID int64, a *article.Article) error {
	edges := r.ix.Observe(relay.FromArticle(versionID, 0, a))
	if len(edges) == 0 {
		return nil
	}
	now := r.clock.Now()
	out := make([]store.RelayEdge, 0, len(edges))
	for _, e := range edges {
		e.DetectedAt = now
		out = append(out, edgeToStore(e))
	}
	return r.st.SaveRelayEdges(ctx, out)
}
