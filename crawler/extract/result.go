package extract

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/article"
)

// Apply copies into a what the page says better than the feed did:
//
//   - Content: the page text when an extractor produced it; the feed's
//     content (Extractor "feed") only fills an empty Content.
//   - Title, Author, Language, URL: only when a has none.
//   - PublishedAt, UpdatedAt: a time from the page's metadata with a zone
//     offset replaces a's; any other (go-htmldate, an unzoned page time)
//     only fills a zero one.
func (r Result) Apply(a *article.Article) {
	switch r.Extractor {
	case ExtractorTrafilatura, ExtractorReadability:
		a.Content = r.Text
	case ExtractorFeed:
		if a.Content == "" {
			a.Content = r.Text
		}
	}
	fill(&a.Title, r.Title)
	fill(&a.Author, r.Author)
	fill(&a.Language, r.Language)
	fill(&a.URL, r.URL)
	applyTime(&a.PublishedAt, r.PublishedAt, r.PublishedFrom, r.publishedZoned)
	applyTime(&a.UpdatedAt, r.ModifiedAt, r.ModifiedFrom, r.modifiedZoned)
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func applyTime(dst *time.Time, t time.Time, from string, zoned bool) {
	switch {
	case t.IsZero(), from == FromFeed:
	case dst.IsZero(), zoned && from != FromHTMLDate:
		*dst = t
	}
}

// WriteText writes r for a reader: one "Key: value" line per known field,
// the notes, a blank line and the text.
func (r Result) WriteText(w io.Writer) error {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-10s %s\n", k+":", v)
		}
	}
	stamp := func(t time.Time, from string) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02T15:04Z") + " (" + from + ")"
	}
	line("URL", r.URL)
	line("Title", r.Title)
	line("Author", r.Author)
	line("Language", r.Language)
	line("Extractor", r.Extractor)
	line("Published", stamp(r.PublishedAt, r.PublishedFrom))
	line("Modified", stamp(r.ModifiedAt, r.ModifiedFrom))
	for _, n := range r.Notes {
		line("Note", n)
	}
	b.WriteString("\n")
	if r.Text != "" {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
