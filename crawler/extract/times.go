package extract

import (
	"fmt"
	"strings"
	"time"

	"github.com/markusmobius/go-htmldate"
	"golang.org/x/net/html"
)

// Where a time came from (Result.PublishedFrom, Result.ModifiedFrom).
const (
	FromPublishedMeta = "article:published_time" // <meta property="article:published_time">
	FromModifiedMeta  = "article:modified_time"  // <meta property="article:modified_time"> or og:updated_time
	FromJSONLD        = "json-ld"                // datePublished / dateModified in JSON-LD
	FromMicrodata     = "microdata"              // itemprop="datePublished" on a <meta> or other element
	FromTimeElement   = "time-element"           // <time datetime>
	FromHTMLDate      = "htmldate"               // go-htmldate's heuristics
	FromFeed          = "feed"                   // the feed item's own date
)

// zonedLayouts are the forms pages use for a time with a zone offset.
var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02T15:04:05.999999999-07", // "+02" as some CMSs write it
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 -0700",
}

// unzonedLayouts are forms without an offset: the instant is unknown to
// within hours.
var unzonedLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
}

// stamp is a parsed time and what we know of it.
type stamp struct {
	t        time.Time // UTC, truncated to the minute
	from     string
	zoned    bool
	dateOnly bool
}

func (s stamp) ok() bool { return !s.t.IsZero() }

// parseStamp reads one time string. A date without a time of day is
// returned as midnight UTC with dateOnly set.
func parseStamp(v, from string) stamp {
	v = strings.TrimSpace(v)
	if v == "" {
		return stamp{}
	}
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return stamp{t: minute(t), from: from, zoned: true}
		}
	}
	// A zone abbreviation is trusted only when it names UTC.
	for _, layout := range []string{time.RFC1123, "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, v); err == nil {
			if name, _ := t.Zone(); name == "UTC" || name == "GMT" {
				return stamp{t: minute(t), from: from, zoned: true}
			}
		}
	}
	for _, layout := range unzonedLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return stamp{t: minute(t), from: from}
		}
	}
	if len(v) >= 10 {
		if t, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return stamp{t: t, from: from, dateOnly: true}
		}
	}
	return stamp{}
}

// minute is t in UTC to the minute.
func minute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// pickTime chooses among page candidates (in priority order), the feed's
// time and, for publication times, go-htmldate; notes explain any choice
// other than a zoned page time.
func pickTime(what string, page []stamp, feed time.Time, htmlDate func() stamp) (stamp, []string) {
	var unzoned stamp
	for _, s := range page {
		if !s.ok() {
			continue
		}
		if s.zoned {
			return s, nil
		}
		if !unzoned.ok() {
			unzoned = s
		}
	}
	var notes []string
	if unzoned.ok() {
		notes = append(notes, fmt.Sprintf("%s time from %s has no zone offset: ambiguous", what, unzoned.from))
	}
	if !feed.IsZero() {
		if unzoned.ok() {
			notes = append(notes, fmt.Sprintf("%s time: the feed's date wins over the page's unzoned one", what))
		}
		return stamp{t: minute(feed), from: FromFeed, zoned: true}, notes
	}
	if htmlDate != nil {
		if s := htmlDate(); s.ok() {
			note := fmt.Sprintf("%s time from htmldate (no zoned time in the page metadata, no feed date)", what)
			switch {
			case s.dateOnly:
				note += ": date only, no time of day"
			case !s.zoned:
				note += ": no zone offset, read as UTC"
			}
			return s, append(notes, note)
		}
	}
	if unzoned.ok() {
		note := fmt.Sprintf("%s time: unzoned %s value read as UTC", what, unzoned.from)
		if unzoned.dateOnly {
			note = fmt.Sprintf("%s time: %s gives a date only", what, unzoned.from)
		}
		return unzoned, append(notes, note)
	}
	return stamp{}, notes
}

// htmlDateStamp runs go-htmldate's fast mode on doc for the original
// publication date.
func htmlDateStamp(doc *html.Node, pageURL string) stamp {
	r, err := htmldate.FromDocument(doc, htmldate.Options{
		UseOriginalDate:     true,
		SkipExtensiveSearch: true,
		ExtractTime:         true,
		URL:                 pageURL,
	})
	if err != nil || r.IsZero() {
		return stamp{}
	}
	s := stamp{t: minute(r.DateTime), from: FromHTMLDate, zoned: r.HasTimezone, dateOnly: !r.HasTime}
	if s.dateOnly {
		y, mo, d := r.DateTime.Date()
		s.t = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	}
	return s
}
