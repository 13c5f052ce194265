package notify

import (
	"fmt"
	"strings"

	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/terminal"
)

// PlainText renders a finding for a terminal or a plain-text notification:
// what, where, when (in the zone's local time and relative to its window),
// which rule, and the evidence with the match marked. Control characters
// from the outlet's text (terminal escape sequences) are removed.
func PlainText(f *finding.Finding) string {
	return terminal.Clean(plainText(f))
}

func plainText(f *finding.Finding) string {
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
	loc := zoneLocation(f)
	when := []string{}
	if !f.Article.PublishedAt.IsZero() {
		when = append(when, "published "+f.Article.PublishedAt.In(loc).Format("Mon 02 Jan 15:04 MST"))
	}
	if !f.Article.FirstSeenAt.IsZero() {
		when = append(when, "first seen "+f.Article.FirstSeenAt.In(loc).Format("Mon 02 Jan 15:04 MST"))
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
