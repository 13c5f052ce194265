// Package cluster shares the work of one PostgreSQL store between any
// number of run processes. Polls, revisits, pruning and the recovery of
// versions left unevaluated are River jobs (one live job a source, with
// a unique key, snoozed to its next due time), so a killed worker's jobs
// are taken by the others once their lease runs out; alert delivery,
// whose pacing and digests need one view of the outbox, is held by one
// process at a time through a PostgreSQL advisory lock.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/store"
)

// Roles are the parts of the work a process takes.
type Roles struct {
	Poll    bool // polls, revisits, pruning, recovery: River's jobs
	Deliver bool // alert delivery, when this process holds the lead
}

// ParseRoles reads run's -role: poller, deliverer or all.
func ParseRoles(s string) (Roles, error) {
	switch s {
	case "all", "":
		return Roles{Poll: true, Deliver: true}, nil
	case "poller":
		return Roles{Poll: true}, nil
	case "deliverer":
		return Roles{Deliver: true}, nil
	}
	return Roles{}, fmt.Errorf("cluster: unknown role %q (poller, deliverer or all)", s)
}

// String lists the roles as -role takes them.
func (r Roles) String() string {
	switch {
	case r.Poll && r.Deliver:
		return "all"
	case r.Poll:
		return "poller"
	case r.Deliver:
		return "deliverer"
	}
	return "none"
}

// Pipeline is the work a poller does, one step at a time: the monitor.
type Pipeline interface {
	Recover(ctx context.Context) error
	FirstDue(ctx context.Context) (map[string]time.Time, error)
	PollSource(ctx context.Context, name string) (next time.Time, ok bool)
	RevisitSources() []string
	RevisitSource(ctx context.Context, name string) (next time.Time, ok bool)
	Prune(ctx context.Context) time.Time
}

// Outbox is what the delivery leader runs: one delivery pass.
type Outbox interface {
	DeliverDue(ctx context.Context)
}

// Options configures a Node.
type Options struct {
	// DSN is the store's PostgreSQL URL; River's tables live beside the
	// store's.
	DSN      string
	Roles    Roles
	Pipeline Pipeline // needed by the poller role
	Outbox   Outbox   // needed by the deliverer role
	// Workers is how many jobs this process runs at once.
	Workers int
	// Lease is how long a job may run before River takes it for a dead
	// worker's and gives it to another (config cluster.lease).
	Lease time.Duration
	// DeliverEvery is how often the leader looks for due alerts.
	DeliverEvery time.Duration
	Clock        clock.Clock
	Logger       *slog.Logger
	Metrics      *Metrics
	// ID names this worker in River, the logs, /healthz and the metrics;
	// default host-pid.
	ID string
}

// Node is one process's share of the cluster.
type Node struct {
	o      Options
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	leader atomic.Bool
}

// Status is what /healthz says of a process.
type Status struct {
	Worker string
	Roles  Roles
	// Leader: this process holds the delivery lead now.
	Leader bool
}

// Status reports the node's worker, roles and lead.
func (n *Node) Status() Status {
	return Status{Worker: n.o.ID, Roles: n.o.Roles, Leader: n.leader.Load()}
}

// migrationLock serialises River's migrations between processes starting
// together (the store's own migrations take another).
const migrationLock = 0x73776376 // "swcv"

// seedLock serialises the seeding of the jobs.
const seedLock = 0x73777364 // "swsd"

// leadLock is the advisory lock the delivery leader holds.
const leadLock = 0x7377646c // "swdl"

// New connects to the database and brings River's tables up to date.
func New(ctx context.Context, o Options) (*Node, error) {
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.DeliverEvery <= 0 {
		o.DeliverEvery = time.Second
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Roles.Poll && o.Pipeline == nil || o.Roles.Deliver && o.Outbox == nil {
		return nil, errors.New("cluster: a role without its pipeline or outbox")
	}
	if o.Lease <= 0 {
		return nil, errors.New("cluster: no lease")
	}
	pcfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		// pgx's message may quote the URL: never repeated.
		return nil, fmt.Errorf("cluster: store %s is not a PostgreSQL URL pgx accepts", store.RedactDSN(o.DSN))
	}
	pcfg.MaxConns = int32(max(o.Workers+4, 8))
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to %s: %w", store.RedactDSN(o.DSN), err)
	}
	n := &Node{o: o, pool: pool}
	if err := n.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	o.Metrics.info(o.ID, o.Roles.String())
	return n, nil
}

// Close releases the connections.
func (n *Node) Close() { n.pool.Close() }

func (n *Node) migrate(ctx context.Context) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(n.pool), nil)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	err = n.locked(ctx, migrationLock, "creating or updating River's tables", func() error {
		_, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w (store %s)", err, store.RedactDSN(n.o.DSN))
	}
	return nil
}

