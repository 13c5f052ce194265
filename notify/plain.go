package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/terminal"
)

// PlainText renders a finding for a terminal or a plain-text notification:
// what, where, when (in the zone's local time and relative to its window),
// which rule, and the evidence with the match marked. Control characters
// from the outlet's text (terminal escape sequences) are removed.
func PlainText(f *finding.Finding) string {
	return terminal.Clean(plainText(f, Beside{}))
}

// Beside is a second zone every time is also shown in, when it reads
// differently there: "Fri 05 May 14:50 AST (20:50 Paris)".
type Beside struct {
	Loc  *time.Location // nil: none
	Name string         // how the zone is named beside the time
}

// PlainTextBeside is PlainText with every time also shown in b's zone.
func PlainTextBeside(f *finding.Finding, b Beside) string {
	return terminal.Clean(plainText(f, b))
}

// format renders t in loc, with the time in b's zone beside it when that
// zone's clock reads differently (and the day, when that differs too).
func (b Beside) format(t time.Time, loc *time.Location) string {
	local := t.In(loc)
	s := local.Format("Mon 02 Jan 15:04 MST")
	if b.Loc == nil {
		return s
	}
	other := t.In(b.Loc)
	_, off := local.Zone()
	if _, otherOff := other.Zone(); otherOff == off {
		return s
	}
	layout := "15:04"
	if other.YearDay() != local.YearDay() {
		layout = "Mon 15:04"
	}
	return s + " (" + other.Format(layout) + " " + b.Name + ")"
}

func plainText(f *finding.Finding, beside Beside) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s: %s\n", strings.ToUpper(f.Severity.String()), f.Rule, f.Title)
	source := f.Article.Source
	if source == "" {
		source = "(no source)"
	}
	fmt.Fprintf(&b, "  %s: %q\n", source, f.Article.Title)
	if f.Article.URL != "" {
		fmt.Fprintf(&b, "  %s\n", f.Article.URL)
	}
	loc := f.Location()
	when := []string{}
	if !f.Article.PublishedAt.IsZero() {
		when = append(when, "published "+beside.format(f.Article.PublishedAt, loc))
	}
	if !f.Article.FirstSeenAt.IsZero() {
		when = append(when, "first seen "+beside.format(f.Article.FirstSeenAt, loc))
	}
	fmt.Fprintf(&b, "  %s (time basis: %s)\n", strings.Join(when, ", "), f.TimeBasis)
	for _, n := range f.TimeNotes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	switch {
	case f.Window == "always":
	case f.Round == "":
		fmt.Fprintf(&b, "  window: %s\n", f.Window)
	default:
		var zones []string
		for _, z := range f.ZoneWindows {
			zones = append(zones, z.Zone+" "+z.Elapsed)
		}
		fmt.Fprintf(&b, "  window: %s/%s/%s: %s\n", f.Election, f.Round, f.Window, strings.Join(zones, "; "))
	}
	for _, e := range f.Evidence {
		fmt.Fprintf(&b, "  evidence (%s): %s**%s**%s\n", e.Field, e.Before, e.Text, e.After)
	}
	if f.Reference != "" {
		fmt.Fprintf(&b, "  reference: %s\n", f.Reference)
	}
	fmt.Fprintf(&b, "  finding %s", f.ID)
	return b.String()
}
