// Package preset holds the election-silence law of several countries as
// data: polling zones with their time zones and hours, and the silence,
// poll-ban and results windows written in the config's own window syntax,
// each with the law it comes from. A preset plus an election date makes the
// calendar of that election, without a config file; `silencewatch init`
// writes a config from one.
//
// The presets are embedded YAML files (data/CODE.yaml), checked when first
// read: unknown keys, time zones, hours, boundaries and zone references are
// errors, as in a config file.
package preset

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/silencewatch/silencewatch/calendar"
)

//go:embed data/*.yaml
var files embed.FS

// Ban names what a window forbids, so that a generated config can point
// each example rule at the windows it belongs to.
type Ban string

// Bans.
const (
	BanCampaign Ban = "campaign" // campaigning, propaganda, advertising
	BanPolls    Ban = "polls"    // publishing opinion polls
	BanResults  Ban = "results"  // results, estimates, exit polls, projections
)

// Preset is one country's silence law.
type Preset struct {
	Code     string   `yaml:"code"`     // lower-case, e.g. "fr"; the name -preset takes
	Country  string   `yaml:"country"`  // ISO 3166-1 alpha-2, e.g. "FR"
	Name     string   `yaml:"name"`     // the country in English
	Language string   `yaml:"language"` // the main language of its media, ISO 639-1
	Notes    string   `yaml:"notes"`    // approximations made and what to check
	Zones    []Zone   `yaml:"zones"`
	Windows  []Window `yaml:"windows"`
	Terms    Terms    `yaml:"terms"`
}

// Zone is a polling zone: one time zone and one set of polling hours.
type Zone struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	TZ     string `yaml:"tz"`
	Opens  string `yaml:"opens"`  // HH:MM local
	Closes string `yaml:"closes"` // HH:MM local
	// DayOffset is added to the election date to give the zone's voting
	// date: -1 for the French zones of the Americas and Polynesia, which
	// vote on the Saturday before metropolitan France's Sunday.
	DayOffset int `yaml:"day_offset"`
}

// Window is a window of the law, in the config's syntax.
type Window struct {
	Name      string   `yaml:"name"`
	Summary   string   `yaml:"summary"`   // what is forbidden
	Reference string   `yaml:"reference"` // the law and article
	Start     string   `yaml:"start"`     // a config window boundary
	End       string   `yaml:"end"`
	Zones     []string `yaml:"zones"` // restrict to these zones; empty: all
	Bans      []Ban    `yaml:"bans"`
}

// Description is the window's description in a config: what is forbidden,
// and the law in brackets.
func (w Window) Description() string { return w.Summary + " (" + w.Reference + ")" }

// Has reports whether the window forbids b.
func (w Window) Has(b Ban) bool { return slices.Contains(w.Bans, b) }

// Terms are starting points for the example rules' word lists, in the
// country's languages. Matching ignores case and accents, but not
// inflection: add the forms your media use.
type Terms struct {
	Polls   []string `yaml:"polls"`
	Results []string `yaml:"results"`
}

// UnknownError is returned by Lookup for a code no preset has.
type UnknownError struct {
	Code  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("preset: unknown preset %q (known: %s)", e.Code, strings.Join(e.Known, ", "))
}

