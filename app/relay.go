package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/relay"
	"github.com/silencewatch/silencewatch/spread"
	"github.com/silencewatch/silencewatch/store"
)

// relayRecorder is the monitor's Relay: each evaluated version is matched
// against the recent articles of other outlets and its edges are stored.
type relayRecorder struct {
	ix    *relay.Index
	st    *store.DB
	clock clock.Clock
	cfg   *config.Config

	watching sync.Mutex

	// shared: other processes evaluate versions of this store too
	// (package cluster); seen is the place in the store's relay log up to
	// which their versions are in ix.
	shared  bool
	sharing sync.Mutex
	seen    int64
}

// newRelayRecorder builds the rolling index from the versions stored in
// the last relay.window, so that a restart loses no earlier article.
func newRelayRecorder(ctx context.Context, cfg *config.Config, st *store.DB, clk clock.Clock, log *slog.Logger) (*relayRecorder, error) {
	ix := relay.New(relay.Options{Window: cfg.Relay.Window, MinWords: cfg.Relay.MinWords})
	start := time.Now()
	// The log's place first: what other processes show meanwhile is
	// added again from it, harmlessly (the index keeps a version once).
	seen, err := st.RelayObservedLast(ctx)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
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
	return &relayRecorder{ix: ix, st: st, clock: clk, cfg: cfg, seen: seen}, nil
}

// Observe implements monitor.Relay. In a cluster, processes observe one
// at a time under the store's relay lock, each first adding to its index
// the versions the others observed since it last looked: two outlets'
// articles polled by different processes are matched, and the laundering
// alerts are decided once.
func (r *relayRecorder) Observe(ctx context.Context, versionID int64, a *article.Article, findings []store.StoredFinding) error {
	if !r.shared {
		return r.observe(ctx, versionID, a, findings)
	}
	r.sharing.Lock()
	defer r.sharing.Unlock()
	return r.st.WithRelayLock(ctx, func() error {
		vs, last, err := r.st.RelayObservedAfter(ctx, r.seen)
		if err != nil {
			return err
		}
		as := make([]relay.Article, 0, len(vs))
		for i := range vs {
			as = append(as, relay.FromArticle(vs[i].VersionID, vs[i].ArticleID, &vs[i].Article))
		}
		if len(as) > 0 {
			r.ix.Add(as...)
		}
		r.seen = last
		if err := r.observe(ctx, versionID, a, findings); err != nil {
			return err
		}
		seq, err := r.st.RecordRelayObserved(ctx, versionID, r.clock.Now())
		if err != nil {
			return err
		}
		r.seen = seq
		return nil
	})
}

func (r *relayRecorder) observe(ctx context.Context, versionID int64, a *article.Article, findings []store.StoredFinding) error {
	edges := r.ix.Observe(relay.FromArticle(versionID, 0, a))
	now := r.clock.Now()
	out := make([]store.RelayEdge, 0, len(edges))
	for _, e := range edges {
		e.DetectedAt = now
		out = append(out, edgeToStore(e))
	}
	if len(out) > 0 {
		if err := r.st.SaveRelayEdges(ctx, out); err != nil {
			return err
		}
	}
	return r.watch(ctx, findings)
}

// watch raises the laundering alerts a version can cause: the first
// report of a leak's contents by an outlet at or past relay.crossing_tier
// (crossing, with the chain of relays behind it), and relay.velocity_outlets
// outlets reporting its contents within relay.velocity_within (velocity).
// They are queued as events of the article, to the channels its findings
// went to, once each (per leak; per leak and period). It runs as the
// version is evaluated, so an alert leaves in the poll that brought the
// article.
func (r *relayRecorder) watch(ctx context.Context, fs []store.StoredFinding) error {
	if len(fs) == 0 {
		return nil // most versions: nothing to read
	}
	r.watching.Lock() // polls evaluate in parallel; one decision at a time
	defer r.watching.Unlock()
	articleID := fs[0].ArticleID
	now := r.clock.Now()
	for _, l := range r.cfg.Leaks {
		if !slices.ContainsFunc(fs, func(sf store.StoredFinding) bool { return relay.ReportsContent(&sf.Finding, l.ID) }) {
			continue
		}
		sp, err := spread.Compute(ctx, r.st, r.cfg, l.ID, now)
		if err != nil {
			return err
		}
		if first, hops, ok := sp.Crossing(r.cfg.Tiers, r.cfg.Relay.CrossingTier); ok && first.ArticleID == articleID {
			detail := fmt.Sprintf("First report of %s's contents by a %s outlet (%s).\n%s", leakName(l), first.Tier, first.Outlet, chainLines(hops, fs[0].Finding.Location()))
			if _, err := r.st.QueueArticleAlert(ctx, articleID, "crossing", detail, l.ID, now); err != nil {
				return err
			}
		}
		if n := r.cfg.Relay.VelocityOutlets; n > 0 {
			within := r.cfg.Relay.VelocityWithin
			// Counted by the articles' own times up to this one's, so a
			// slow poll does not change the count.
			at := articleTime(sp, articleID, now)
			if outlets := sp.Velocity(at, within); len(outlets) >= n {
				// At most one a period: the next is news only when the
				// spread goes on past it. The period is of the articles'
				// times too, the one that raised the last alert to this
				// one, so how fast polls come does not change it.
				_, lastArticle, found, err := r.st.LastArticleAlert(ctx, "velocity", l.ID+"/")
				if err != nil {
					return err
				}
				if !found || at.Sub(articleTime(sp, lastArticle, time.Time{})) >= within {
					detail := fmt.Sprintf("%d outlets reported %s's contents within %s: %s", len(outlets), leakName(l), shortDuration(within), strings.Join(outlets, ", "))
					if _, err := r.st.QueueArticleAlert(ctx, articleID, "velocity", detail, l.ID+"/"+now.UTC().Format(time.RFC3339Nano), now); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// articleTime is when an article of the spread appeared; now when it is
// not in it.
func articleTime(sp relay.Spread, articleID int64, now time.Time) time.Time {
	for _, n := range sp.Nodes {
		if n.ArticleID == articleID {
			return n.At
		}
	}
	return now
}

func leakName(l config.Leak) string {
	if l.Name != "" {
		return l.Name
	}
	return l.ID
}

// chainLines is a relay chain as a short list, earliest first: "• fringe
// outlet (fringe) · Fri 21:05 CEST", then "… reuses N words".
func chainLines(hops []relay.Hop, loc *time.Location) string {
	if len(hops) < 2 {
		return "No relay found: no earlier article of another outlet shares its passages."
	}
	lines := make([]string, 0, len(hops)+1)
	lines = append(lines, "Relay chain:")
	for _, h := range hops {
		line := fmt.Sprintf("• %s (%s) · %s", h.Node.Outlet, orNone(h.Node.Tier), h.Node.At.In(loc).Format("Mon 15:04 MST"))
		if h.Words > 0 {
			line += fmt.Sprintf(" · reuses %d words of the one above", h.Words)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// shortDuration is "1h" or "1h30m" rather than "1h0m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "no tier"
	}
	return s
}
