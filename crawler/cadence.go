package crawler

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/silencewatch/silencewatch/backoff"
)

// Span is a stretch of time during which a source is polled at its
// silence cadence: a silence, ban or guidance window that binds it. A zero
// End means open-ended.
type Span struct{ Start, End time.Time }

// Cadence decides when a source is polled next. Every source's next poll
// is computed from its own last poll, never from a shared tick, so a
// source due every minute is polled every minute.
type Cadence struct {
	// Schedule is the cadence outside the windows: robfig/cron's constant
	// delay for `every`, or the parsed `cron` spec (with CRON_TZ).
	Schedule     cron.Schedule
	Every        time.Duration // 0 when Schedule is a cron spec
	SilenceEvery time.Duration
	Preroll      time.Duration
	MinEvery     time.Duration
	MaxEvery     time.Duration
	Windows      []Span
}

// Outcome is what a poll found, as the cadence needs it.
type Outcome struct {
	At          time.Time
	Failures    int           // consecutive failures including this poll; 0 on success
	RetryAfter  time.Duration // asked by the server (429, 503)
	NotModified bool
	Items       int // items in the feed
	NewItems    int // items never seen before
}

// maxRetryAfter bounds how long a server's Retry-After can silence a
// source outside the windows: a monitor cannot go dark for a day because a
// server says so. Inside a window (and its pre-roll) the bound is the
// source's silence_every; see retryAfterUntil.
const maxRetryAfter = time.Hour

// Silent reports whether t is inside a window or its pre-roll.
func (c *Cadence) Silent(t time.Time) bool {
	for _, w := range c.Windows {
		if !t.Before(w.Start.Add(-c.Preroll)) && (w.End.IsZero() || t.Before(w.End)) {
			return true
		}
	}
	return false
}

// nextPreroll is the start of the next pre-roll after t, or zero.
func (c *Cadence) nextPreroll(t time.Time) time.Time {
	var next time.Time
	for _, w := range c.Windows {
		start := w.Start.Add(-c.Preroll)
		if start.After(t) && (next.IsZero() || start.Before(next)) {
			next = start
		}
	}
	return next
}

// Next returns when to poll again and the interval to remember. prev is
// the interval remembered from the last poll (0 at first).
//
// Inside a window (or its pre-roll) the interval never exceeds
// silence_every; outside it starts at every. It halves when most items of
// a poll are new (items may be scrolling off between polls) and grows by
// half when nothing changed, within min_every and max_every. A failing
// source backs off exponentially with jitter, capped, and is never given
// up; a Retry-After from the server is honoured up to an hour outside the
// windows, and up to silence_every inside one (or its pre-roll): a server
// cannot blind the monitor during the silence.
func (c *Cadence) Next(prev time.Duration, o Outcome, rnd func() float64) (time.Time, time.Duration) {
	silent := c.Silent(o.At)
	base, ceiling := c.Every, c.MaxEvery
	if silent {
		base, ceiling = c.SilenceEvery, c.SilenceEvery
	}
	interval := prev
	first := prev == 0 // everything is new on a first poll: nothing to adapt to
	switch {
	case base == 0: // a cron schedule outside the windows
		interval = 0
	case interval == 0 || interval > ceiling:
		interval = base
	}
	if interval > 0 && o.Failures == 0 && !first {
		switch {
		case o.Items > 0 && o.NewItems*2 > o.Items:
			interval /= 2
		case o.NotModified || o.NewItems == 0:
			interval += interval / 2
		}
		interval = min(max(interval, c.MinEvery), ceiling)
	}

	var next time.Time
	switch {
	case o.Failures > 0:
		step := interval
		if step == 0 {
			step = c.MinEvery
		}
		next = o.At.Add(backoff.Delay(o.Failures, step, max(ceiling, step), rnd))
		if o.RetryAfter > 0 {
			next = latest(next, c.retryAfterUntil(o.At, o.RetryAfter, silent))
		}
	case interval == 0:
		next = c.Schedule.Next(o.At)
		if next.Sub(o.At) < c.MinEvery {
			next = o.At.Add(c.MinEvery)
		}
	default:
		next = o.At.Add(interval)
	}
	// Enter a window's cadence on time rather than after a long interval.
	if !silent {
		if p := c.nextPreroll(o.At); !p.IsZero() && p.Before(next) && o.RetryAfter == 0 {
			next = p
		}
	}
	return next, interval
}

// retryAfterUntil is when a server's Retry-After, asked at t, lets the
// source be polled again. Inside a window or its pre-roll the wait is
// capped at silence_every. Outside it is capped at maxRetryAfter, and a
// wait that would run into the next pre-roll ends silence_every after
// that pre-roll starts at the latest, as if the source had entered the
// window's cadence there.
func (c *Cadence) retryAfterUntil(t time.Time, retryAfter time.Duration, silent bool) time.Time {
	if silent {
		return t.Add(min(retryAfter, c.silenceCap()))
	}
	until := t.Add(min(retryAfter, maxRetryAfter))
	if p := c.nextPreroll(t); !p.IsZero() && until.After(p.Add(c.silenceCap())) {
		until = p.Add(c.silenceCap())
	}
	return until
}

// silenceCap is the longest a source waits inside a window: its
// silence_every, or maxRetryAfter when none is set.
func (c *Cadence) silenceCap() time.Duration {
	if c.SilenceEvery > 0 {
		return c.SilenceEvery
	}
	return maxRetryAfter
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
