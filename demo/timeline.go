// Package demo owns the offline replay of a leak weekend: the bundled
// scenario (fictional outlets, their articles as they appear, change and
// disappear, a fictional leaked mailbox), the loopback web site that
// serves it on a simulated clock, the configuration that watches it, and
// the comparison of what was found with what the scenario expects.
package demo

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed scenario
var scenarioFS embed.FS

// Timeline is the scenario: outlets and their items over the weekend.
type Timeline struct {
	Start   time.Time `yaml:"start"`
	End     time.Time `yaml:"end"`
	Outlets []Outlet  `yaml:"outlets"`
	Items   []Item    `yaml:"items"`
}

// Outlet is a fictional outlet.
type Outlet struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Kind     string   `yaml:"kind"` // feed or site
	Tags     []string `yaml:"tags"`
	Tier     string   `yaml:"tier"` // a config tier: leak-site, fringe, foreign-state, foreign, regional, national, wire
	Zones    []string `yaml:"zones"`
	Language string   `yaml:"language"`
	FullText bool     `yaml:"full_text"`
}

// Item is one article and its life.
type Item struct {
	ID          string    `yaml:"id"`
	Outlet      string    `yaml:"outlet"`
	At          time.Time `yaml:"at"`
	Title       string    `yaml:"title"`
	Summary     string    `yaml:"summary"`
	Body        string    `yaml:"body"`
	Edits       []Edit    `yaml:"edits"`
	DeletedAt   time.Time `yaml:"deleted_at"`
	Quotes      []Quote   `yaml:"quotes"`
	Expect      []string  `yaml:"expect"`
	ExpectZones []string  `yaml:"expect_zones"`
	// ExpectAlerts are the alerts about the article beyond its findings:
	// edited, deleted (in its thread), crossing, velocity (laundering).
	ExpectAlerts []string `yaml:"expect_alerts"`
	Note         string   `yaml:"note"`
}

// Edit is a later version of an item's page.
type Edit struct {
	At      time.Time `yaml:"at"`
	Summary string    `yaml:"summary"`
	Body    string    `yaml:"body"`
}

// Quote records a passage an item copies from the mailbox.
type Quote struct {
	Doc  string `yaml:"doc"`
	Text string `yaml:"text"`
}

// LoadTimeline reads the bundled scenario.
func LoadTimeline() (*Timeline, error) {
	data, err := scenarioFS.ReadFile("scenario/timeline.yaml")
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var tl Timeline
	if err := dec.Decode(&tl); err != nil {
		return nil, fmt.Errorf("demo: scenario/timeline.yaml: %w", err)
	}
	outlets := map[string]bool{}
	for _, o := range tl.Outlets {
		outlets[o.ID] = true
	}
	ids := map[string]bool{}
	for _, it := range tl.Items {
		if !outlets[it.Outlet] {
			return nil, fmt.Errorf("demo: item %q: unknown outlet %q", it.ID, it.Outlet)
		}
		if ids[it.ID] {
			return nil, fmt.Errorf("demo: duplicate item %q", it.ID)
		}
		ids[it.ID] = true
		sort.Slice(it.Edits, func(i, j int) bool { return it.Edits[i].At.Before(it.Edits[j].At) })
	}
	sort.SliceStable(tl.Items, func(i, j int) bool { return tl.Items[i].At.Before(tl.Items[j].At) })
	return &tl, nil
}

// Mailbox is the fictional leaked mailbox.
func Mailbox() (fs.FS, error) { return fs.Sub(scenarioFS, "scenario/mailbox") }

// version is what an item looks like at an instant.
type version struct {
	Summary, Body string
	Number        int
	Since         time.Time
}

// at returns the item's state at t: not yet published, live (with its
// current version), or deleted.
func (it *Item) at(t time.Time) (v version, live, gone bool) {
	if t.Before(it.At) {
		return version{}, false, false
	}
	if !it.DeletedAt.IsZero() && !t.Before(it.DeletedAt) {
		return version{}, false, true
	}
	v = version{Summary: it.Summary, Body: it.Body, Number: 1, Since: it.At}
	for _, e := range it.Edits {
		if t.Before(e.At) {
			break
		}
		v.Number++
		v.Since = e.At
		v.Body = e.Body
		if e.Summary != "" {
			v.Summary = e.Summary
		}
	}
	return v, true, false
}
