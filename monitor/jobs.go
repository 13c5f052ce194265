package monitor

import (
	"context"
	"time"
)

// The methods below are the pipeline's steps one at a time, for a job
// queue that shares them between processes (package cluster) instead of
// Run's own scheduler and loops. Each is the very code Run runs.

// Recover evaluates the versions left stored but unevaluated by a process
// that died between storing and evaluating them. Evaluating a version
// twice is harmless (findings and alerts are stored once per key), so it
// may run while other processes evaluate.
func (m *Monitor) Recover(ctx context.Context) error { return m.recover(ctx) }

// FirstDue returns each configured source's next poll time from the
// store, sources never polled or overdue spread over their interval.
func (m *Monitor) FirstDue(ctx context.Context) (map[string]time.Time, error) {
	return m.firstDue(ctx)
}

// PollSource polls one configured source, records the outcome and returns
// when it is next due; ok is false when the config has no such source.
// A source the store says is not due yet is not polled, only its due
// time returned: a job queue runs a job again when the worker that ran it
// died after recording the poll but before the queue heard it was done.
func (m *Monitor) PollSource(ctx context.Context, name string) (next time.Time, ok bool) {
	if _, ok := m.sources[name]; !ok {
		return time.Time{}, false
	}
	m.retryEvaluation(ctx)
	st, found, err := m.opts.Store.SourceState(ctx, name)
	if err == nil && found && st.NextPollAt.After(m.opts.Clock.Now()) {
		return st.NextPollAt, true
	}
	// Written at once: the next job, maybe in another process, reads it.
	// Another process may have polled the source since this one did: a
	// body identical to the one this process last ingested is ingested
	// again (unchanged.go).
	return m.pollFrom(ctx, name, st, err, nil, true, false), true
}

// RevisitSources lists the sources whose articles are revisited for edits
// and deletions (sites and full-text feeds with revisit_every set).
func (m *Monitor) RevisitSources() []string {
	var out []string
	for name, src := range m.sources {
		if revisits(src.RevisitEvery, src.Kind, src.FetchFullText) {
			out = append(out, name)
		}
	}
	return out
}

// RevisitSource fetches again the articles of one source that are due
// for a revisit, when the source is inside a window, and returns when to
// look again; ok is false when the source has no revisits.
func (m *Monitor) RevisitSource(ctx context.Context, name string) (next time.Time, ok bool) {
	src, found := m.sources[name]
	if !found || !revisits(src.RevisitEvery, src.Kind, src.FetchFullText) {
		return time.Time{}, false
	}
	now := m.opts.Clock.Now()
	if m.cadences[name].Silent(now) {
		m.revisit(ctx, *src, now)
	}
	return m.opts.Clock.Now().Add(revisitEvery), true
}

// Prune drops old response bodies no flagged article depends on, and
// returns when to prune again.
func (m *Monitor) Prune(ctx context.Context) time.Time {
	m.prune(ctx)
	return m.opts.Clock.Now().Add(pruneEvery)
}

func revisits(every time.Duration, kind string, fullText bool) bool {
	return every > 0 && (kind == "site" || fullText)
}
