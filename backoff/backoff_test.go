package backoff

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const (
		base = time.Second
		max  = time.Minute
	)
	zero := func() float64 { return 0 }
	almostOne := func() float64 { return 0.999999 }
	half := func() float64 { return 0.5 }
	tests := []struct {
		name     string
		failures int
		base     time.Duration
		max      time.Duration
		rnd      func() float64
		want     time.Duration
	}{
		{"no failure, no wait", 0, base, max, half, 0},
		{"negative failures", -3, base, max, half, 0},
		{"first failure, low draw", 1, base, max, zero, base / 2},
		{"first failure, mid draw", 1, base, max, half, 750 * time.Millisecond},
		{"second failure doubles", 2, base, max, zero, base},
		{"third failure doubles again", 3, base, max, zero, 2 * base},
		{"capped", 10, base, max, zero, max / 2},
		{"capped, high draw stays below max", 10, base, max, almostOne, max - 30*time.Microsecond},
		{"huge failure count does not overflow", 1 << 30, base, max, zero, max / 2},
		{"no cap", 30, base, 0, zero, base << 28},
		{"no cap, huge count saturates", 1 << 20, base, 0, zero, time.Duration(1<<63-1) / 2},
		{"base above max is capped", 1, time.Hour, max, zero, max / 2},
		{"bad draw treated as 0", 1, base, max, func() float64 { return 1.5 }, base / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Delay(tt.failures, tt.base, tt.max, tt.rnd); got != tt.want {
				t.Errorf("Delay(%d, %v, %v) = %v, want %v", tt.failures, tt.base, tt.max, got, tt.want)
			}
		})
	}
}

func TestBackoffGrowsAndIsJittered(t *testing.T) {
	// Lower bounds grow with failures until the cap, whatever the draw.
	prevLow := time.Duration(0)
	for f := 1; f <= 12; f++ {
		low := Delay(f, time.Second, time.Minute, func() float64 { return 0 })
		high := Delay(f, time.Second, time.Minute, func() float64 { return 0.999 })
		if low < prevLow {
			t.Errorf("failure %d: %v is shorter than %v", f, low, prevLow)
		}
		if high <= low {
			t.Errorf("failure %d: no jitter range (%v..%v)", f, low, high)
		}
		if high > time.Minute {
			t.Errorf("failure %d: %v exceeds the cap", f, high)
		}
		prevLow = low
	}
	// The default source of randomness stays within [d/2, d).
	for range 100 {
		if d := Delay(3, time.Second, time.Minute, nil); d < 2*time.Second || d >= 4*time.Second {
			t.Fatalf("Delay(3) = %v, want within [2s, 4s)", d)
		}
	}
}
