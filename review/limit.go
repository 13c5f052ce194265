package review

import (
	"sync"
	"time"
)

// Login throttling: after FreeFailures failed logins in a row, an account
// (or a client address) is locked for LockBase, doubling with each
// further failure up to LockMax. A success clears the account's count; an
// address's count is forgotten after a day without failures.
const (
	FreeFailures = 5
	LockBase     = time.Minute
	LockMax      = time.Hour
	forgetAfter  = 24 * time.Hour
	maxTracked   = 100_000 // keys kept at most; past it, the stalest go
)

type failures struct {
	n      int
	last   time.Time
	locked time.Time // locked until
}

// limiter counts failed logins per key ("user:NAME", "addr:IP").
type limiter struct {
	mu   sync.Mutex
	keys map[string]*failures
}

func newLimiter() *limiter { return &limiter{keys: map[string]*failures{}} }

// lockedUntil returns when the key's lockout ends; zero when it is not
// locked at now.
func (l *limiter) lockedUntil(key string, now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || !now.Before(f.locked) {
		return time.Time{}
	}
	return f.locked
}

// fail records a failed login.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || now.Sub(f.last) > forgetAfter {
		if len(l.keys) >= maxTracked {
			l.pruneLocked(now)
		}
		f = &failures{}
		l.keys[key] = f
	}
	f.n++
	f.last = now
	if f.n >= FreeFailures {
		d := LockBase << min(f.n-FreeFailures, 10)
		f.locked = now.Add(min(d, LockMax))
	}
}

// succeed clears a key's failures.
func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

func (l *limiter) pruneLocked(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.last) > forgetAfter || len(l.keys) >= maxTracked && !now.Before(f.locked) {
			delete(l.keys, k)
		}
	}
}
