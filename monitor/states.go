package monitor

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/store"
)

// While Run runs, it is the only writer of its sources' states (the store
// is locked to one daemon), so it keeps each source's last state in
// memory and reads it from there, not from the store, at each poll. The
// states a poll changed only in their poll times (a 304, a validator
// check that found nothing new: most polls) are written in one
// transaction every stateFlushEvery, or as soon as stateFlushSize wait,
// rather than one commit a poll. A crash (kill -9) loses at most those:
// the store still holds the source's previous poll, so after a restart
// the source is overdue and polled again sooner, with the validators it
// had. Everything a poll found is written before the poll returns, as
// without the cache: versions, findings and alerts, events, and any state
// whose validators, items, failures or mode changed (after the buffered
// times, in order).
//
// The item keys of the last poll (SourceState.LastItems, up to
// max_items_per_poll of them) stay in the store, read only by a poll that
// got a full response: held for every source they would cost more memory
// than all the rest.
//
// Only Run's own scheduler uses the cache. PollSource (a cluster's jobs,
// where another process may read the state next) and PollOnce read and
// write each state in the store.
//
// A flush costs about half a millisecond of CPU whatever it writes (the
// transaction's begin and commit on SQLite): every 200 ms it was a tenth
// of the steady CPU of 2,000 feeds due every minute. Once a second costs
// a crash at most a second of poll times; with more than 256 polls a
// second the size starts most flushes anyway.
const (
	stateFlushEvery = time.Second
	stateFlushSize  = 256
)

// stateStore is what the cache writes through.
type stateStore interface {
	SourceState(ctx context.Context, name string) (store.SourceState, bool, error)
	SaveSourceState(ctx context.Context, st store.SourceState) error
	SaveSourceTimes(ctx context.Context, states []store.SourceState) error
}

// stateCache holds the sources' states. It is safe for concurrent use.
type stateCache struct {
	store stateStore
	// full is signalled when stateFlushSize states wait.
	full chan struct{}

	mu sync.Mutex
	// known is each source's last state, LastItems left out.
	known map[string]store.SourceState
	// pending names the sources whose poll times wait to be written.
	pending map[string]struct{}

	// flushMu orders writes: a source's later state is never written
	// before an earlier one.
	flushMu sync.Mutex
}

func newStateCache(s stateStore) *stateCache {
	return &stateCache{store: s, full: make(chan struct{}, 1), known: map[string]store.SourceState{}, pending: map[string]struct{}{}}
}

// remember puts a state read from the store in the cache.
func (c *stateCache) remember(st store.SourceState) {
	st.LastItems = nil
	c.mu.Lock()
	c.known[st.Name] = st
	c.mu.Unlock()
}

// state returns the source's last state, without its LastItems.
func (c *stateCache) state(name string) (store.SourceState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.known[name]
	return st, ok
}

// items reads the source's LastItems from the store.
func (c *stateCache) items(ctx context.Context, name string) ([]string, error) {
	st, _, err := c.store.SourceState(ctx, name)
	return st.LastItems, err
}

// save records st, the state after a poll that started from prev (both
// with the same LastItems when the poll left them alone, nil when they
// were not read). A state that only moved its poll times waits for the
// next flush; any other is written now, after what waits, and must then
// carry the source's LastItems.
func (c *stateCache) save(ctx context.Context, st, prev store.SourceState) error {
	timesOnly := onlyTimesMoved(prev, st)
	c.mu.Lock()
	kept := st
	kept.LastItems = nil
	c.known[st.Name] = kept
	if timesOnly {
		c.pending[st.Name] = struct{}{}
	}
	n := len(c.pending)
	c.mu.Unlock()
	if timesOnly {
		if n >= stateFlushSize {
			select {
			case c.full <- struct{}{}:
			default:
			}
		}
		return nil
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if err := c.flushLocked(ctx); err != nil {
		return err
	}
	return c.store.SaveSourceState(ctx, st)
}

// onlyTimesMoved reports whether st differs from prev in its poll times
// and adaptive interval alone: losing st costs only an earlier poll.
func onlyTimesMoved(prev, st store.SourceState) bool {
	return prev.Name == st.Name && prev.URL == st.URL && prev.ETag == st.ETag && prev.LastModified == st.LastModified &&
		prev.ConditionalOff == st.ConditionalOff && prev.Failures == st.Failures &&
		(prev.LastItems == nil) == (st.LastItems == nil) && slices.Equal(prev.LastItems, st.LastItems)
}

// flush writes the poll times that wait, in one transaction. On failure
// they wait for the next flush.
func (c *stateCache) flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	return c.flushLocked(ctx)
}

func (c *stateCache) flushLocked(ctx context.Context) error {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return nil
	}
	batch := make([]store.SourceState, 0, len(c.pending))
	for name := range c.pending {
		batch = append(batch, c.known[name])
	}
	c.pending = make(map[string]struct{}, len(batch))
	c.mu.Unlock()
	err := c.store.SaveSourceTimes(ctx, batch)
	if err != nil {
		// The known state is the latest: writing it later is right.
		c.mu.Lock()
		for _, st := range batch {
			c.pending[st.Name] = struct{}{}
		}
		c.mu.Unlock()
	}
	return err
}

// run flushes every stateFlushEvery, and when the buffer fills, until
// ctx is cancelled. The caller makes the last flush once no poll runs.
func (c *stateCache) run(ctx context.Context, clk clock.Clock, log *slog.Logger, onError func()) {
	for {
		t := clk.NewTimer(stateFlushEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-c.full:
			t.Stop()
		}
		if err := c.flush(ctx); err != nil && ctx.Err() == nil {
			onError()
			log.Error("saving source states", "err", err)
		}
	}
}
