package preset_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	silencewatch "github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/preset"
)

func date(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func windows(t *testing.T, code string, dates ...string) map[string]calendar.Window {
	t.Helper()
	p, err := preset.Lookup(code)
	if err != nil {
		t.Fatal(err)
	}
	var ds []calendar.Date
	for _, s := range dates {
		ds = append(ds, date(t, s))
	}
	e, err := p.Election(ds...)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New([]*calendar.Election{e}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]calendar.Window{}
	for _, w := range cal.Windows() {
		out[w.Round+"/"+w.Name+"/"+w.Zone] = w
	}
	return out
}

func TestAllPresetsLoad(t *testing.T) {
	all, err := preset.All()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ar", "bg", "ca", "es", "fr", "it", "mx", "pl", "ru", "sk"}
	codes, _ := preset.Codes()
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("codes %v, want %v", codes, want)
	}
	for _, p := range all {
		for _, w := range p.Windows {
			if !strings.Contains(w.Description(), w.Reference) {
				t.Errorf("%s/%s: description %q lacks the reference", p.Code, w.Name, w.Description())
			}
		}
		if len(p.WindowsBanning(preset.BanCampaign)) == 0 || len(p.WindowsBanning(preset.BanPolls)) == 0 {
			t.Errorf("%s: no campaign or no polls window", p.Code)
		}
	}
}

