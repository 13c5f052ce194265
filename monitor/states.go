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

// Run buffers the source states that only move a source's poll times (a
// 304, a validator check that found the feed unchanged: most polls) and
// writes them in one transaction every stateFlushEvery, or as soon as
// stateFlushSize wait, rather than one commit a poll. A crash (kill -9)
// loses at most those: the store still holds the source's previous poll,
// so after a restart the source is overdue and polled again sooner, with
// the validators it had. Everything a poll found is written before the
// poll returns, as without the buffer: versions, findings and alerts,
// events, and any state whose validators, items, failures or mode
// changed (that write takes the buffered states with it, in order).
//
// Only Run's own scheduler uses the buffer. PollSource (a cluster's
// jobs, where another process may read the state next) and PollOnce write
// each state at once.
const (
	stateFlushEvery = 200 * time.Millisecond
	stateFlushSize  = 256
)

// stateBatcher is the store's batched write of source states.
type stateBatcher interface {
	SaveSourceStates(ctx context.Context, states []store.SourceState) error
}

// stateBuffer holds the states not yet written. It is safe for
// concurrent use.
type stateBuffer struct {
	store stateBatcher
	// full is signalled when stateFlushSize states wait.
	full chan struct{}

	mu sync.Mutex
	// pending waits for the next flush; flushing is being written. A
	// source's state is read from pending, then flushing, then the store,
	// so a poll never starts from an older state than its last one.
	pending, flushing map[string]store.SourceState

	// flushMu orders flushes: a source's later state is never written
	// before an earlier one.
	flushMu sync.Mutex
}

func newStateBuffer(s stateBatcher) *stateBuffer {
	return &stateBuffer{store: s, full: make(chan struct{}, 1), pending: map[string]store.SourceState{}}
}

// state returns the source's buffered state, if any.
func (b *stateBuffer) state(name string) (store.SourceState, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.pending[name]; ok {
		return st, true
	}
	st, ok := b.flushing[name]
	return st, ok
}

// save records st, the state after a poll that started from prev: it is
// buffered when only its poll times moved, and written at once, with
// everything buffered, otherwise.
func (b *stateBuffer) save(ctx context.Context, st, prev store.SourceState) error {
	b.mu.Lock()
	b.pending[st.Name] = st
	n := len(b.pending)
	b.mu.Unlock()
	if !onlyTimesMoved(prev, st) {
		return b.flush(ctx)
	}
	if n >= stateFlushSize {
		select {
		case b.full <- struct{}{}:
		default:
		}
	}
	return nil
}

// onlyTimesMoved reports whether st differs from prev in its poll times
// and adaptive interval alone: losing st costs only an earlier poll.
func onlyTimesMoved(prev, st store.SourceState) bool {
	return prev.Name == st.Name && prev.URL == st.URL && prev.ETag == st.ETag && prev.LastModified == st.LastModified &&
		prev.ConditionalOff == st.ConditionalOff && prev.Failures == st.Failures &&
		(prev.LastItems == nil) == (st.LastItems == nil) && slices.Equal(prev.LastItems, st.LastItems)
}

// flush writes every buffered state in one transaction. On failure the
// states are kept for the next flush, unless a later state of the same
// source replaced them meanwhile.
func (b *stateBuffer) flush(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.mu.Unlock()
		return nil
	}
	b.flushing, b.pending = b.pending, make(map[string]store.SourceState, len(b.pending))
	batch := make([]store.SourceState, 0, len(b.flushing))
	for _, st := range b.flushing {
		batch = append(batch, st)
	}
	b.mu.Unlock()
	err := b.store.SaveSourceStates(ctx, batch)
	b.mu.Lock()
	if err != nil {
		for name, st := range b.flushing {
			if _, newer := b.pending[name]; !newer {
				b.pending[name] = st
			}
		}
	}
	b.flushing = nil
	b.mu.Unlock()
	return err
}

// run flushes every stateFlushEvery, and when the buffer fills, until
// ctx is cancelled. The caller makes the last flush once no poll runs.
func (b *stateBuffer) run(ctx context.Context, clk clock.Clock, log *slog.Logger, onError func()) {
	for {
		t := clk.NewTimer(stateFlushEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		case <-b.full:
			t.Stop()
		}
		if err := b.flush(ctx); err != nil && ctx.Err() == nil {
			onError()
			log.Error("saving source states", "err", err)
		}
	}
}
