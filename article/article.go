// Package article defines the publication silencewatch watches: one item of a
// feed or one page of a site, as the crawler saw it, with the outlet's claimed
// times kept apart from our own clock.
package article

import (
	"strings"
	"time"
)

// Article is one publication. Text fields are plain text (HTML already
// stripped); the rule engine reports evidence as byte offsets into them.
type Article struct {
	Source    string // configured source name; "" for an ad-hoc check
	SourceURL string // the feed or page the article came from
	URL       string // canonical URL of the publication
	GUID      string // feed GUID, or the URL when the feed gives none
	Title     string
	Author    string
	Summary   string
	Content   string
	Language  string // primary language subtag, lower case ("fr"); "" if unknown

	PublishedAt time.Time // claimed by the outlet; zero when it claims none
	UpdatedAt   time.Time // claimed by the outlet; zero when it claims none
	FirstSeenAt time.Time // when silencewatch first saw it (its own clock)
}

// DateOnly reports whether a claimed time is midnight UTC, which is how a
// date without a time of day is held (a page's date-only metadata): it
// stands for any time of that day.
func DateOnly(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	h, m, s := t.UTC().Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

// Field names the part of an article a piece of evidence lies in.
type Field string

// The fields matched by the rule engine, in document order.
const (
	FieldTitle   Field = "title"
	FieldSummary Field = "summary"
	FieldContent Field = "content"
)

// Order is the field's rank in document order, as Segments lists them.
func (f Field) Order() int {
	switch f {
	case FieldTitle:
		return 0
	case FieldSummary:
		return 1
	}
	return 2
}

// Segment is one field's text.
type Segment struct {
	Field Field
	Text  string
}

// Segments returns the non-empty text fields in document order. The summary
// is dropped when the content already contains it, so one passage is not
// reported twice.
func (a *Article) Segments() []Segment {
	segs := make([]Segment, 0, 3)
	if a.Title != "" {
		segs = append(segs, Segment{FieldTitle, a.Title})
	}
	if a.Summary != "" && !strings.Contains(a.Content, a.Summary) {
		segs = append(segs, Segment{FieldSummary, a.Summary})
	}
	if a.Content != "" {
		segs = append(segs, Segment{FieldContent, a.Content})
	}
	return segs
}
