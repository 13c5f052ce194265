package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// backtestRecord is what a backtest reads and, for late findings, writes.
type backtestRecord interface {
	VersionsSince(ctx context.Context, since time.Time) ([]store.Version, error)
	FindingsOfRule(ctx context.Context, rule string) ([]store.StoredFinding, error)
	SaveLateFindings(ctx context.Context, versionID int64, findings []finding.Finding, route store.Route, at time.Time) ([]store.StoredFinding, error)
}

// ReloadOptions says what a reload backtests.
type ReloadOptions struct {
	// Changed are the rules added or changed: they are run over the
	// stored versions since Since.
	Changed []string
	Since   time.Time
	// AlertLate queues alerts for the late findings; otherwise they are
	// stored, marked late, and not alerted.
	AlertLate bool
}

// Reload puts engine in force for every evaluation from now on, then
// backtests the changed rules over the stored versions and stores what
// they would have flagged as late findings.
func (m *Monitor) Reload(ctx context.Context, engine *rules.Engine, o ReloadOptions) ([]backtest.Result, error) {
	m.engine.Store(engine)
	if len(o.Changed) == 0 {
		return nil, nil
	}
	rec, ok := m.opts.Store.(backtestRecord)
	if !ok {
		return nil, fmt.Errorf("monitor: reload: the store cannot replay versions")
	}
	results, err := Backtest(ctx, rec, engine, o.Changed, o.Since)
	if err != nil {
		return nil, err
	}
	now := m.opts.Clock.Now()
	for _, r := range results {
		byVersion := map[int64][]finding.Finding{}
		var order []int64
		for _, h := range r.Flagged {
			if byVersion[h.VersionID] == nil {
				order = append(order, h.VersionID)
			}
			byVersion[h.VersionID] = append(byVersion[h.VersionID], h.Finding)
		}
		for _, vid := range order {
			fs := byVersion[vid]
			var route store.Route
			if o.AlertLate {
				src := m.source(fs[0].Article.Source)
				route = func(f *finding.Finding) []string { return m.opts.Delivery.Channels(f, src) }
			}
			if _, err := rec.SaveLateFindings(ctx, vid, fs, route, now); err != nil {
				m.opts.Metrics.evaluateErrors.Inc()
				return results, fmt.Errorf("monitor: reload: late findings of version %d: %w", vid, err)
			}
		}
	}
	if o.AlertLate {
		m.opts.Delivery.Wake()
	}
	return results, nil
}

// Backtest runs rules of engine over the versions stored since since and
// compares with what the record holds. It writes nothing.
func Backtest(ctx context.Context, rec interface {
	VersionsSince(ctx context.Context, since time.Time) ([]store.Version, error)
	FindingsOfRule(ctx context.Context, rule string) ([]store.StoredFinding, error)
}, engine *rules.Engine, ruleIDs []string, since time.Time) ([]backtest.Result, error) {
	versions, err := rec.VersionsSince(ctx, since)
	if err != nil {
		return nil, err
	}
	stored := map[string][]store.StoredFinding{}
	for _, r := range ruleIDs {
		if stored[r], err = rec.FindingsOfRule(ctx, r); err != nil {
			return nil, err
		}
	}
	return backtest.Run(ctx, func(v *store.Version) []finding.Finding { return engine.Evaluate(&v.Article) }, versions, ruleIDs, stored)
}
