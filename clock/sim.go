package clock

import (
	"sync"
	"time"
)

// Sim is a clock that runs Speed times faster than the wall clock from a
// chosen start, for replaying a weekend in a minute. Timers wait the
// scaled-down real duration.
type Sim struct {
	mu        sync.Mutex
	start     time.Time // simulated instant at realStart
	realStart time.Time
	speed     float64
}

// NewSim starts a simulated clock at start, running speed times faster
// than real time.
func NewSim(start time.Time, speed float64) *Sim {
	if speed <= 0 {
		speed = 1
	}
	return &Sim{start: start, realStart: time.Now(), speed: speed}
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start.Add(time.Duration(float64(time.Since(s.realStart)) * s.speed))
}

// Speed is how many simulated seconds pass per real second.
func (s *Sim) Speed() float64 { return s.speed }

// Real converts a simulated duration to the real one.
func (s *Sim) Real(d time.Duration) time.Duration { return time.Duration(float64(d) / s.speed) }

// NewTimer fires after the simulated duration d.
func (s *Sim) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(s.Real(d))} }
