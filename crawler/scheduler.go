package crawler

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/clock"
)

// PollFunc polls one source and returns when it is next due. It must
// return on its own; ctx is cancelled only after the shutdown grace.
type PollFunc func(ctx context.Context, source string) time.Time

// Scheduler runs each source at its own due time on a bounded pool of
// workers: a slow source occupies one worker and delays nobody else.
type Scheduler struct {
	Clock   clock.Clock
	Workers int
	Poll    PollFunc
	// Grace is how long in-flight polls may run after shutdown starts.
	Grace time.Duration
	// OnDispatch, when set, is told how late each poll starts and how
	// many due sources wait for a worker.
	OnDispatch func(source string, lag time.Duration, waiting int)
	// Tick, when set, batches the wake-ups: the scheduler wakes on a grid
	// of Tick and starts every source due by then, and hears finished
	// polls at the next tick rather than each at once, so polls spread
	// over a minute cost a few wake-ups a second rather than one each. A
	// poll then starts up to Tick late. With every worker busy and
	// sources waiting, a finished poll is still heard at once.
	Tick time.Duration
}

type dueItem struct {
	source string
	due    time.Time
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

type result struct {
	source string
	next   time.Time
}

// Run polls every source of due (source → first due time) until ctx is
// cancelled, then lets in-flight polls finish within Grace and returns.
func (s *Scheduler) Run(ctx context.Context, due map[string]time.Time) {
	workers := max(s.Workers, 1)
	// Polls get their own context: shutdown stops dispatching at once but
	// gives in-flight work Grace to finish and be recorded.
	workCtx, cancelWork := context.WithCancel(context.Background())
	defer cancelWork()

	jobs := make(chan dueItem, workers)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				results <- result{job.source, s.Poll(workCtx, job.source)}
			}
		}()
	}

	h := make(dueHeap, 0, len(due))
	for src, t := range due {
		h = append(h, dueItem{src, t})
	}
	heap.Init(&h)
	inflight := 0
	queued, countedAt := 0, time.Time{}
	var timer clock.Timer
	stopTimer := func() {
		if timer != nil {
			timer.Stop()
			timer = nil
		}
	}
	defer stopTimer()
	for {
		now := s.Clock.Now()
		if s.Tick > 0 {
			// Finished polls since the last tick.
			for drained := false; !drained && inflight > 0; {
				select {
				case r := <-results:
					inflight--
					heap.Push(&h, dueItem{r.source, r.next})
				default:
					drained = true
				}
			}
		}
		// The sources due now, before this round starts any. With a tick
		// they are counted once a tick at most: while a backlog drains, a
		// round runs for each finished poll, and counting the backlog
		// each time grew with its square. The count is then up to a
		// tick old.
		if s.Tick <= 0 || countedAt.IsZero() || now.Sub(countedAt) >= s.Tick {
			queued, countedAt = countDue(h, now), now
		}
		for h.Len() > 0 && inflight < workers && !h[0].due.After(now) {
			it := heap.Pop(&h).(dueItem)
			inflight++
			queued = max(queued-1, 0)
			if s.OnDispatch != nil {
				s.OnDispatch(it.source, now.Sub(it.due), queued)
			}
			jobs <- it // never blocks: at most `workers` are outstanding
		}
		stopTimer()
		// A source is left due only when every worker is busy: then a
		// finished poll is heard at once, to free its worker. Otherwise
		// wake when the next source is due and, with a tick, at the next
		// tick while polls run, to hear them (a worker's send never
		// blocks: results holds `workers`).
		waiting := h.Len() > 0 && !h[0].due.After(now)
		var wake time.Time
		if h.Len() > 0 && !waiting && (inflight < workers || s.Tick > 0) {
			wake = s.onTick(h[0].due)
		}
		var finished <-chan result
		switch {
		case inflight == 0:
		case s.Tick <= 0 || waiting:
			finished = results
		default:
			if next := s.onTick(now.Add(time.Nanosecond)); wake.IsZero() || next.Before(wake) {
				wake = next
			}
		}
		var tick <-chan time.Time
		if !wake.IsZero() {
			timer = s.Clock.NewTimer(wake.Sub(now))
			tick = timer.C()
		}
		select {
		case r := <-finished:
			inflight--
			heap.Push(&h, dueItem{r.source, r.next})
		case <-tick:
		case <-ctx.Done():
			close(jobs)
			done := make(chan struct{})
			go func() {
				for range results { // drain so workers can exit
				}
			}()
			go func() { wg.Wait(); close(done) }()
			grace := s.Clock.NewTimer(max(s.Grace, 0))
			select {
			case <-done:
			case <-grace.C():
				cancelWork()
				<-done
			}
			grace.Stop()
			close(results)
			return
		}
	}
}

// onTick is the first instant of the tick grid not before t: t itself
// without a tick.
func (s *Scheduler) onTick(t time.Time) time.Time {
	if s.Tick <= 0 {
		return t
	}
	if r := t.Truncate(s.Tick); !r.Equal(t) {
		return r.Add(s.Tick)
	}
	return t
}

// countDue counts the sources of h due at now, visiting only those: a
// source's children in the heap are due no earlier than it.
func countDue(h dueHeap, now time.Time) int {
	n := 0
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(h) || h[i].due.After(now) {
			continue
		}
		n++
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n
}