var load = sync.OnceValues(func() ([]*Preset, error) {
	entries, err := files.ReadDir("data")
	if err != nil {
		return nil, fmt.Errorf("preset: %w", err)
	}
	var out []*Preset
	var errs []error
	for _, e := range entries {
		data, err := files.ReadFile(path.Join("data", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("preset: %w", err)
		}
		p, err := Parse(e.Name(), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if want := strings.TrimSuffix(e.Name(), ".yaml"); p.Code != want {
			errs = append(errs, fmt.Errorf("preset: %s: code %q, want %q (the file name)", e.Name(), p.Code, want))
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(out, func(a, b *Preset) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
})

// All returns every embedded preset, ordered by code.
func All() ([]*Preset, error) { return load() }

// Codes returns the code of every embedded preset, in order.
func Codes() ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(all))
	for i, p := range all {
		codes[i] = p.Code
	}
	return codes, nil
}

// Lookup returns the preset with the given code (case-insensitive), or an
// *UnknownError naming the known ones.
func Lookup(code string) (*Preset, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	for _, p := range all {
		if strings.EqualFold(p.Code, code) {
			return p, nil
		}
	}
	codes, _ := Codes()
	return nil, &UnknownError{Code: code, Known: codes}
}

// Parse reads and checks one preset file; name is used in errors.
func Parse(name string, data []byte) (*Preset, error) {
	var p Preset
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("preset: %s: %w", name, err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("preset: %s: %w", name, err)
	}
	return &p, nil
}

func (p *Preset) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Code == "" || p.Code != strings.ToLower(p.Code) {
		bad("code %q: want a lower-case code", p.Code)
	}
	if len(p.Country) != 2 || p.Country != strings.ToUpper(p.Country) {
		bad("country %q: want an upper-case ISO 3166-1 code", p.Country)
	}
	if p.Name == "" || p.Language == "" || strings.TrimSpace(p.Notes) == "" {
		bad("name, language and notes are required")
	}
	if len(p.Zones) == 0 {
		bad("no zones")
	}
	zones := map[string]bool{}
	for _, z := range p.Zones {
		if z.ID == "" || z.Name == "" || zones[z.ID] {
			bad("zone %q: want a unique id and a name", z.ID)
		}
		zones[z.ID] = true
		if _, err := time.LoadLocation(z.TZ); err != nil || z.TZ == "" || z.TZ == "Local" {
			bad("zone %q: unknown time zone %q", z.ID, z.TZ)
		}
		o, err1 := calendar.ParseClock(z.Opens)
		c, err2 := calendar.ParseClock(z.Closes)
		if err1 != nil || err2 != nil || c <= o {
			bad("zone %q: hours %q to %q: want HH:MM, closing after opening", z.ID, z.Opens, z.Closes)
		}
		if z.DayOffset < -1 || z.DayOffset > 0 {
			bad("zone %q: day_offset %d: want 0 or -1", z.ID, z.DayOffset)
		}
	}
	if len(p.Windows) == 0 {
		bad("no windows")
	}
	names := map[string]bool{}
	for _, w := range p.Windows {
		if w.Name == "" || names[w.Name] {
			bad("window %q: want a unique name", w.Name)
		}
		names[w.Name] = true
		if w.Summary == "" || w.Reference == "" {
			bad("window %q: summary and reference (the law) are required", w.Name)
		}
		for _, s := range []string{w.Start, w.End} {
			b, err := calendar.ParseBoundary(s)
			if err != nil {
				bad("window %q: %v", w.Name, err)
			} else if b.Anchor == calendar.AnchorZoneClose && !zones[b.Zone] {
				bad("window %q: %q names an unknown zone", w.Name, s)
			} else if b.Anchor == calendar.AnchorInstant {
				bad("window %q: %q: a preset holds no fixed instant", w.Name, s)
			}
		}
		for _, z := range w.Zones {
			if !zones[z] {
				bad("window %q: unknown zone %q", w.Name, z)
			}
		}
		if len(w.Bans) == 0 {
			bad("window %q: bans is required", w.Name)
		}
		for _, b := range w.Bans {
			if b != BanCampaign && b != BanPolls && b != BanResults {
				bad("window %q: unknown ban %q (expected campaign, polls or results)", w.Name, b)
			}
		}
	}
	if len(p.Terms.Polls) == 0 || len(p.Terms.Results) == 0 {
		bad("terms.polls and terms.results are required")
	}
	return errors.Join(errs...)
}

// ZoneDate is the date zone z votes on for an election on date.
func ZoneDate(date calendar.Date, z Zone) calendar.Date {
	t := time.Date(date.Year, date.Month, date.Day+z.DayOffset, 12, 0, 0, 0, time.UTC)
	return calendar.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// ElectionID is the id a preset's election gets: the code and the year of
// its first date, e.g. "fr-2027".
func (p *Preset) ElectionID(first calendar.Date) string {
	return fmt.Sprintf("%s-%04d", p.Code, first.Year)
}

// RoundID and RoundName name round i (0-based) of n: a single vote is
// "vote"; several are "round-1", "round-2"…
func RoundID(i, n int) string {
	if n == 1 {
		return "vote"
	}
	return fmt.Sprintf("round-%d", i+1)
}

// RoundName is the display name of round i (0-based) of n.
func RoundName(i, n int) string {
	if n == 1 {
		return "Voting day"
	}
	return fmt.Sprintf("Round %d", i+1)
}

// Election builds the election of the preset for the given dates (one per
// round, in order; the date of the main zone, before any day offset).
func (p *Preset) Election(dates ...calendar.Date) (*calendar.Election, error) {
	if len(dates) == 0 {
		return nil, errors.New("preset: an election needs a date")
	}
	for i := 1; i < len(dates); i++ {
		if !dateBefore(dates[i-1], dates[i]) {
			return nil, fmt.Errorf("preset: round %d on %s is not after round %d on %s", i+1, dates[i], i, dates[i-1])
		}
	}
	e := &calendar.Election{ID: p.ElectionID(dates[0]), Name: fmt.Sprintf("%s %d", p.Name, dates[0].Year), Country: p.Country}
	for i, d := range dates {
		r, err := p.Round(RoundID(i, len(dates)), RoundName(i, len(dates)), d)
		if err != nil {
			return nil, err
		}
		e.Rounds = append(e.Rounds, r)
	}
	if _, err := calendar.New([]*calendar.Election{e}, nil); err != nil {
		return nil, fmt.Errorf("preset %s: %w", p.Code, err)
	}
	return e, nil
}

func dateBefore(a, b calendar.Date) bool {
	return time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC).Before(time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC))
}

// Round builds one round of the preset on date.
func (p *Preset) Round(id, name string, date calendar.Date) (*calendar.Round, error) {
	r := &calendar.Round{ID: id, Name: name}
	for _, z := range p.Zones {
		loc, err := time.LoadLocation(z.TZ)
		if err != nil {
			return nil, fmt.Errorf("preset %s: zone %s: %w", p.Code, z.ID, err)
		}
		o, err := calendar.ParseClock(z.Opens)
		if err != nil {
			return nil, fmt.Errorf("preset %s: zone %s: %w", p.Code, z.ID, err)
		}
		c, err := calendar.ParseClock(z.Closes)
		if err != nil {
			return nil, fmt.Errorf("preset %s: zone %s: %w", p.Code, z.ID, err)
		}
		r.Zones = append(r.Zones, &calendar.Zone{ID: z.ID, Name: z.Name, Location: loc, Date: ZoneDate(date, z), Opens: o, Closes: c})
	}
	for _, w := range p.Windows {
		start, err := calendar.ParseBoundary(w.Start)
		if err != nil {
			return nil, fmt.Errorf("preset %s: window %s: %w", p.Code, w.Name, err)
		}
		end, err := calendar.ParseBoundary(w.End)
		if err != nil {
			return nil, fmt.Errorf("preset %s: window %s: %w", p.Code, w.Name, err)
		}
		r.Windows = append(r.Windows, calendar.WindowSpec{Name: w.Name, Description: w.Description(), Start: start, End: end, Zones: w.Zones})
	}
	return r, nil
}

// WindowsBanning returns the names of the windows that forbid b.
func (p *Preset) WindowsBanning(b Ban) []string {
	var out []string
	for _, w := range p.Windows {
		if w.Has(b) {
			out = append(out, w.Name)
		}
	}
	return out
}
