// Package calendar owns the election calendar: polling zones with their
// local dates and hours, and the silence, poll-ban, results-embargo and
// guidance windows computed from them as absolute instants.
//
// Every computation takes its instants as arguments; nothing here reads the
// wall clock. Windows are half-open: a window [Start, End) contains Start and
// not End, so an article published at the second the polls close is outside
// the silence.
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	_ "time/tzdata" // windows must compute the same on a machine without zoneinfo
)

// Date is a civil date, read in a zone's own location.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Clock is a time of day, in minutes since midnight.
type Clock int

// ParseClock reads HH:MM (24-hour).
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("calendar: time of day %q: want HH:MM", s)
	}
	return Clock(t.Hour()*60 + t.Minute()), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Zone is a set of polling stations that vote on one local date and hours.
type Zone struct {
	ID       string
	Name     string
	Location *time.Location
	Date     Date
	Opens    Clock
	Closes   Clock
}

func (z *Zone) at(day int, c Clock) time.Time {
	return wallClock(z.Date.Year, z.Date.Month, z.Date.Day+day, int(c)/60, int(c)%60, z.Location)
}

// wallClock is the instant a wall clock in loc shows the given time. When
// that time does not exist (skipped by a daylight-saving change, as
// midnight in Santiago on 13 August 2017), it is the first instant after
// the gap, the transition itself: time.Date leaves the choice of offset
// unspecified and may land an hour early, on the previous day.
func wallClock(year int, month time.Month, day, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, hour, minute, 0, 0, loc)
	want := time.Date(year, month, day, hour, minute, 0, 0, time.UTC) // the wall time, normalised
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	switch {
	case got.Before(want): // landed before the gap: move to its end
		_, end := t.ZoneBounds()
		if !end.IsZero() {
			return end
		}
	case got.After(want): // landed after the gap: move back to its start
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			return start
		}
	}
	return t
}

// PollsOpen is the instant the zone's polling stations open.
func (z *Zone) PollsOpen() time.Time { return z.at(0, z.Opens) }

// PollsClose is the instant the zone's last polling station closes.
func (z *Zone) PollsClose() time.Time { return z.at(0, z.Closes) }

// EveMidnight is 00:00 local time on the day before the zone votes: the
// start of the French silence (Code électoral L49).
func (z *Zone) EveMidnight() time.Time { return z.at(-1, 0) }

// Anchor names the instant a boundary is measured from.
type Anchor int

// Anchors. The zone-relative ones are read in each zone's own location; the
// others are one instant for every zone of the round.
const (
	AnchorEveMidnight Anchor = iota + 1 // 00:00 local, the day before the zone votes
	AnchorPollsOpen                     // the zone's polls open
	AnchorPollsClose                    // the zone's polls close
	AnchorZoneClose                     // one named zone's polls close, for every zone
	AnchorLastClose                     // the latest close of any zone of the round
	AnchorInstant                       // a fixed instant
)

// Boundary is where a window starts or ends: an anchor plus a signed offset.
// An offset written in whole days ("4 days before eve-midnight") is
// counted in calendar days of the zone (Days), so a daylight-saving change
// in between does not move it by an hour; any other is a fixed Offset.
type Boundary struct {
	Anchor  Anchor
	Zone    string    // for AnchorZoneClose
	Instant time.Time // for AnchorInstant
	Offset  time.Duration
	Days    int
	text    string
}

func (b Boundary) String() string { return b.text }

