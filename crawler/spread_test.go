package crawler

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestPhaseIsFixedAndSpread(t *testing.T) {
	if Phase("lemonde", "first-poll") != Phase("lemonde", "first-poll") {
		t.Fatal("a source's phase changes between calls")
	}
	if Phase("lemonde", "first-poll") == Phase("lemonde", "validator-check") {
		t.Error("two purposes share a phase")
	}
	// 10,000 names in 10 buckets: each within 10% of its share.
	var buckets [10]int
	for i := range 10000 {
		p := Phase(fmt.Sprintf("source-%d", i), "first-poll")
		if p < 0 || p >= 1 {
			t.Fatalf("phase %v outside [0, 1)", p)
		}
		buckets[int(p*10)]++
	}
	for i, n := range buckets {
		if n < 900 || n > 1100 {
			t.Errorf("bucket %d holds %d of 10,000 phases", i, n)
		}
	}
}

func TestChecksCycle(t *testing.T) {
	c := &Checks{Every: 12}
	const name = "lemonde"
	start := c.start(name)
	// A new source: its first full body keeps the phase, so the first
	// check comes after Every-start conditional polls, then every Every.
	if c.Full(name, true, true) {
		t.Fatal("a first poll is not a check")
	}
	polls := 0
	for c.Conditional(name) {
		c.NotModified(name)
		polls++
	}
	if polls != 12-start {
		t.Errorf("first check after %d conditional polls, want %d", polls, 12-start)
	}
	if !c.Full(name, false, false) {
		t.Error("the full GET at the end of the cycle is a check")
	}
	polls = 0
	for c.Conditional(name) {
		c.NotModified(name)
		polls++
	}
	if polls != 12 {
		t.Errorf("after a check: next check after %d conditional polls, want 12", polls)
	}
	// A changed feed (a full body to a conditional poll) starts a new cycle.
	c.Full(name, true, false)
	if !c.Conditional(name) {
		t.Error("a check right after a changed feed")
	}
}

// fleetSim polls n sources for an hour from start with the real Cadence
// and Checks: every source's feed unchanged (304 to every conditional
// poll), inside a silence window (one poll a minute). withValidators says
// the sources were polled before (a restart): the first poll is
// conditional; otherwise the first poll of each is a full GET. It returns
// the full GETs in each minute, first polls of new sources apart.
func fleetSim(n int, start time.Time, withValidators bool) (checks, firsts []int) {
	c := &Cadence{
		Schedule: cron.Every(5 * time.Minute), Every: 5 * time.Minute, SilenceEvery: time.Minute,
		Preroll: 6 * time.Hour, MinEvery: 30 * time.Second, MaxEvery: 30 * time.Minute,
		Windows: []Span{{Start: start.Add(-time.Hour), End: start.Add(24 * time.Hour)}},
	}
	checks, firsts = make([]int, 60), make([]int, 60)
	ch := &Checks{Every: 12}
	end := start.Add(time.Hour)
	for i := range n {
		name := fmt.Sprintf("source-%05d", i)
		at := c.FirstPoll(name, start, c.SilenceEvery)
		var interval time.Duration
		first := !withValidators
		for at.Before(end) {
			minute := int(at.Sub(start) / time.Minute)
			conditional := ch.Conditional(name) && !first
			out := Outcome{At: at}
			switch {
			case first:
				firsts[minute]++
				ch.Full(name, true, true)
				first = false
			case conditional:
				out.NotModified = true
				ch.NotModified(name)
			default:
				checks[minute]++
				ch.Full(name, false, false)
			}
			at, interval = c.Next(interval, out, half)
		}
	}
	return checks, firsts
}

func median(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestFleetSpreadsFullGETs plans 10,000 sources started together over an
// hour, inside a window (a poll a minute each): no minute holds more than
// twice the full GETs of the median minute. Without the phases every
// source checked its validators on its 13th poll, all in the same minute.
func TestFleetSpreadsFullGETs(t *testing.T) {
	start := time.Date(2017, 5, 6, 9, 0, 0, 0, time.UTC)
	t.Run("restart, validators known", func(t *testing.T) {
		checks, _ := fleetSim(10000, start, true)
		med, top := median(checks), slices.Max(checks)
		if med == 0 || top > 2*med {
			t.Errorf("full GETs per minute: median %d, max %d (%v)", med, top, checks)
		}
	})
	t.Run("new sources", func(t *testing.T) {
		// Every new source's first poll is a full GET: those land in the
		// first interval (the first minute here), spread across it, and
		// are counted apart. The checks that follow are spread.
		checks, firsts := fleetSim(10000, start, false)
		if firsts[0] != 10000 {
			t.Fatalf("first polls by minute: %v", firsts)
		}
		med, top := median(checks), slices.Max(checks)
		if med == 0 || top > 2*med {
			t.Errorf("checks per minute: median %d, max %d (%v)", med, top, checks)
		}
	})
}

// TestFirstPollsSpreadOverTheInterval: 10,000 sources started together
// with a 5-minute interval have their first polls in every minute of it,
// none holding more than twice its share.
func TestFirstPollsSpreadOverTheInterval(t *testing.T) {
	start := time.Date(2017, 5, 6, 9, 0, 0, 0, time.UTC)
	var perMinute [5]int
	for i := range 10000 {
		at := FirstPollAt(fmt.Sprintf("source-%05d", i), start, 5*time.Minute)
		if at.Before(start) || !at.Before(start.Add(5*time.Minute)) {
			t.Fatalf("first poll at %s, outside the interval", at)
		}
		perMinute[int(at.Sub(start)/time.Minute)]++
	}
	for m, n := range perMinute {
		if n > 2*2000 || n < 2000/2 {
			t.Errorf("minute %d holds %d first polls: %v", m, n, perMinute)
		}
	}
	if got := FirstPollAt("x", start, 0); !got.Equal(start) {
		t.Errorf("no interval: first poll at %s, want now", got)
	}
}

// TestFirstPollNotPastThePreroll: a first poll spread over an hour's
// interval still comes no later than the pre-roll that starts in two
// minutes.
func TestFirstPollNotPastThePreroll(t *testing.T) {
	c := testCadence() // pre-roll starts at t0+4h
	now := t0.Add(4*time.Hour - 2*time.Minute)
	late := 0
	for i := range 1000 {
		name := fmt.Sprintf("source-%d", i)
		at := c.FirstPoll(name, now, time.Hour)
		if at.After(t0.Add(4 * time.Hour)) {
			t.Fatalf("%s first polled at %s, after the pre-roll's start", name, at)
		}
		if at.Equal(t0.Add(4 * time.Hour)) {
			late++
		}
	}
	if late == 0 || late == 1000 {
		t.Errorf("%d of 1000 first polls held at the pre-roll's start", late)
	}
	if got := c.FirstPoll("x", t0, time.Minute); got.After(t0.Add(time.Minute)) {
		t.Errorf("far from a pre-roll: first poll at %s", got)
	}
}