// Each row is a window's start and end, in local time, as the law's text
// gives them for a real election date.
func TestPresetWindowsFollowTheLaw(t *testing.T) {
	tests := []struct {
		law        string
		code, date string
		key        string // round/window/zone
		start, end string // RFC 3339
	}{
		{"ES: from 00:00 the day before until 20:00 on voting day", "es", "2023-07-23", "vote/silence/peninsula", "2023-07-22T00:00:00+02:00", "2023-07-23T20:00:00+02:00"},
		{"ES: the Canaries on their own clock", "es", "2023-07-23", "vote/silence/canarias", "2023-07-22T00:00:00+01:00", "2023-07-23T20:00:00+01:00"},
		{"ES: no polls in the five days before voting day (and until the close)", "es", "2023-07-23", "vote/poll-ban/peninsula", "2023-07-18T00:00:00+02:00", "2023-07-23T20:00:00+02:00"},
		{"IT: the day before and voting day", "it", "2022-09-25", "vote/silence/italia", "2022-09-24T00:00:00+02:00", "2022-09-25T23:00:00+02:00"},
		{"IT: no polls in the fifteen days before", "it", "2022-09-25", "vote/poll-ban/italia", "2022-09-10T00:00:00+02:00", "2022-09-25T23:00:00+02:00"},
		{"PL: Friday 24:00 until 21:00 Sunday", "pl", "2023-10-15", "vote/silence/polska", "2023-10-14T00:00:00+02:00", "2023-10-15T21:00:00+02:00"},
		{"PL: polls and exit polls, same window", "pl", "2023-10-15", "vote/poll-ban/polska", "2023-10-14T00:00:00+02:00", "2023-10-15T21:00:00+02:00"},
		{"SK: 48 h before election day starts, until polls close", "sk", "2023-09-30", "vote/silence/slovensko", "2023-09-28T00:00:00+02:00", "2023-09-30T22:00:00+02:00"},
		{"SK: no poll results in the 14 days before election day", "sk", "2023-09-30", "vote/poll-ban/slovensko", "2023-09-16T00:00:00+02:00", "2023-09-30T22:00:00+02:00"},
		{"BG: 00:00 the day before until voting ends, across the autumn clock change", "bg", "2024-10-27", "vote/silence/bulgaria", "2024-10-26T00:00:00+03:00", "2024-10-27T20:00:00+02:00"},
		{"AR: 48 h before the polls open until they close", "ar", "2023-10-22", "vote/silence/argentina", "2023-10-20T08:00:00-03:00", "2023-10-22T18:00:00-03:00"},
		{"AR: polls and projections until 3 h after the close", "ar", "2023-10-22", "vote/poll-ban/argentina", "2023-10-20T08:00:00-03:00", "2023-10-22T21:00:00-03:00"},
		{"MX: voting day and the three days before", "mx", "2024-06-02", "vote/silence/centro", "2024-05-30T00:00:00-06:00", "2024-06-02T18:00:00-06:00"},
		{"MX: Quintana Roo on its own clock", "mx", "2024-06-02", "vote/silence/sureste", "2024-05-30T00:00:00-05:00", "2024-06-02T18:00:00-05:00"},
		{"MX: polls until the westernmost casillas close (Baja California, PDT)", "mx", "2024-06-02", "vote/poll-ban/sureste", "2024-05-30T00:00:00-05:00", "2024-06-02T18:00:00-07:00"},
		{"CA: polling day until the district's polls close, Eastern", "ca", "2025-04-28", "vote/ad-blackout/eastern", "2025-04-28T00:00:00-04:00", "2025-04-28T21:30:00-04:00"},
		{"CA: Newfoundland", "ca", "2025-04-28", "vote/survey-blackout/newfoundland", "2025-04-28T00:00:00-02:30", "2025-04-28T20:30:00-02:30"},
		{"CA: Saskatchewan closes with the Eastern zone", "ca", "2025-04-28", "vote/ad-blackout/saskatchewan", "2025-04-28T00:00:00-06:00", "2025-04-28T21:30:00-04:00"},
		{"CA: Pacific", "ca", "2025-04-28", "vote/ad-blackout/pacific", "2025-04-28T00:00:00-07:00", "2025-04-28T19:00:00-07:00"},
		{"RU: 00:00 local the day before until the region's polls close, Moscow", "ru", "2018-03-18", "vote/silence/moscow", "2018-03-17T00:00:00+03:00", "2018-03-18T20:00:00+03:00"},
		{"RU: Kamchatka", "ru", "2018-03-18", "vote/silence/kamchatka", "2018-03-17T00:00:00+12:00", "2018-03-18T20:00:00+12:00"},
		{"RU: polls five days before, until Kaliningrad closes", "ru", "2018-03-18", "vote/poll-ban/kamchatka", "2018-03-13T00:00:00+12:00", "2018-03-18T20:00:00+02:00"},
		{"FR: L49 in metropolitan France", "fr", "2017-05-07", "vote/silence/metropole", "2017-05-06T00:00:00+02:00", "2017-05-07T20:00:00+02:00"},
		{"FR: the Antilles vote on Saturday", "fr", "2017-05-07", "vote/silence/antilles", "2017-05-05T00:00:00-04:00", "2017-05-06T18:00:00-04:00"},
		{"FR: L52-2 ends for everyone at the metropolitan close", "fr", "2017-05-07", "vote/results-embargo/polynesie", "2017-05-06T08:00:00-10:00", "2017-05-07T20:00:00+02:00"},
		{"FR: second round of 2027, Guyane votes on Saturday", "fr", "2027-04-25,2027-05-09", "round-2/silence/guyane", "2027-05-07T00:00:00-03:00", "2027-05-08T18:00:00-03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.law, func(t *testing.T) {
			ws := windows(t, tt.code, strings.Split(tt.date, ",")...)
			w, ok := ws[tt.key]
			if !ok {
				t.Fatalf("no window %s", tt.key)
			}
			start, _ := time.Parse(time.RFC3339, tt.start)
			end, _ := time.Parse(time.RFC3339, tt.end)
			if !w.Start.Equal(start) || !w.End.Equal(end) {
				t.Errorf("window %s: %s → %s, want %s → %s", tt.key,
					w.Start.In(w.Location).Format(time.RFC3339), w.End.In(w.Location).Format(time.RFC3339), tt.start, tt.end)
			}
		})
	}
}

