package cluster

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/internal/pgtest"
)

// fakePipeline polls its sources by recording who polled which when; a
// source is next due every interval.
type fakePipeline struct {
	node     string
	sources  []string
	interval time.Duration
	log      *pollLog
}

type pollLog struct {
	mu    sync.Mutex
	polls map[string][]poll // by source
}

type poll struct {
	node       string
	start, end time.Time
}

func (p *fakePipeline) Recover(context.Context) error { return nil }

func (p *fakePipeline) FirstDue(context.Context) (map[string]time.Time, error) {
	due := map[string]time.Time{}
	for _, s := range p.sources {
		due[s] = time.Now()
	}
	return due, nil
}

func (p *fakePipeline) PollSource(ctx context.Context, name string) (time.Time, bool) {
	if !slices.Contains(p.sources, name) {
		return time.Time{}, false
	}
	start := time.Now()
	time.Sleep(20 * time.Millisecond) // a fetch
	p.log.mu.Lock()
	p.log.polls[name] = append(p.log.polls[name], poll{p.node, start, time.Now()})
	p.log.mu.Unlock()
	return time.Now().Add(p.interval), true
}

func (p *fakePipeline) RevisitSources() []string { return nil }

func (p *fakePipeline) RevisitSource(context.Context, string) (time.Time, bool) {
	return time.Time{}, false
}

func (p *fakePipeline) Prune(context.Context) time.Time { return time.Now().Add(time.Hour) }

// fakeOutbox records the delivery passes, by node.
type fakeOutbox struct {
	node string
	log  *passLog
}

type passLog struct {
	mu     sync.Mutex
	passes []poll
}

func (o *fakeOutbox) DeliverDue(context.Context) {
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	o.log.mu.Lock()
	o.log.passes = append(o.log.passes, poll{o.node, start, time.Now()})
	o.log.mu.Unlock()
}

// TestTwoNodes: two nodes on one database share the sources' polls (each
// source one job: never polled by both at once, nor twice within its
// interval), one delivers at a time, and when the leader stops the other
// takes the lead and the stopped node's sources go on being polled.
func TestTwoNodes(t *testing.T) {
	dsn := pgtest.Database(t, "sw_cluster_unit_")
	sources := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	const interval = time.Second
	polls := &pollLog{polls: map[string][]poll{}}
	passes := &passLog{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	type running struct {
		node *Node
		stop context.CancelFunc
		done chan error
	}
	start := func(id string, pipeline *fakePipeline) *running {
		n, err := New(t.Context(), Options{DSN: dsn, Roles: Roles{Poll: true, Deliver: true},
			Pipeline: pipeline, Outbox: &fakeOutbox{node: id, log: passes},
			Workers: 4, Lease: 10 * time.Second, DeliverEvery: 100 * time.Millisecond,
			Clock: clock.Real{}, Logger: logger, ID: id})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		r := &running{node: n, stop: stop, done: make(chan error, 1)}
		go func() { r.done <- n.Run(ctx) }()
		t.Cleanup(func() { stop(); <-r.done; n.Close() })
		return r
	}
	x := start("x", &fakePipeline{node: "x", sources: sources, interval: interval, log: polls})
	y := start("y", &fakePipeline{node: "y", sources: sources, interval: interval, log: polls})

	time.Sleep(8 * time.Second)
	leader, other := x, y
	if !x.node.Status().Leader {
		leader, other = y, x
	}
	if !leader.node.Status().Leader || other.node.Status().Leader {
		t.Fatalf("leaders: x %v, y %v; want exactly one", x.node.Status().Leader, y.node.Status().Leader)
	}
	leader.stop()
	if err := <-leader.done; err != nil {
		t.Errorf("stopping the leader: %v", err)
	}
	leader.done <- nil // for the cleanup
	stoppedAt := time.Now()
	time.Sleep(8 * time.Second)
	if !other.node.Status().Leader {
		t.Errorf("%s did not take the lead within 8 s of %s stopping", other.node.Status().Worker, leader.node.Status().Worker)
	}

	polls.mu.Lock()
	defer polls.mu.Unlock()
	for _, s := range sources {
		ps := polls.polls[s]
		if len(ps) == 0 {
			t.Errorf("source %s never polled", s)
			continue
		}
		if len(ps) < 8 {
			t.Errorf("source %s polled %d times in 16 s (every %s), want at least 8", s, len(ps), interval)
		}
		for i := 1; i < len(ps); i++ {
			if gap := ps[i].start.Sub(ps[i-1].end); gap < interval/2 {
				t.Errorf("source %s polled by %s then by %s %s later: twice within its interval", s, ps[i-1].node, ps[i].node, gap)
			}
		}
		if last := ps[len(ps)-1]; last.start.Before(stoppedAt.Add(2 * time.Second)) {
			t.Errorf("source %s not polled since %s stopped (last poll by %s at %s)", s, leader.node.Status().Worker, last.node, last.start.Format(time.StampMilli))
		}
	}
	passes.mu.Lock()
	defer passes.mu.Unlock()
	by := map[string]int{}
	for i, p := range passes.passes {
		by[p.node]++
		if i > 0 && p.node != passes.passes[i-1].node && p.start.Before(passes.passes[i-1].end) {
			t.Errorf("delivery passes of %s and %s overlap", passes.passes[i-1].node, p.node)
		}
	}
	if by["x"] == 0 || by["y"] == 0 {
		t.Errorf("delivery passes by node %v: want both, one after the other", by)
	}
}
