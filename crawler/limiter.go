package crawler

import (
	"context"
	"sync"
	"time"
)

// hostLimiter bounds what we ask of one host: at most concurrency requests
// in flight and at least delay between request starts. Waiting happens
// before the request's own timeout starts, so queueing behind other feeds of
// the same host is never reported as the host being slow.
type hostLimiter struct {
	concurrency int
	delay       time.Duration
	now         func() time.Time

	mu      sync.Mutex
	hosts   map[string]*hostSlot
	sweepAt int // map size that triggers the next sweep of idle hosts
}

type hostSlot struct {
	sem  chan struct{} // one token per request in flight
	refs int           // goroutines holding or waiting; guarded by hostLimiter.mu
	next time.Time     // earliest start of the next request; guarded by hostLimiter.mu
}

func newHostLimiter(concurrency int, delay time.Duration, now func() time.Time) *hostLimiter {
	return &hostLimiter{
		concurrency: concurrency,
		delay:       delay,
		now:         now,
		hosts:       make(map[string]*hostSlot),
		sweepAt:     64,
	}
}

// acquire waits for a slot on host and returns the function releasing it.
// It returns ctx's error if ctx ends first.
func (l *hostLimiter) acquire(ctx context.Context, host string) (release func(), err error) {
	l.mu.Lock()
	s := l.hosts[host]
	if s == nil {
		l.sweepLocked()
		s = &hostSlot{sem: make(chan struct{}, l.concurrency)}
		l.hosts[host] = s
	}
	s.refs++
	l.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		l.unref(host, s)
		return nil, ctx.Err()
	}
	release = sync.OnceFunc(func() {
		<-s.sem
		l.unref(host, s)
	})

	if l.delay > 0 {
		// Reserve a start time under the lock, then sleep outside it, so
		// concurrent waiters get successive slots instead of racing.
		l.mu.Lock()
		now := l.now()
		start := now
		if s.next.After(start) {
			start = s.next
		}
		s.next = start.Add(l.delay)
		l.mu.Unlock()
		if wait := start.Sub(now); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}

// unref forgets a host nobody uses whose delay has elapsed, so ad-hoc URLs
// do not grow the map forever.
func (l *hostLimiter) unref(host string, s *hostSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.refs--
	if s.refs == 0 && !s.next.After(l.now()) {
		delete(l.hosts, host)
	}
}

// sweepLocked drops idle hosts whose delay has since elapsed (unref keeps
// those still inside their delay). Sweeping only when the map has doubled
// keeps the cost amortised constant per new host.
func (l *hostLimiter) sweepLocked() {
	if len(l.hosts) < l.sweepAt {
		return
	}
	now := l.now()
	for h, s := range l.hosts {
		if s.refs == 0 && !s.next.After(now) {
			delete(l.hosts, h)
		}
	}
	l.sweepAt = max(64, 2*len(l.hosts))
}
