package calendar

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustBoundary(t *testing.T, s string) Boundary {
	t.Helper()
	b, err := ParseBoundary(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zone(t *testing.T, id, tz, date, opens, closes string) *Zone {
	t.Helper()
	d, err := ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseClock(opens)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseClock(closes)
	if err != nil {
		t.Fatal(err)
	}
	return &Zone{ID: id, Name: id, Location: mustLoc(t, tz), Date: d, Opens: o, Closes: c}
}

// french2017 is the real second round: metropolitan France on Sunday, the
// Antilles, Guyane, Saint-Pierre-et-Miquelon and Polynesia on Saturday, and
// Sunday-voting zones east of Paris.
func french2017(t *testing.T) *Calendar {
	t.Helper()
	r := &Round{ID: "round-2", Zones: []*Zone{
		zone(t, "metropole", "Europe/Paris", "2017-05-07", "08:00", "20:00"),
		zone(t, "antilles", "America/Martinique", "2017-05-06", "08:00", "18:00"),
		zone(t, "guyane", "America/Cayenne", "2017-05-06", "08:00", "18:00"),
		zone(t, "spm", "America/Miquelon", "2017-05-06", "08:00", "18:00"),
		zone(t, "polynesie", "Pacific/Tahiti", "2017-05-06", "08:00", "18:00"),
		zone(t, "reunion", "Indian/Reunion", "2017-05-07", "08:00", "18:00"),
		zone(t, "nouvelle-caledonie", "Pacific/Noumea", "2017-05-07", "08:00", "17:00"),
	}, Windows: []WindowSpec{
		{Name: "silence", Start: mustBoundary(t, "eve-midnight"), End: mustBoundary(t, "polls-close")},
		{Name: "results-embargo", Start: mustBoundary(t, "polls-open"), End: mustBoundary(t, "close:metropole")},
	}}
	g := &Guidance{ID: "cnccep", Authority: "CNCCEP",
		IssuedAt: time.Date(2017, 5, 6, 0, 0, 0, 0, mustLoc(t, "Europe/Paris")),
		Until:    time.Date(2017, 5, 7, 20, 0, 0, 0, mustLoc(t, "Europe/Paris"))}
	cal, err := New([]*Election{{ID: "fr", Rounds: []*Round{r}}}, []*Guidance{g})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func window(t *testing.T, cal *Calendar, ref, zone string) Window {
	t.Helper()
	for _, w := range cal.Matching(ref) {
		if w.Zone == zone {
			return w
		}
	}
	t.Fatalf("no window %s for zone %s", ref, zone)
	return Window{}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestFrench2017Windows(t *testing.T) {
	cal := french2017(t)
	tests := []struct {
		ref, zone  string
		start, end string // UTC
	}{
		// Sat 00:00 CEST (UTC+2) to Sun 20:00 CEST.
		{"fr/round-2/silence", "metropole", "2017-05-05T22:00:00Z", "2017-05-07T18:00:00Z"},
		// Fri 00:00 AST (UTC-4): the leak at Fri 18:35 UTC is already inside.
		{"fr/round-2/silence", "antilles", "2017-05-05T04:00:00Z", "2017-05-06T22:00:00Z"},
		{"fr/round-2/silence", "guyane", "2017-05-05T03:00:00Z", "2017-05-06T21:00:00Z"},
		// Saint-Pierre-et-Miquelon is on daylight time in May: UTC-2.
		{"fr/round-2/silence", "spm", "2017-05-05T02:00:00Z", "2017-05-06T20:00:00Z"},
		{"fr/round-2/silence", "polynesie", "2017-05-05T10:00:00Z", "2017-05-07T04:00:00Z"},
		// East of UTC: Réunion (UTC+4) and Nouméa (UTC+11) start before Paris.
		{"fr/round-2/silence", "reunion", "2017-05-05T20:00:00Z", "2017-05-07T14:00:00Z"},
		{"fr/round-2/silence", "nouvelle-caledonie", "2017-05-05T13:00:00Z", "2017-05-07T06:00:00Z"},
		// The results embargo ends at one instant for everyone.
		{"fr/round-2/results-embargo", "antilles", "2017-05-06T12:00:00Z", "2017-05-07T18:00:00Z"},
		{"fr/round-2/results-embargo", "nouvelle-caledonie", "2017-05-06T21:00:00Z", "2017-05-07T18:00:00Z"},
		{"fr/round-2/results-embargo", "metropole", "2017-05-07T06:00:00Z", "2017-05-07T18:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.ref+"@"+tt.zone, func(t *testing.T) {
			w := window(t, cal, tt.ref, tt.zone)
			if !w.Start.Equal(utc(tt.start)) || !w.End.Equal(utc(tt.end)) {
				t.Errorf("got [%s, %s), want [%s, %s)", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339), tt.start, tt.end)
			}
		})
	}
}

func TestWindowEdgesToTheSecond(t *testing.T) {
	cal := french2017(t)
	metro := window(t, cal, "fr/round-2/silence", "metropole")
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"one second before midnight Paris", "2017-05-05T23:59:59+02:00", false},
		{"midnight Paris is inside", "2017-05-06T00:00:00+02:00", true},
		{"one second after midnight", "2017-05-06T00:00:01+02:00", true},
		{"one second before polls close", "2017-05-07T19:59:59+02:00", true},
		{"the closing second is outside", "2017-05-07T20:00:00+02:00", false},
		{"same instant written in UTC", "2017-05-05T22:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metro.Contains(utc(tt.at)); got != tt.want {
				t.Errorf("Contains(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestLeakNightByZone(t *testing.T) {
	cal := french2017(t)
	// Friday 23:00 Paris: inside the silence of the zones that vote on
	// Saturday and of those east of Paris (Réunion's Saturday began at
	// 22:00 Paris), not of metropolitan France.
	at := utc("2017-05-05T23:00:00+02:00")
	var in []string
	for _, w := range cal.Matching("fr/round-2/silence") {
		if w.Contains(at) {
			in = append(in, w.Zone)
		}
	}
	want := []string{"antilles", "guyane", "spm", "polynesie", "reunion", "nouvelle-caledonie"}
	if len(in) != len(want) {
		t.Fatalf("zones in silence at Fri 23:00 Paris = %v, want %v", in, want)
	}
	for i := range want {
		if in[i] != want[i] {
			t.Fatalf("zones in silence at Fri 23:00 Paris = %v, want %v", in, want)
		}
	}
}

func TestDSTChanges(t *testing.T) {
	tests := []struct {
		name, tz, date string
		wantStart      string // eve-midnight in UTC
		wantClose      string // 20:00 local in UTC
	}{
		// Paris springs forward on Sun 26 March 2017 at 02:00: the eve is
		// still on winter time (UTC+1), the close on summer time (UTC+2).
		{"spring forward in Paris", "Europe/Paris", "2017-03-26", "2017-03-24T23:00:00Z", "2017-03-26T18:00:00Z"},
		// Falls back on Sun 29 October 2017.
		{"fall back in Paris", "Europe/Paris", "2017-10-29", "2017-10-27T22:00:00Z", "2017-10-29T19:00:00Z"},
		// Santiago de Chile falls back at midnight (14 May 2017, 00:00 →
		// 23:00 of the 13th): the eve is on UTC-3, the close on UTC-4.
		{"fall back at midnight", "America/Santiago", "2017-05-14", "2017-05-13T03:00:00Z", "2017-05-15T00:00:00Z"},
		// Santiago springs forward at midnight (13 August 2017): 00:00 does
		// not exist that day, so the window starts at its first instant,
		// 01:00 -03 = 04:00 UTC.
		{"midnight that does not exist", "America/Santiago", "2017-08-14", "2017-08-13T04:00:00Z", "2017-08-14T23:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := zone(t, "z", tt.tz, tt.date, "08:00", "20:00")
			if got := z.EveMidnight().UTC(); !got.Equal(utc(tt.wantStart)) {
				t.Errorf("eve midnight = %s, want %s", got.Format(time.RFC3339), tt.wantStart)
			}
			if got := z.PollsClose().UTC(); !got.Equal(utc(tt.wantClose)) {
				t.Errorf("polls close = %s, want %s", got.Format(time.RFC3339), tt.wantClose)
			}
		})
	}
}

func TestDurationBoundaries(t *testing.T) {
	// The Slovak rule: 48 hours before polls open, until they close.
	z := zone(t, "sk", "Europe/Bratislava", "2023-09-30", "07:00", "22:00")
	r := &Round{ID: "r1", Zones: []*Zone{z}, Windows: []WindowSpec{
		{Name: "moratorium", Start: mustBoundary(t, "48h before polls-open"), End: mustBoundary(t, "polls-close")},
		{Name: "argentina-style", Start: mustBoundary(t, "48h before polls-open"), End: mustBoundary(t, "3h after polls-close")},
	}}
	cal, err := New([]*Election{{ID: "sk", Rounds: []*Round{r}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := window(t, cal, "sk/r1/moratorium", "sk")
	if want := utc("2023-09-28T07:00:00+02:00"); !m.Start.Equal(want) {
		t.Errorf("start %s, want %s", m.Start, want)
	}
	a := window(t, cal, "sk/moratorium", "sk") // ELECTION/NAME names every round
	if !a.End.Equal(utc("2023-09-30T22:00:00+02:00")) {
		t.Errorf("end %s", a.End)
	}
	arg := window(t, cal, "sk/r1/argentina-style", "sk")
	if want := utc("2023-10-01T01:00:00+02:00"); !arg.End.Equal(want) {
		t.Errorf("end %s, want %s", arg.End, want)
	}
}

func TestParseBoundary(t *testing.T) {
	tests := []struct {
		in      string
		anchor  Anchor
		offset  time.Duration
		wantErr bool
	}{
		{"eve-midnight", AnchorEveMidnight, 0, false},
		{"polls-open", AnchorPollsOpen, 0, false},
		{"48h before polls-open", AnchorPollsOpen, -48 * time.Hour, false},
		{"3h after polls-close", AnchorPollsClose, 3 * time.Hour, false},
		{"last-close", AnchorLastClose, 0, false},
		{"close:metropole", AnchorZoneClose, 0, false},
		{"2017-05-07T20:00:00+02:00", AnchorInstant, 0, false},
		{"close:", 0, 0, true},
		{"48 hours before polls-open", AnchorPollsOpen, -48 * time.Hour, false},
		{"8 days before polls-open", AnchorPollsOpen, 0, false},
		{"1 day and 12 hours after polls-close", AnchorPollsClose, 36 * time.Hour, false},
		{"8 dayz before polls-open", 0, 0, true},
		{"before polls-open", 0, 0, true},
		{"noon", 0, 0, true},
		{"-3h before polls-open", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			b, err := ParseBoundary(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (b.Anchor != tt.anchor || b.Offset != tt.offset) {
				t.Errorf("got anchor %d offset %s", b.Anchor, b.Offset)
			}
		})
	}
}

func TestWindowEndingBeforeStartIsAnError(t *testing.T) {
	z := zone(t, "z", "Europe/Paris", "2017-05-07", "08:00", "20:00")
	r := &Round{ID: "r", Zones: []*Zone{z}, Windows: []WindowSpec{
		{Name: "bad", Start: mustBoundary(t, "polls-close"), End: mustBoundary(t, "polls-open")},
	}}
	if _, err := New([]*Election{{ID: "e", Rounds: []*Round{r}}}, nil); err == nil {
		t.Fatal("want an error for a window that ends before it starts")
	}
}

func TestGuidanceWindow(t *testing.T) {
	cal := french2017(t)
	ws := cal.Matching("guidance:cnccep")
	if len(ws) != 1 {
		t.Fatalf("got %d guidance windows", len(ws))
	}
	g := ws[0]
	if g.Contains(utc("2017-05-05T23:59:59+02:00")) || !g.Contains(utc("2017-05-06T00:00:00+02:00")) || g.Contains(utc("2017-05-07T20:00:00+02:00")) {
		t.Error("guidance window edges wrong")
	}
	open := Window{Start: utc("2017-05-06T00:00:00Z")}
	if !open.Contains(utc("2030-01-01T00:00:00Z")) {
		t.Error("an open-ended window contains every later instant")
	}
}

func TestElapsed(t *testing.T) {
	w := Window{Start: utc("2017-05-05T22:00:00Z")}
	tests := map[string]string{
		"2017-05-06T00:14:00Z": "2 h 14 min into",
		"2017-05-05T21:25:00Z": "35 min before",
		"2017-05-07T01:00:00Z": "1 d 3 h 0 min into",
	}
	for at, want := range tests {
		if got := Elapsed(&w, utc(at)); got != want {
			t.Errorf("Elapsed(%s) = %q, want %q", at, got, want)
		}
	}
}

func TestHasRef(t *testing.T) {
	cal := french2017(t)
	for ref, want := range map[string]bool{
		"fr/round-2/silence": true, "fr/silence": true, "guidance:cnccep": true,
		"fr/round-3/silence": false, "fr/quiet": false, "guidance:nope": false, "silence": false,
	} {
		if got := HasRef(cal.Elections, cal.Guidance, ref); got != want {
			t.Errorf("HasRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestWallClockInAGap(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	// 02:30 on 26 March 2017 does not exist in Paris: 03:00 CEST, 01:00 UTC.
	if got := wallClock(2017, 3, 26, 2, 30, paris); !got.Equal(utc("2017-03-26T01:00:00Z")) {
		t.Errorf("got %s", got.UTC())
	}
	// 02:30 on 29 October 2017 happens twice: either is acceptable, but it
	// must be one of them.
	got := wallClock(2017, 10, 29, 2, 30, paris)
	if !got.Equal(utc("2017-10-29T00:30:00Z")) && !got.Equal(utc("2017-10-29T01:30:00Z")) {
		t.Errorf("got %s", got.UTC())
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"48h": 48 * time.Hour, "1h30m": 90 * time.Minute, "90m": 90 * time.Minute, "2 days": 48 * time.Hour,
		"1 day 12 hours": 36 * time.Hour, "1 day and 6 hours": 30 * time.Hour, "90 minutes": 90 * time.Minute,
		"2days": 48 * time.Hour, "1.5 hours": 90 * time.Minute, "30 s": 30 * time.Second, "1 week": 7 * 24 * time.Hour,
		"20 seconds": 20 * time.Second,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "2 dayz", "-1h", "h", "and", "3", "1 day 3"} {
		if _, err := ParseDuration(bad); err == nil || !strings.Contains(err.Error(), "2 days") {
			t.Errorf("ParseDuration(%q): %v, want an error naming the accepted forms", bad, err)
		}
	}
}

// TestDayOffsetsKeepLocalTime: "N days before" counts calendar days in the
// zone, so a daylight-saving change in between keeps the local hour; "96h
// before" is a fixed span and lands an hour off.
func TestDayOffsetsKeepLocalTime(t *testing.T) {
	// Spain, 2027-03-28: clocks go forward at 02:00. A vote on Sunday 4 April.
	z := zone(t, "es", "Europe/Madrid", "2027-04-04", "09:00", "20:00")
	for _, tc := range []struct {
		start string
		want  string
	}{
		{"4 days before eve-midnight", "2027-03-30T00:00:00+02:00"},
		{"7 days before eve-midnight", "2027-03-27T00:00:00+01:00"},
		{"168h before eve-midnight", "2027-03-26T23:00:00+01:00"},
	} {
		r := &Round{ID: "r", Zones: []*Zone{z}, Windows: []WindowSpec{{Name: "w", Start: mustBoundary(t, tc.start), End: mustBoundary(t, "polls-close")}}}
		c, err := New([]*Election{{ID: "e", Rounds: []*Round{r}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Windows()[0].Start.In(z.Location).Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s: starts %s, want %s", tc.start, got, tc.want)
		}
	}
	if b := mustBoundary(t, "8 days before polls-open"); b.Days != -8 || b.Offset != 0 {
		t.Errorf("8 days before: %+v", b)
	}
}
