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
		for h.Len() > 0 && inflight < workers && !h[0].due.After(now) {
			it := heap.Pop(&h).(dueItem)
			inflight++
			if s.OnDispatch != nil {
				s.OnDispatch(it.source, now.Sub(it.due), waiting(h, now))
			}
			jobs <- it // never blocks: at most `workers` are outstanding
		}
		stopTimer()
		var tick <-chan time.Time
		if h.Len() > 0 && inflight < workers {
			timer = s.Clock.NewTimer(h[0].due.Sub(now))
			tick = timer.C()
		}
		select {
		case r := <-results:
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

func waiting(h dueHeap, now time.Time) int {
	n := 0
	for _, it := range h {
		if !it.due.After(now) {
			n++
		}
	}
	return n
}