// ParseBoundary reads a window boundary:
//
//	eve-midnight | polls-open | polls-close | last-close | close:ZONE | RFC 3339 instant
//	DURATION before|after ANCHOR      (e.g. "48h before polls-open", "2 days before polls-open")
func ParseBoundary(s string) (Boundary, error) {
	text := strings.TrimSpace(s)
	b := Boundary{text: text}
	anchor := text
	if fields := strings.Fields(text); len(fields) >= 3 && (fields[len(fields)-2] == "before" || fields[len(fields)-2] == "after") {
		amount := strings.Join(fields[:len(fields)-2], " ")
		d, err := ParseDuration(amount)
		if err != nil {
			return Boundary{}, fmt.Errorf("calendar: boundary %q: %q is not a duration: want %s", s, amount, DurationForms)
		}
		sign := 1
		if fields[len(fields)-2] == "before" {
			sign = -1
		}
		if n, ok := wholeDays(amount); ok {
			b.Days = sign * n
		} else {
			b.Offset = time.Duration(sign) * d
		}
		anchor = fields[len(fields)-1]
	}
	switch {
	case anchor == "eve-midnight":
		b.Anchor = AnchorEveMidnight
	case anchor == "polls-open":
		b.Anchor = AnchorPollsOpen
	case anchor == "polls-close":
		b.Anchor = AnchorPollsClose
	case anchor == "last-close":
		b.Anchor = AnchorLastClose
	case strings.HasPrefix(anchor, "close:") && len(anchor) > len("close:"):
		b.Anchor = AnchorZoneClose
		b.Zone = strings.TrimPrefix(anchor, "close:")
	default:
		t, err := time.Parse(time.RFC3339, anchor)
		if err != nil {
			return Boundary{}, fmt.Errorf("calendar: boundary %q: want eve-midnight, polls-open, polls-close, last-close, close:ZONE, an RFC 3339 instant, or \"DURATION before|after\" one of those", s)
		}
		b.Anchor = AnchorInstant
		b.Instant = t
	}
	return b, nil
}

// WindowSpec is a named window of a round, computed for each of its zones.
type WindowSpec struct {
	Name        string
	Description string
	Start, End  Boundary
	Zones       []string // restrict to these zones; empty means every zone
}

// Round is one round of voting.
type Round struct {
	ID      string
	Name    string
	Zones   []*Zone
	Windows []WindowSpec
}

// Zone returns the zone with the given id, or nil.
func (r *Round) Zone(id string) *Zone {
	for _, z := range r.Zones {
		if z.ID == id {
			return z
		}
	}
	return nil
}

// Election is a vote with one or more rounds.
type Election struct {
	ID      string
	Name    string
	Country string
	Rounds  []*Round
}

// Guidance is an authority's public request (for example the CNCCEP asking
// media not to report the contents of leaked data). It applies from its
// issue until Until, or indefinitely when Until is zero.
type Guidance struct {
	ID        string
	Authority string
	IssuedAt  time.Time
	Until     time.Time
	URL       string
	Summary   string
}

// Kind says where a window comes from.
type Kind string

// Window kinds.
const (
	KindElection Kind = "election"
	KindGuidance Kind = "guidance"
)

// Window is one computed window: absolute instants, plus the location they
// are best read in.
type Window struct {
	Kind     Kind
	Election string // election id; for guidance, the guidance id
	Round    string
	Name     string // window name, e.g. "silence"; for guidance, the guidance id
	Zone     string // zone id; "" for guidance
	ZoneName string
	Location *time.Location
	Start    time.Time
	End      time.Time // zero: open-ended
}

// Ref is the name rules use for the window: ELECTION/ROUND/NAME, or
// guidance:ID.
func (w *Window) Ref() string {
	if w.Kind == KindGuidance {
		return "guidance:" + w.Name
	}
	return w.Election + "/" + w.Round + "/" + w.Name
}

// Contains reports whether t lies in [Start, End).
func (w *Window) Contains(t time.Time) bool {
	return !t.Before(w.Start) && (w.End.IsZero() || t.Before(w.End))
}

// Calendar holds every computed window.
type Calendar struct {
	Elections []*Election
	Guidance  []*Guidance
	windows   []Window
}

