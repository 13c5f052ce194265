// Package backoff computes retry delays: exponential, capped, with jitter,
// shared by polling and delivery so both slow down the same way.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay returns how long to wait before the next attempt after failures
// consecutive failures: base doubled per failure after the first, capped at
// max, with "equal jitter" (a uniform draw in [d/2, d)). Half the delay is
// kept so a failing source reliably slows down; the other half is random so
// sources that failed together (one host down) do not retry in lockstep.
// It never gives up: the caller keeps polling at the capped rate.
//
// failures <= 0 gives 0. max <= 0 means no cap. rnd returns values in
// [0, 1); nil uses math/rand/v2. Overflow is impossible whatever failures is.
func Delay(failures int, base, max time.Duration, rnd func() float64) time.Duration {
	if failures <= 0 || base <= 0 {
		return 0
	}
	limit := max
	if limit <= 0 {
		limit = time.Duration(1<<63 - 1)
	}
	d := min(base, limit)
	for i := 1; i < failures && d < limit; i++ {
		if d > limit/2 {
			d = limit
			break
		}
		d *= 2
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	f := rnd()
	if f < 0 || f >= 1 || f != f { // NaN guard: a bad source of randomness
		f = 0
	}
	half := d / 2
	return half + time.Duration(f*float64(d-half))
}
