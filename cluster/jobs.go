package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// live is the uniqueness of every job here: one job of a kind and
// arguments that has not finished, whatever its state, so a source has
// one poll job however many processes seed it.
var live = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

// PollArgs is a source's poll job: it polls the source, then snoozes to
// the source's next due time.
type PollArgs struct {
	Source string `json:"source"`
}

// Kind implements river.JobArgs.
func (PollArgs) Kind() string { return "silencewatch_poll" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: live} }

// RevisitArgs is a source's revisit job (sites and full-text feeds).
type RevisitArgs struct {
	Source string `json:"source"`
}

// Kind implements river.JobArgs.
func (RevisitArgs) Kind() string { return "silencewatch_revisit" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RevisitArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: live} }

// PruneArgs is the job that drops old response bodies, hourly.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "silencewatch_prune" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PruneArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: live} }

// RecoverArgs is the job that evaluates the versions a dead worker stored
// but did not evaluate, once a lease.
type RecoverArgs struct{}

// Kind implements river.JobArgs.
func (RecoverArgs) Kind() string { return "silencewatch_recover" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RecoverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{UniqueOpts: live} }

// again snoozes a job until next: the same job row runs again then, so a
// source keeps one job and no attempt is counted.
func (n *Node) again(kind string, next time.Time) error {
	n.o.Metrics.jobs.WithLabelValues(kind, "done").Inc()
	return river.JobSnooze(max(next.Sub(n.o.Clock.Now()), 0))
}

// gone ends the job of a source this process's config does not have (the
// source was removed): cancelled, so a config that has it again seeds a
// new one.
func (n *Node) gone(kind, source string) error {
	n.o.Metrics.jobs.WithLabelValues(kind, "cancelled").Inc()
	n.o.Logger.Warn("job of a source not in the config: cancelled", "kind", kind, "source", source)
	return river.JobCancel(fmt.Errorf("source %q is not in the config of worker %s", source, n.o.ID))
}

// worker is what every job's worker has: the node, and the timeout that
// cancels a job before River could take it for a dead worker's.
type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	n       *Node
	timeout time.Duration
}

func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }

type pollWorker struct{ worker[PollArgs] }

func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	next, ok := w.n.o.Pipeline.PollSource(ctx, job.Args.Source)
	if !ok {
		return w.n.gone("poll", job.Args.Source)
	}
	return w.n.again("poll", next)
}

type revisitWorker struct{ worker[RevisitArgs] }

func (w *revisitWorker) Work(ctx context.Context, job *river.Job[RevisitArgs]) error {
	next, ok := w.n.o.Pipeline.RevisitSource(ctx, job.Args.Source)
	if !ok {
		return w.n.gone("revisit", job.Args.Source)
	}
	return w.n.again("revisit", next)
}

type pruneWorker struct{ worker[PruneArgs] }

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	return w.n.again("prune", w.n.o.Pipeline.Prune(ctx))
}

type recoverWorker struct{ worker[RecoverArgs] }

func (w *recoverWorker) Work(ctx context.Context, _ *river.Job[RecoverArgs]) error {
	if err := w.n.o.Pipeline.Recover(ctx); err != nil {
		// Logged and retried at the next lease: the versions stay there.
		w.n.o.Metrics.jobs.WithLabelValues("recover", "failed").Inc()
		w.n.o.Logger.Error("evaluating versions left unevaluated", "err", err)
		return river.JobSnooze(w.n.o.Lease)
	}
	return w.n.again("recover", w.n.o.Clock.Now().Add(w.n.o.Lease))
}