// The French preset for 7 May 2017 gives the example config's round:
// same zones, same window specifications, same instants.
func TestFrancePresetIsTheExampleConfig(t *testing.T) {
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	want := cfg.Elections[0].Rounds[0]
	p, _ := preset.Lookup("fr")
	got, err := p.Round(want.ID, want.Name, date(t, "2017-05-07"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Zones) != len(want.Zones) {
		t.Fatalf("%d zones, want %d", len(got.Zones), len(want.Zones))
	}
	for i, z := range want.Zones {
		g := got.Zones[i]
		if g.ID != z.ID || g.Name != z.Name || g.Location.String() != z.Location.String() || g.Date != z.Date || g.Opens != z.Opens || g.Closes != z.Closes {
			t.Errorf("zone %d: got %+v, want %+v", i, *g, *z)
		}
	}
	if len(got.Windows) != len(want.Windows) {
		t.Fatalf("%d windows, want %d", len(got.Windows), len(want.Windows))
	}
	for i, w := range want.Windows {
		g := got.Windows[i]
		if g.Name != w.Name || g.Start.String() != w.Start.String() || g.End.String() != w.End.String() || len(g.Zones) != len(w.Zones) {
			t.Errorf("window %d: got %s %s→%s, want %s %s→%s", i, g.Name, g.Start, g.End, w.Name, w.Start, w.End)
		}
	}
	calOf := func(r *calendar.Round) []calendar.Window {
		cal, err := calendar.New([]*calendar.Election{{ID: "e", Rounds: []*calendar.Round{r}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cal.Windows()
	}
	gw, ww := calOf(got), calOf(want)
	if len(gw) != len(ww) || len(gw) != 24 {
		t.Fatalf("%d windows computed, want %d (24)", len(gw), len(ww))
	}
	for i := range ww {
		if gw[i].Ref() != ww[i].Ref() || gw[i].Zone != ww[i].Zone || !gw[i].Start.Equal(ww[i].Start) || !gw[i].End.Equal(ww[i].End) {
			t.Errorf("window %d: got %s %s %s→%s, want %s %s %s→%s", i, gw[i].Ref(), gw[i].Zone, gw[i].Start, gw[i].End, ww[i].Ref(), ww[i].Zone, ww[i].Start, ww[i].End)
		}
	}
}

func TestLookup(t *testing.T) {
	if p, err := preset.Lookup("FR"); err != nil || p.Code != "fr" {
		t.Errorf("Lookup(FR) = %v, %v", p, err)
	}
	_, err := preset.Lookup("xx")
	var unknown *preset.UnknownError
	if !errors.As(err, &unknown) || unknown.Code != "xx" || !strings.Contains(err.Error(), "known: ar, bg, ca, es, fr, it, mx, pl, ru, sk") {
		t.Errorf("Lookup(xx) = %v", err)
	}
}

func TestElectionDates(t *testing.T) {
	p, _ := preset.Lookup("fr")
	if _, err := p.Election(); err == nil {
		t.Error("no date: want an error")
	}
	if _, err := p.Election(date(t, "2027-05-09"), date(t, "2027-04-25")); err == nil {
		t.Error("second round before the first: want an error")
	}
	e, err := p.Election(date(t, "2027-04-25"), date(t, "2027-05-09"))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "fr-2027" || len(e.Rounds) != 2 || e.Rounds[1].ID != "round-2" || e.Rounds[1].Zone("antilles").Date.String() != "2027-05-08" {
		t.Errorf("election %s, rounds %d", e.ID, len(e.Rounds))
	}
}

func TestParseRejects(t *testing.T) {
	base := `code: zz
country: ZZ
name: Test
language: en
notes: test
zones: [{id: a, name: A, tz: Europe/Paris, opens: "08:00", closes: "20:00"}]
windows: [{name: silence, summary: s, reference: r, start: eve-midnight, end: polls-close, bans: [campaign]}]
terms: {polls: [poll], results: [exit poll]}
`
	if _, err := preset.Parse("ok.yaml", []byte(base)); err != nil {
		t.Fatalf("base: %v", err)
	}
	tests := []struct{ name, from, to, want string }{
		{"unknown key", "notes: test", "notes: test\nnote: x", "field note not found"},
		{"bad time zone", "Europe/Paris", "Europe/Nowhere", "unknown time zone"},
		{"close before open", `closes: "20:00"`, `closes: "07:00"`, "closing after opening"},
		{"bad boundary", "end: polls-close", "end: whenever", "boundary"},
		{"unknown zone", "end: polls-close", "end: close:b", "unknown zone"},
		{"fixed instant", "end: polls-close", "end: 2027-01-01T00:00:00Z", "fixed instant"},
		{"unknown ban", "bans: [campaign]", "bans: [music]", "unknown ban"},
		{"no reference", "reference: r, ", "", "reference"},
		{"day offset", `closes: "20:00"}`, `closes: "20:00", day_offset: 2}`, "day_offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(base, tt.from, tt.to, 1)
			if src == base {
				t.Fatalf("replacement %q not applied", tt.from)
			}
			_, err := preset.Parse("bad.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
