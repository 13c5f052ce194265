package extract

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"

	"github.com/silencewatch/silencewatch/htmltext"
)

// The text of a page is htmltext's paragraph layout, without a paragraph
// that repeats the one before it (an extractor's fallback may add the
// same text twice), in Unicode normalization form C.
func clean(s string) string { return norm.NFC.String(compactParagraphs(s)) }

// compactParagraphs drops a paragraph equal to the one before it.
func compactParagraphs(s string) string {
	if !strings.Contains(s, "\n\n") {
		return s
	}
	return strings.Join(slices.Compact(strings.Split(s, "\n\n")), "\n\n")
}

// nodeText renders the text under n (see htmltext).
func nodeText(n *html.Node) string { return clean(htmltext.Node(n, htmltext.Options{})) }

// trimmedNodeText is nodeText for go-trafilatura's output, whose text
// nodes are trimmed (see htmltext.Options.InlineGaps).
func trimmedNodeText(n *html.Node) string {
	return clean(htmltext.Node(n, htmltext.Options{InlineGaps: true}))
}

// fragmentText is nodeText for an HTML fragment such as a feed item's
// content. A fragment without any element is plain text whose blank lines
// separate paragraphs.
func fragmentText(s string) string { return clean(htmltext.Fragment(s)) }

// flatText reads a page token by token, for pages the tree parser
// refuses, and returns its <title>'s text and its text.
func flatText(page []byte) (title, text string) {
	title, text = htmltext.Tokens(page)
	return title, clean(text)
}

// oneLine flattens text for single-line fields (titles, authors).
func oneLine(s string) string { return htmltext.OneLine(s) }

// field is oneLine in Unicode normalization form C, as the text is.
func field(s string) string { return norm.NFC.String(oneLine(s)) }

// wordCount counts whitespace-separated words.
func wordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// shingles counts the word n-grams of s; words are runs of letters,
// digits and underscores.
func shingles(s string, n int) map[string]int {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	})
	out := make(map[string]int, len(words))
	for i := 0; i+n <= len(words) || (i == 0 && len(words) > 0); i++ {
		out[strings.Join(words[i:min(i+n, len(words))], " ")]++
	}
	return out
}

// containedShare is the share of part's word trigrams found in whole.
func containedShare(part, whole string) float64 {
	p, w := shingles(part, 3), shingles(whole, 3)
	var in, all int
	for k, c := range p {
		in += min(c, w[k])
		all += c
	}
	if all == 0 {
		return 0
	}
	return float64(in) / float64(all)
}
