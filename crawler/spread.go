package crawler

import (
	"hash/fnv"
	"sync"
	"time"
)

// Phase is a fraction in [0, 1) fixed by a source's name and a purpose:
// where in an interval, or in a cycle of polls, the source's periodic work
// falls. Sources started together get phases spread evenly, so they do not
// all do that work in the same minute; one source gets the same phase in
// every run, so schedules and tests stay deterministic.
func Phase(name, purpose string) float64 {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(name))
	// FNV's low bits mix poorly on short keys: finish with splitmix64's
	// finaliser before taking the top 53 bits.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// FirstPollAt is when a source is polled first after a start at now: at
// its phase across spread (its interval), so that sources started
// together are polled across the interval rather than all at once.
func FirstPollAt(name string, now time.Time, spread time.Duration) time.Time {
	if spread <= 0 {
		return now
	}
	return now.Add(time.Duration(Phase(name, "first-poll") * float64(spread)))
}

// Checks decides which polls of a source are full GETs that check the
// server's validators: one after every Every conditional polls, a cycle
// of Every+1 polls. The first check after a start comes after a number of
// conditional polls between 0 and Every fixed by the source's name, so
// sources started together check on every poll of the cycle in equal
// shares rather than all on the same one. Safe for concurrent use.
type Checks struct {
	Every int

	mu sync.Mutex
	n  map[string]int // conditional polls since the last full GET, from the phase at start
}

// start is the count a source's first cycle starts from, in [0, Every].
func (c *Checks) start(name string) int {
	return min(int(Phase(name, "validator-check")*float64(c.Every+1)), c.Every)
}

func (c *Checks) count(name string) int {
	if n, ok := c.n[name]; ok {
		return n
	}
	return c.start(name)
}

// Conditional reports whether the next poll of the source may be a
// conditional GET: false when a check is due.
func (c *Checks) Conditional(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count(name) < c.Every
}

// NotModified records a conditional poll the server answered 304.
func (c *Checks) NotModified(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name] = c.count(name) + 1
}

// Full records a full response to a poll that was conditional or not, and
// reports whether the poll was a check. first says that no earlier full
// body of the source is known in this run: the source's first cycle then
// keeps its phase. Any other full body starts a new cycle.
func (c *Checks) Full(name string, conditional, first bool) (check bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	check = !conditional && c.count(name) >= c.Every
	switch {
	case !check && first:
		c.n[name] = c.start(name)
	default:
		c.n[name] = 0
	}
	return check
}

// FirstPoll is FirstPollAt, never later than the start of the source's
// next pre-roll: a source spread over a long interval still enters a
// window's cadence on time.
func (c *Cadence) FirstPoll(name string, now time.Time, spread time.Duration) time.Time {
	at := FirstPollAt(name, now, spread)
	if p := c.nextPreroll(now); !p.IsZero() && p.Before(at) {
		return p
	}
	return at
}
