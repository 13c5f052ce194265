package crawler

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
)

// TestSchedulerOwnCadence checks that each source is polled on its own
// cadence, measured from its own last poll, and that a slow source does
// not delay the others.
func TestSchedulerOwnCadence(t *testing.T) {
	var mu sync.Mutex
	polls := map[string][]time.Time{}
	s := &Scheduler{Clock: clock.Real{}, Workers: 3, Grace: time.Second,
		Poll: func(ctx context.Context, source string) time.Time {
			now := time.Now()
			mu.Lock()
			polls[source] = append(polls[source], now)
			mu.Unlock()
			switch source {
			case "slow":
				select { // a feed that hangs much longer than others' cadence
				case <-time.After(400 * time.Millisecond):
				case <-ctx.Done():
				}
				return time.Now().Add(time.Hour)
			case "fast":
				return now.Add(20 * time.Millisecond)
			}
			return now.Add(50 * time.Millisecond)
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	now := time.Now()
	s.Run(ctx, map[string]time.Time{"slow": now, "fast": now, "medium": now})
	mu.Lock()
	defer mu.Unlock()
	if n := len(polls["slow"]); n != 1 {
		t.Errorf("slow polled %d times, want 1", n)
	}
	// 300 ms at 20 ms: well over 5 polls even on a loaded machine; the
	// point is that the slow source did not hold them back.
	if n := len(polls["fast"]); n < 5 {
		t.Errorf("fast polled only %d times while a slow source hung", n)
	}
	if len(polls["medium"]) < 2 {
		t.Errorf("medium polled %d times", len(polls["medium"]))
	}
}

func TestSchedulerBoundedWorkers(t *testing.T) {
	var inflight, peak atomic.Int32
	s := &Scheduler{Clock: clock.Real{}, Workers: 2, Grace: time.Second,
		Poll: func(ctx context.Context, source string) time.Time {
			n := inflight.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
			inflight.Add(-1)
			return time.Now().Add(time.Hour)
		}}
	due := map[string]time.Time{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		due[n] = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s.Run(ctx, due)
	if peak.Load() > 2 {
		t.Errorf("%d polls in flight with 2 workers", peak.Load())
	}
}

// TestSchedulerShutdownFinishesInFlight checks that cancelling lets a
// running poll finish (within the grace) and that Run returns promptly.
func TestSchedulerShutdownFinishesInFlight(t *testing.T) {
	finished := make(chan bool, 1)
	started := make(chan struct{})
	s := &Scheduler{Clock: clock.Real{}, Workers: 1, Grace: 2 * time.Second,
		Poll: func(ctx context.Context, source string) time.Time {
			close(started)
			select {
			case <-time.After(100 * time.Millisecond):
				finished <- true
			case <-ctx.Done():
				finished <- false
			}
			return time.Now().Add(time.Hour)
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, map[string]time.Time{"a": time.Now()}); close(done) }()
	<-started
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if !<-finished {
		t.Error("the in-flight poll was cancelled instead of finishing")
	}
}

func TestSchedulerGraceCancelsStuckPoll(t *testing.T) {
	s := &Scheduler{Clock: clock.Real{}, Workers: 1, Grace: 50 * time.Millisecond,
		Poll: func(ctx context.Context, source string) time.Time {
			<-ctx.Done() // a poll stuck until cancelled
			return time.Now()
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	s.Run(ctx, map[string]time.Time{"a": time.Now()})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %s", d)
	}
}

// jumpClock is a clock whose timers fire at once, moving its time to
// their end: the scheduler runs through simulated minutes without
// waiting. It records where each timer ended.
type jumpClock struct {
	mu   sync.Mutex
	now  time.Time
	ends []time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end := c.now.Add(d); end.After(c.now) {
		c.now = end
	}
	c.ends = append(c.ends, c.now)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return jumpTimer(ch)
}

type jumpTimer chan time.Time

func (t jumpTimer) C() <-chan time.Time { return t }
func (t jumpTimer) Stop() bool          { return true }

// TestSchedulerTick: with a tick, the scheduler wakes only on the tick's
// grid, never polls a source before it is due, and polls every source.
func TestSchedulerTick(t *testing.T) {
	start := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	clk := &jumpClock{now: start.Add(7 * time.Millisecond)}
	const tick = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	polls := map[string]int{}
	due := map[string]time.Time{}
	var early []string
	s := &Scheduler{Clock: clk, Workers: 4, Tick: tick, Grace: time.Second,
		OnDispatch: func(source string, lag time.Duration, _ int) {
			if lag < 0 {
				mu.Lock()
				early = append(early, source)
				mu.Unlock()
			}
		},
		Poll: func(_ context.Context, source string) time.Time {
			now := clk.Now()
			mu.Lock()
			defer mu.Unlock()
			polls[source]++
			if now.Sub(start) > time.Minute {
				cancel()
			}
			return now.Add(time.Second + time.Duration(len(source))*time.Millisecond)
		}}
	for i := range 40 {
		due[fmt.Sprintf("s%d", i)] = start.Add(time.Duration(i) * 37 * time.Millisecond)
	}
	s.Run(ctx, due)
	mu.Lock()
	defer mu.Unlock()
	clk.mu.Lock()
	defer clk.mu.Unlock()
	for _, end := range clk.ends[:len(clk.ends)-1] { // the last is the grace timer
		if !end.Truncate(tick).Equal(end) {
			t.Fatalf("woke at %s, off the %s grid", end.Format("15:04:05.000000"), tick)
		}
	}
	if len(early) > 0 {
		t.Errorf("polled before due: %v", early)
	}
	for name := range due {
		if polls[name] == 0 {
			t.Errorf("%s never polled", name)
		}
	}
}

// TestSchedulerWaiting: each dispatch reports how many due sources still
// wait for a worker.
func TestSchedulerWaiting(t *testing.T) {
	for _, tick := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run(tick.String(), func(t *testing.T) {
			start := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
			clk := &jumpClock{now: start}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			var got []int
			s := &Scheduler{Clock: clk, Workers: 2, Tick: tick, Grace: time.Second,
				OnDispatch: func(_ string, _ time.Duration, waiting int) {
					mu.Lock()
					defer mu.Unlock()
					// The first round only: once every source was
					// dispatched, the clock may jump to the next round
					// before the scheduler sees the cancel.
					if len(got) < 5 {
						if got = append(got, waiting); len(got) == 5 {
							cancel()
						}
					}
				},
				Poll: func(context.Context, string) time.Time { return start.Add(time.Hour) }}
			due := map[string]time.Time{}
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				due[n] = start
			}
			s.Run(ctx, due)
			mu.Lock()
			defer mu.Unlock()
			if want := []int{4, 3, 2, 1, 0}; !slices.Equal(got, want) {
				t.Errorf("waiting at each dispatch = %v, want %v", got, want)
			}
		})
	}
}