// New computes the windows of every round and guidance entry. It fails on
// a window that ends before it starts or names an unknown zone.
func New(elections []*Election, guidance []*Guidance) (*Calendar, error) {
	c := &Calendar{Elections: elections, Guidance: guidance}
	var errs []error
	for _, e := range elections {
		for _, r := range e.Rounds {
			ws, err := roundWindows(e, r)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c.windows = append(c.windows, ws...)
		}
	}
	for _, g := range guidance {
		if !g.Until.IsZero() && !g.Until.After(g.IssuedAt) {
			errs = append(errs, fmt.Errorf("calendar: guidance %q: until %s is not after issued_at %s", g.ID, g.Until.Format(time.RFC3339), g.IssuedAt.Format(time.RFC3339)))
			continue
		}
		c.windows = append(c.windows, Window{
			Kind: KindGuidance, Election: g.ID, Name: g.ID, Location: g.IssuedAt.Location(),
			Start: g.IssuedAt, End: g.Until,
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func roundWindows(e *Election, r *Round) ([]Window, error) {
	var lastClose time.Time
	for _, z := range r.Zones {
		if t := z.PollsClose(); t.After(lastClose) {
			lastClose = t
		}
	}
	resolve := func(b Boundary, z *Zone) (time.Time, error) {
		var t time.Time
		switch b.Anchor {
		case AnchorEveMidnight:
			t = z.EveMidnight()
		case AnchorPollsOpen:
			t = z.PollsOpen()
		case AnchorPollsClose:
			t = z.PollsClose()
		case AnchorLastClose:
			t = lastClose
		case AnchorZoneClose:
			other := r.Zone(b.Zone)
			if other == nil {
				return time.Time{}, fmt.Errorf("unknown zone %q in %q", b.Zone, b.text)
			}
			t = other.PollsClose()
		case AnchorInstant:
			t = b.Instant
		default:
			return time.Time{}, fmt.Errorf("boundary %q has no anchor", b.text)
		}
		if b.Days != 0 {
			t = t.In(z.Location).AddDate(0, 0, b.Days) // same wall-clock time, N days away
		}
		return t.Add(b.Offset), nil
	}
	var out []Window
	for _, spec := range r.Windows {
		for _, z := range r.Zones {
			if len(spec.Zones) > 0 && !slices.Contains(spec.Zones, z.ID) {
				continue
			}
			start, err := resolve(spec.Start, z)
			if err == nil {
				var end time.Time
				end, err = resolve(spec.End, z)
				if err == nil && !end.After(start) {
					err = fmt.Errorf("ends at %s, not after its start %s", end.In(z.Location).Format(time.RFC3339), start.In(z.Location).Format(time.RFC3339))
				}
				if err == nil {
					out = append(out, Window{
						Kind: KindElection, Election: e.ID, Round: r.ID, Name: spec.Name,
						Zone: z.ID, ZoneName: z.Name, Location: z.Location, Start: start, End: end,
					})
					continue
				}
			}
			return nil, fmt.Errorf("calendar: election %q round %q window %q zone %q: %w", e.ID, r.ID, spec.Name, z.ID, err)
		}
	}
	return out, nil
}

// Windows returns every window, ordered by start, then reference, then zone.
func (c *Calendar) Windows() []Window {
	out := append([]Window(nil), c.windows...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		if out[i].Ref() != out[j].Ref() {
			return out[i].Ref() < out[j].Ref()
		}
		return out[i].Zone < out[j].Zone
	})
	return out
}

// Matching returns the windows that the reference names: "ELECTION/ROUND/NAME",
// "ELECTION/NAME" (every round), or "guidance:ID". An unknown reference
// yields nothing; the config loader rejects those before this is called.
func (c *Calendar) Matching(ref string) []Window {
	var out []Window
	for _, w := range c.windows {
		if refMatches(ref, &w) {
			out = append(out, w)
		}
	}
	return out
}

func refMatches(ref string, w *Window) bool {
	if g, ok := strings.CutPrefix(ref, "guidance:"); ok {
		return w.Kind == KindGuidance && w.Name == g
	}
	if w.Kind != KindElection {
		return false
	}
	parts := strings.Split(ref, "/")
	switch len(parts) {
	case 2:
		return parts[0] == w.Election && parts[1] == w.Name
	case 3:
		return parts[0] == w.Election && parts[1] == w.Round && parts[2] == w.Name
	}
	return false
}

// HasRef reports whether a window reference names at least one window
// specification, so typos are caught at load.
func HasRef(elections []*Election, guidance []*Guidance, ref string) bool {
	if g, ok := strings.CutPrefix(ref, "guidance:"); ok {
		for _, x := range guidance {
			if x.ID == g {
				return true
			}
		}
		return false
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, e := range elections {
		if e.ID != parts[0] {
			continue
		}
		for _, r := range e.Rounds {
			if len(parts) == 3 && r.ID != parts[1] {
				continue
			}
			for _, s := range r.Windows {
				if s.Name == parts[len(parts)-1] {
					return true
				}
			}
		}
	}
	return false
}

// Elapsed says how far t lies into w, in words: "2 h 14 min into" or
// "35 min before".
func Elapsed(w *Window, t time.Time) string {
	d := t.Sub(w.Start)
	word := "into"
	if d < 0 {
		d, word = -d, "before"
	}
	d = d.Truncate(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 24:
		return fmt.Sprintf("%d d %d h %d min %s", h/24, h%24, m, word)
	case h > 0:
		return fmt.Sprintf("%d h %d min %s", h, m, word)
	default:
		return fmt.Sprintf("%d min %s", m, word)
	}
}
