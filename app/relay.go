package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/store"
)

// relayRecorder is the monitor's Relay: each evaluated version is matched
// against the recent articles of other outlets and its edges are stored.
type relayRecorder struct {
	ix    *relay.Index
	st    *store.SQLite
	clock clock.Clock
	cfg   *config.Config
}

// newRelayRecorder builds the rolling index from the versions stored in
// the last relay.window, so that a restart loses no earlier article.
func newRelayRecorder(ctx context.Context, cfg *config.Config, st *store.SQLite, clk clock.Clock, log *slog.Logger) (*relayRecorder, error) {
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
	return &relayRecorder{ix: ix, st: st, clock: clk, cfg: cfg}, nil
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
	if err := r.st.SaveRelayEdges(ctx, out); err != nil {
		return err
	}
	return r.watch(ctx, versionID)
}

// watch raises the laundering alerts a version can cause: the first
// report of a leak's contents by an outlet at or past relay.crossing_tier
// (crossing, with the chain of relays behind it), and relay.velocity_outlets
// outlets reporting its contents within relay.velocity_within (velocity).
// They are queued as events of the article, to the channels its findings
// went to, once each (per leak; per leak and period).
func (r *relayRecorder) watch(ctx context.Context, versionID int64) error {
	fs, err := r.st.FindingsOfVersion(ctx, versionID)
	if err != nil || len(fs) == 0 {
		return err
	}
	articleID := fs[0].ArticleID
	now := r.clock.Now()
	for _, l := range r.cfg.Leaks {
		if !slices.ContainsFunc(fs, func(sf store.StoredFinding) bool { return reportsContent(&sf.Finding, l.ID) }) {
			continue
		}
		in, err := spreadInput(ctx, r.st, l.ID)
		if err != nil {
			return err
		}
		in.Tiers, in.Now, in.TierOf = r.cfg.Tiers, now, map[string]string{}
		for _, s := range r.cfg.Sources {
			in.TierOf[s.Name] = s.Tier
		}
		sp := relay.Compute(in)
		if first, ok := firstAtOrPast(sp, r.cfg, r.cfg.Relay.CrossingTier); ok && first.ArticleID == articleID {
			detail := fmt.Sprintf("First report of %s's contents by a %s outlet (%s). Chain: %s", leakName(l), first.Tier, first.Outlet, chain(sp, articleID))
			if _, err := r.st.QueueArticleAlert(ctx, articleID, "crossing", detail, l.ID, now); err != nil {
				return err
			}
		}
		if n := r.cfg.Relay.VelocityOutlets; n > 0 {
			within := r.cfg.Relay.VelocityWithin
			outlets := map[string]bool{}
			for _, nd := range sp.Nodes {
				if nd.Kind == relay.KindContent && !nd.At.After(now) && nd.At.After(now.Add(-within)) {
					outlets[nd.Outlet] = true
				}
			}
			if len(outlets) >= n {
				names := slices.Sorted(maps.Keys(outlets))
				detail := fmt.Sprintf("%d outlets reported %s's contents within %s: %s", len(outlets), leakName(l), within, strings.Join(names, ", "))
				key := l.ID + "/" + now.UTC().Truncate(within).Format(time.RFC3339) // once per period
				if _, err := r.st.QueueArticleAlert(ctx, articleID, "velocity", detail, key, now); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func leakName(l config.Leak) string {
	if l.Name != "" {
		return l.Name
	}
	return l.ID
}

// reportsContent: f quotes leak's documents or the classifier says it
// reports their contents.
func reportsContent(f *finding.Finding, leak string) bool {
	for _, e := range f.Evidence {
		if e.Source != nil && e.Source.Leak == leak {
			return true
		}
	}
	return f.Leak != nil && f.Leak.Leak == leak && f.Leak.Label == relay.KindContent
}

// firstAtOrPast is the earliest content report by an outlet whose tier is
// tier or a later one.
func firstAtOrPast(sp relay.Spread, cfg *config.Config, tier string) (relay.Node, bool) {
	rank := cfg.TierRank(tier)
	if rank < 0 {
		return relay.Node{}, false
	}
	for _, nd := range sp.Nodes { // in time order
		if nd.Kind == relay.KindContent && nd.Tier != "" && cfg.TierRank(nd.Tier) >= rank {
			return nd, true
		}
	}
	return relay.Node{}, false
}

// chain walks the relay edges back from an article: "A (fringe) → B
// (foreign-state) → C (national)", at most six steps.
func chain(sp relay.Spread, articleID int64) string {
	byID := map[int64]relay.Node{}
	for _, nd := range sp.Nodes {
		byID[nd.ArticleID] = nd
	}
	steps := []string{}
	seen := map[int64]bool{}
	for cur := articleID; !seen[cur] && len(steps) < 6; {
		seen[cur] = true
		nd := byID[cur]
		steps = append(steps, fmt.Sprintf("%s (%s, %s)", nd.Outlet, orNone(nd.Tier), nd.At.UTC().Format("Mon 15:04 UTC")))
		next := int64(0)
		for _, e := range sp.Edges {
			if e.To.ArticleID == cur && e.From.ArticleID != 0 {
				next = e.From.ArticleID
				break
			}
		}
		if next == 0 {
			break
		}
		cur = next
	}
	slices.Reverse(steps)
	return strings.Join(steps, " → ")
}

func orNone(s string) string {
	if s == "" {
		return "no tier"
	}
	return s
}
