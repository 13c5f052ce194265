package app

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"time"

	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/monitor"
	"github.com/silencewatch/silencewatch/rules"
)

// reloader applies a re-read config to a running monitor: only what the
// rule engine is made of (elections, guidance, leaks, lists, rules) takes
// effect; other sections need a restart, and the log says so.
type reloader struct {
	cfg    *config.Config // in force
	read   func() (*config.Config, error)
	st     leakIndexStore
	mon    *monitor.Monitor
	logger *slog.Logger
	now    func() time.Time
}

// reload re-reads the config. A config that does not load, or whose rules
// do not compile, is refused: every error is logged and the rules in force
// stay. Otherwise the new rules take effect, and the rules added or
// changed are backtested over the stored versions (see monitor.Reload).
func (r *reloader) reload(ctx context.Context) ([]backtest.Result, error) {
	next, err := r.read()
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				r.logger.Error("reload refused: the config has errors; the running rules stay", "error", e.Error())
			}
		} else {
			r.logger.Error("reload refused: the config cannot be read; the running rules stay", "err", err)
		}
		return nil, err
	}
	indexes, _, err := leakIndexes(ctx, next, r.st, r.now())
	if err != nil {
		r.logger.Error("reload refused: a leak index cannot be built; the running rules stay", "err", err)
		return nil, err
	}
	engine, err := rules.New(next, rules.WithLeakIndexes(indexes))
	if err != nil {
		r.logger.Error("reload refused: the rules do not compile; the running rules stay", "err", err)
		return nil, err
	}
	for _, s := range restartSections(r.cfg, next) {
		r.logger.Warn("reload: this section changed but takes effect only after a restart", "section", s)
	}
	changed := config.ChangedRules(r.cfg, next)
	since := r.now().Add(-next.Evidence.Retention)
	results, err := r.mon.Reload(ctx, engine, monitor.ReloadOptions{Changed: changed, Since: since, AlertLate: next.Evaluation.AlertLate})
	r.cfg = next
	if err != nil {
		r.logger.Error("reload: the new rules are in force, but their backtest failed", "err", err)
		return results, err
	}
	r.logger.Info("reload: new rules in force", "rules", len(next.Rules), "changed", changed, "backtest_since", since)
	for _, res := range results {
		r.logger.Info("reload: backtest of a new or changed rule", "rule", res.Rule, "versions", res.Versions,
			"late_findings", len(res.Flagged), "already_flagged", res.Kept, "no_longer_flagged", len(res.Unflagged),
			"alerted", next.Evaluation.AlertLate)
	}
	return results, nil
}

// restartSections names the sections a reload does not apply.
func restartSections(prev, next *config.Config) []string {
	var out []string
	for _, s := range []struct {
		name string
		a, b any
	}{
		{"store", prev.Store, next.Store}, {"crawler", prev.Crawler, next.Crawler}, {"evidence", prev.Evidence, next.Evidence},
		{"slack", prev.Slack, next.Slack}, {"sources", prev.Sources, next.Sources},
	} {
		if !reflect.DeepEqual(s.a, s.b) {
			out = append(out, s.name)
		}
	}
	return out
}
