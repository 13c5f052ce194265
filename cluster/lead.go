package cluster

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// leadRetry is how often a process without the lead tries to take it.
	leadRetry = 2 * time.Second
	// heartbeat is how often the leader checks that its lock's session
	// lives; a leader whose session died stops delivering within it.
	heartbeat = time.Second
	// takeover is how long a new leader waits before its first pass, so
	// that a previous leader whose session died (it may not know yet) has
	// stopped: longer than a heartbeat and its timeout.
	takeover = 3 * heartbeat
)

// lead contends for the delivery lead until ctx is cancelled, delivering
// while it holds it. The lead is a session advisory lock on a connection
// of its own: PostgreSQL frees it the moment that session ends, a killed
// process's included.
func (n *Node) lead(ctx context.Context) {
	for ctx.Err() == nil {
		if err := n.holdLead(ctx); err != nil && ctx.Err() == nil {
			n.o.Logger.Error("delivery lead", "worker", n.o.ID, "err", err)
		}
		n.sleep(ctx, leadRetry)
	}
}

func (n *Node) holdLead(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, n.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx)) // ends the session: frees the lock
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leadLock).Scan(&got); err != nil || !got {
		return err
	}
	n.o.Logger.Info("delivery lead taken", "worker", n.o.ID)
	n.leader.Store(true)
	n.o.Metrics.leader.Set(1)
	defer func() {
		n.leader.Store(false)
		n.o.Metrics.leader.Set(0)
	}()
	n.sleep(ctx, takeover)

	leading, lost := context.WithCancel(ctx)
	defer lost()
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		for leading.Err() == nil {
			n.sleep(leading, heartbeat)
			ping, cancel := context.WithTimeout(leading, heartbeat)
			err := conn.Ping(ping)
			cancel()
			if err != nil && leading.Err() == nil {
				n.o.Logger.Error("delivery lead lost: its session does not answer", "worker", n.o.ID, "err", err)
				lost()
			}
		}
	}()
	for leading.Err() == nil {
		n.o.Outbox.DeliverDue(leading)
		n.sleep(leading, n.o.DeliverEvery)
	}
	lostLead := ctx.Err() == nil
	lost()
	<-beat
	if lostLead {
		return nil
	}
	// Shutting down while leading: a last pass, still under the lock.
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	n.o.Outbox.DeliverDue(drain)
	cancel()
	n.o.Logger.Info("delivery lead released", "worker", n.o.ID)
	return nil
}

func (n *Node) sleep(ctx context.Context, d time.Duration) {
	t := n.o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}
