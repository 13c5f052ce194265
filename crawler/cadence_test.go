package crawler

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func half() float64 { return 0.5 }

var t0 = time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)

func testCadence() *Cadence {
	return &Cadence{
		Schedule: cron.Every(5 * time.Minute), Every: 5 * time.Minute, SilenceEvery: time.Minute,
		Preroll: 6 * time.Hour, MinEvery: 30 * time.Second, MaxEvery: 30 * time.Minute,
		Windows: []Span{{Start: t0.Add(10 * time.Hour), End: t0.Add(54 * time.Hour)}},
	}
}

func TestCadenceNext(t *testing.T) {
	c := testCadence()
	inWindow := t0.Add(20 * time.Hour)
	tests := []struct {
		name         string
		prev         time.Duration
		out          Outcome
		wantIn       time.Duration // next - at
		wantInterval time.Duration
	}{
		{"first poll outside: every, though all is new", 0, Outcome{At: t0, Items: 10, NewItems: 10}, 5 * time.Minute, 5 * time.Minute},
		{"nothing changed: slower", 5 * time.Minute, Outcome{At: t0, NotModified: true}, 7*time.Minute + 30*time.Second, 7*time.Minute + 30*time.Second},
		{"slower is capped at max_every", 28 * time.Minute, Outcome{At: t0, NotModified: true}, 30 * time.Minute, 30 * time.Minute},
		{"most items new: faster", 5 * time.Minute, Outcome{At: t0, Items: 10, NewItems: 8}, 150 * time.Second, 150 * time.Second},
		{"faster is floored at min_every", 40 * time.Second, Outcome{At: t0, Items: 10, NewItems: 10}, 30 * time.Second, 30 * time.Second},
		{"some new items: steady", 5 * time.Minute, Outcome{At: t0, Items: 10, NewItems: 2}, 5 * time.Minute, 5 * time.Minute},
		{"in the window: silence_every", 5 * time.Minute, Outcome{At: inWindow, Items: 10, NewItems: 2}, time.Minute, time.Minute},
		{"in the window, unchanged: never slower than silence_every", time.Minute, Outcome{At: inWindow, NotModified: true}, time.Minute, time.Minute},
		{"in the window, many new: faster", time.Minute, Outcome{At: inWindow, Items: 10, NewItems: 9}, 30 * time.Second, 30 * time.Second},
		{"preroll counts as the window", 5 * time.Minute, Outcome{At: t0.Add(5 * time.Hour), NotModified: true}, time.Minute, time.Minute},
		{"next poll pulled to the preroll start", 30 * time.Minute, Outcome{At: t0.Add(3*time.Hour + 50*time.Minute), NotModified: true}, 10 * time.Minute, 30 * time.Minute},
		// Backoff uses equal jitter: half the step plus rnd times the other half.
		{"failure backs off", 5 * time.Minute, Outcome{At: t0, Failures: 3}, 15 * time.Minute, 5 * time.Minute},
		{"failure backoff capped", 5 * time.Minute, Outcome{At: t0, Failures: 30}, 22*time.Minute + 30*time.Second, 5 * time.Minute},
		{"Retry-After honoured", 5 * time.Minute, Outcome{At: t0, Failures: 1, RetryAfter: 20 * time.Minute}, 20 * time.Minute, 5 * time.Minute},
		{"Retry-After capped at an hour", 5 * time.Minute, Outcome{At: t0, Failures: 1, RetryAfter: 24 * time.Hour}, time.Hour, 5 * time.Minute},
		{"in the window, failures retried within a minute", time.Minute, Outcome{At: inWindow, Failures: 10}, 45 * time.Second, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, interval := c.Next(tt.prev, tt.out, half)
			if got := next.Sub(tt.out.At); got != tt.wantIn || interval != tt.wantInterval {
				t.Errorf("next in %s (interval %s), want %s (interval %s)", got, interval, tt.wantIn, tt.wantInterval)
			}
		})
	}
}

func TestCadenceCron(t *testing.T) {
	sched, err := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow).Parse("CRON_TZ=Europe/Paris 0 */2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	c := testCadence()
	c.Schedule, c.Every = sched, 0
	next, _ := c.Next(0, Outcome{At: t0.Add(-5 * time.Hour), NotModified: true}, half) // 09:00 Paris (07:00 UTC)
	if want := t0.Add(-4 * time.Hour); !next.Equal(want) {                             // 10:00 Paris
		t.Errorf("cron next = %s, want %s", next, want)
	}
	// Inside the window the silence cadence wins over the cron spec.
	next, _ = c.Next(0, Outcome{At: t0.Add(20 * time.Hour)}, half)
	if got := next.Sub(t0.Add(20 * time.Hour)); got != time.Minute {
		t.Errorf("in window: next in %s, want 1m", got)
	}
}

func TestCadenceOpenEndedGuidance(t *testing.T) {
	c := testCadence()
	c.Windows = []Span{{Start: t0}}
	if !c.Silent(t0.Add(1000 * time.Hour)) {
		t.Error("an open-ended window lasts")
	}
}

// TestCadenceRetryAfterCap checks that a server's Retry-After cannot blind
// a source inside a window: there it waits at most silence_every (1m
// here); outside, at most an hour, and never past the next pre-roll's
// start by more than silence_every. The window runs from t0+10h to t0+54h
// with a 6h pre-roll, so the pre-roll starts at t0+4h.
func TestCadenceRetryAfterCap(t *testing.T) {
	const absurd = 999999999 * time.Second // Retry-After: 999999999
	inWindow := t0.Add(20 * time.Hour)
	inPreroll := t0.Add(5 * time.Hour)
	tests := []struct {
		name       string
		prev       time.Duration
		at         time.Time
		retryAfter time.Duration
		wantIn     time.Duration
	}{
		{"inside the window: absurd Retry-After capped at silence_every", time.Minute, inWindow, absurd, time.Minute},
		{"inside the window: an hour capped at silence_every", time.Minute, inWindow, time.Hour, time.Minute},
		{"inside the window: shorter than silence_every honoured", time.Minute, inWindow, 50 * time.Second, 50 * time.Second},
		{"inside the pre-roll: capped at silence_every", time.Minute, inPreroll, absurd, time.Minute},
		{"at the window's last instant: still inside", time.Minute, t0.Add(54*time.Hour - time.Nanosecond), absurd, time.Minute},
		{"at the window's end: outside, an hour", 5 * time.Minute, t0.Add(54 * time.Hour), absurd, time.Hour},
		{"outside, far from any pre-roll: an hour", 5 * time.Minute, t0.Add(-24 * time.Hour), absurd, time.Hour},
		{"outside, 20m asked: honoured", 5 * time.Minute, t0.Add(-24 * time.Hour), 20 * time.Minute, 20 * time.Minute},
		{"outside, the wait would run into the pre-roll: ends silence_every after it starts", 5 * time.Minute, t0.Add(3*time.Hour + 30*time.Minute), absurd, 31 * time.Minute},
		{"outside, the wait ends before the pre-roll: honoured", 5 * time.Minute, t0.Add(3*time.Hour + 30*time.Minute), 20 * time.Minute, 20 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCadence()
			out := Outcome{At: tt.at, Failures: 1, RetryAfter: tt.retryAfter}
			next, _ := c.Next(tt.prev, out, half)
			if got := next.Sub(tt.at); got != tt.wantIn {
				t.Errorf("next poll in %s, want %s", got, tt.wantIn)
			}
		})
	}
}
