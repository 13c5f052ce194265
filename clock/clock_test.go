package clock

import (
	"testing"
	"time"
)

func TestSim(t *testing.T) {
	start := time.Date(2017, 5, 5, 12, 0, 0, 0, time.UTC)
	s := NewSim(start, 3600) // an hour per second
	if d := s.Now().Sub(start); d < 0 || d > time.Minute {
		t.Fatalf("just started, %s in", d)
	}
	before := time.Now()
	<-s.NewTimer(time.Hour).C() // one simulated hour: about a real second
	real := time.Since(before)
	if real < 900*time.Millisecond || real > 5*time.Second {
		t.Errorf("an hour took %s of real time", real)
	}
	if d := s.Now().Sub(start); d < 55*time.Minute {
		t.Errorf("clock at %s after a simulated hour", d)
	}
}