// Run does the node's roles until ctx is cancelled, then stops: running
// jobs get a grace to finish, and the leader makes a last delivery pass.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	if n.o.Roles.Poll {
		if err := n.o.Pipeline.Recover(ctx); err != nil {
			return err
		}
		client, err := n.newClient()
		if err != nil {
			return err
		}
		n.client = client
		if err := n.seed(ctx); err != nil {
			return err
		}
		if err := client.Start(ctx); err != nil {
			return fmt.Errorf("cluster: starting River: %w", err)
		}
		n.o.Logger.Info("cluster worker started", "worker", n.o.ID, "roles", n.o.Roles.String(), "workers", n.o.Workers, "lease", n.o.Lease)
		wg.Go(func() {
			<-ctx.Done()
			soft, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := client.Stop(soft); err != nil {
				// Polls still running after the grace are cancelled: each
				// records itself as due again, and another worker takes it.
				hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := client.StopAndCancel(hard); err != nil {
					errs <- fmt.Errorf("cluster: stopping River: %w", err)
				}
			}
		})
	}
	if n.o.Roles.Deliver {
		wg.Go(func() { n.lead(ctx) })
	}
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// retryPolicy retries a job whose worker died (or whose poll panicked)
// soon, then less often, never later than five minutes: a source must not
// go unpolled for River's default hours.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(min(time.Duration(job.Attempt)*time.Second, 5*time.Minute))
}

func (n *Node) newClient() (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	timeout := n.o.Lease * 3 / 4
	river.AddWorker(workers, &pollWorker{worker[PollArgs]{n: n, timeout: timeout}})
	river.AddWorker(workers, &revisitWorker{worker[RevisitArgs]{n: n, timeout: timeout}})
	river.AddWorker(workers, &pruneWorker{worker[PruneArgs]{n: n, timeout: timeout}})
	river.AddWorker(workers, &recoverWorker{worker[RecoverArgs]{n: n, timeout: timeout}})
	client, err := river.NewClient(riverpgxv5.New(n.pool), &river.Config{
		ID:                   n.o.ID,
		Workers:              workers,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n.o.Workers}},
		JobTimeout:           timeout,
		RescueStuckJobsAfter: n.o.Lease,
		MaxAttempts:          1 << 30, // a snoozed poll never runs out of attempts
		RetryPolicy:          retryPolicy{},
		Logger:               riverLogger(n.o.Logger),
		// Finished jobs are only a source removed from the config (cancelled).
		CancelledJobRetentionPeriod: time.Hour,
		CompletedJobRetentionPeriod: time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: River: %w", err)
	}
	return client, nil
}

// riverLogger passes River's own warnings and errors on; its info lines
// (each maintenance pass) would drown the monitor's.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler().WithAttrs([]slog.Attr{slog.String("component", "river")}), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(as), f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(name), f.min}
}

// seed inserts each configured source's poll (and revisit) job, and the
// maintenance jobs, unless a live one exists: the first process to start
// creates them, the others find them there.
func (n *Node) seed(ctx context.Context) error {
	due, err := n.o.Pipeline.FirstDue(ctx)
	if err != nil {
		return err
	}
	now := n.o.Clock.Now()
	params := make([]river.InsertManyParams, 0, len(due)+8)
	for name, at := range due {
		params = append(params, river.InsertManyParams{Args: PollArgs{Source: name}, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
	}
	for _, name := range n.o.Pipeline.RevisitSources() {
		params = append(params, river.InsertManyParams{Args: RevisitArgs{Source: name}, InsertOpts: &river.InsertOpts{ScheduledAt: now}})
	}
	params = append(params,
		river.InsertManyParams{Args: PruneArgs{}, InsertOpts: &river.InsertOpts{ScheduledAt: now}},
		river.InsertManyParams{Args: RecoverArgs{}, InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(n.o.Lease)}})
	// Processes starting together would insert the same unique keys in
	// different orders and deadlock: one seeds at a time.
	return n.locked(ctx, seedLock, "scheduling the sources' polls", func() error {
		for start := 0; start < len(params); start += 1000 {
			batch := params[start:min(start+1000, len(params))]
			if _, err := n.client.InsertMany(ctx, batch); err != nil {
				return err
			}
		}
		return nil
	})
}

// locked runs f holding the session advisory lock key, on a connection of
// its own (some of River's migrations cannot run in a transaction).
func (n *Node) locked(ctx context.Context, key int64, what string, f func() error) error {
	conn, err := n.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", what, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("cluster: %s: waiting for another process: %w", what, err)
	}
	err = f()
	if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); uerr != nil {
		conn.Conn().Close(ctx) // ends the session, and the lock with it
	}
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", what, err)
	}
	return nil
}
