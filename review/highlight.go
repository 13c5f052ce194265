package review

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Segment is a run of text, marked or not. Templates print Text escaped
// (html/template), in a <mark> when Mark is set: the highlighted article
// is built by escaping each segment, never by putting tags into text.
type Segment struct {
	Text string
	Mark bool
	// Kind is, for a diff, "del", "ins" or ""; for evidence, empty.
	Kind string
}

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Highlight cuts text into segments with the given byte ranges marked.
// Ranges are clamped to the text, widened to whole UTF-8 characters,
// and merged where they overlap or touch; empty ones are dropped.
func Highlight(text string, spans []Span) []Segment {
	var ok []Span
	for _, sp := range spans {
		sp.Start, sp.End = max(sp.Start, 0), min(sp.End, len(text))
		for sp.Start > 0 && !utf8.RuneStart(text[sp.Start]) {
			sp.Start--
		}
		for sp.End < len(text) && !utf8.RuneStart(text[sp.End]) {
			sp.End++
		}
		if sp.Start < sp.End {
			ok = append(ok, sp)
		}
	}
	slices.SortFunc(ok, func(a, b Span) int { return a.Start - b.Start })
	var merged []Span
	for _, sp := range ok {
		if n := len(merged); n > 0 && sp.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, sp.End)
			continue
		}
		merged = append(merged, sp)
	}
	var out []Segment
	at := 0
	for _, sp := range merged {
		if sp.Start > at {
			out = append(out, Segment{Text: text[at:sp.Start]})
		}
		out = append(out, Segment{Text: text[sp.Start:sp.End], Mark: true})
		at = sp.End
	}
	if at < len(text) || len(out) == 0 {
		out = append(out, Segment{Text: text[at:]})
	}
	return out
}

// DiffSegments reads article.WordDiff's notation ([-removed-],
// {+added+}, the rest unchanged) into segments.
func DiffSegments(diff string) []Segment {
	var out []Segment
	for diff != "" {
		i := strings.IndexAny(diff, "[{")
		if i < 0 {
			out = append(out, Segment{Text: diff})
			break
		}
		open, close, kind := "[-", "-]", "del"
		if diff[i] == '{' {
			open, close, kind = "{+", "+}", "ins"
		}
		if !strings.HasPrefix(diff[i:], open) {
			out = append(out, Segment{Text: diff[:i+1]})
			diff = diff[i+1:]
			continue
		}
		end := strings.Index(diff[i+2:], close)
		if end < 0 {
			out = append(out, Segment{Text: diff})
			break
		}
		if i > 0 {
			out = append(out, Segment{Text: diff[:i]})
		}
		out = append(out, Segment{Text: diff[i+2 : i+2+end], Mark: true, Kind: kind})
		diff = diff[i+2+end+2:]
	}
	return out
}
