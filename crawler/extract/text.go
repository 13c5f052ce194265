package extract

import (
	"bytes"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// nodeText renders the text under n: blocks are separated by a blank
// line, <br> is a line break, whitespace inside a paragraph collapses to
// one space, and markup, scripts and styles never reach the text. The
// result is in Unicode normalization form C.
func nodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var tb textBuilder
	tb.walk(n)
	return norm.NFC.String(tb.String())
}

// trimmedNodeText is nodeText for go-trafilatura's output, whose text
// nodes are trimmed: "in your <code>Dockerfile</code> to ensure" comes
// out as "Dockerfile" followed by "to ensure". A space is put back at an
// inline element's edge between two letters or digits (not around <sup>
// and <sub>: "1<sup>er</sup>").
func trimmedNodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	tb := textBuilder{inlineGaps: true}
	tb.walk(n)
	return norm.NFC.String(tb.String())
}

// fragmentText is nodeText for an HTML fragment such as a feed item's
// content. A fragment without any element is plain text whose blank lines
// separate paragraphs.
func fragmentText(s string) string {
	tb := textBuilder{plain: true}
	if !strings.ContainsAny(s, "<&") {
		tb.text(s)
		return norm.NFC.String(tb.String())
	}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil { // a strings.Reader never fails; keep the text regardless
		nodes = []*html.Node{{Type: html.TextNode, Data: s}}
	}
	for _, n := range nodes {
		if n.Type == html.ElementNode {
			tb.plain = false
		}
	}
	for _, n := range nodes {
		tb.walk(n)
	}
	return norm.NFC.String(tb.String())
}

// oneLine flattens text for single-line fields (titles, authors).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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

// elemAtom is n's atom. Extractors build output nodes without one, so
// it is looked up from the tag name when missing.
func elemAtom(n *html.Node) atom.Atom {
	if n.DataAtom != 0 || n.Namespace != "" {
		return n.DataAtom
	}
	return atom.Lookup([]byte(n.Data))
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

// skipped reports elements whose content is never article text. noscript
// is included because the parser, with scripting on, keeps its content as
// raw markup.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head,
		atom.Title, atom.Svg, atom.Math, atom.Iframe, atom.Object,
		atom.Embed, atom.Canvas, atom.Select, atom.Textarea, atom.Button:
		return true
	}
	return false
}

// isBlock reports elements that start a new paragraph.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body,
		atom.Caption, atom.Dd, atom.Details, atom.Dialog, atom.Div, atom.Dl,
		atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer,
		atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Header, atom.Hgroup, atom.Hr, atom.Li, atom.Main, atom.Nav,
		atom.Ol, atom.P, atom.Pre, atom.Section, atom.Summary, atom.Table,
		atom.Tbody, atom.Tfoot, atom.Thead, atom.Tr, atom.Ul:
		return true
	}
	return false
}

// textBuilder accumulates text, deferring separators until the next visible
// character so that leading and trailing whitespace and empty blocks vanish.
type textBuilder struct {
	b            strings.Builder
	plain        bool // blank lines in text nodes are paragraph breaks
	pendingSpace bool
	pendingBreak int // 0 none, 1 line break, 2 paragraph break
	newlines     int // newlines in the current whitespace run (plain mode)

	inlineGaps bool // separate words at inline element edges (trimmedNodeText)
	edge       bool // an inline element started or ended since the last rune
	last       rune // the last rune written
}

// String returns the text, without a paragraph that repeats the one
// before it (an extractor's fallback may add the same text twice).
func (t *textBuilder) String() string {
	s := t.b.String()
	if !strings.Contains(s, "\n\n") {
		return s
	}
	paras := strings.Split(s, "\n\n")
	return strings.Join(slices.Compact(paras), "\n\n")
}

func (t *textBuilder) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
		a := elemAtom(n)
		if skipped(a) {
			return
		}
		switch {
		case a == atom.Br:
			if t.pendingBreak < 2 {
				t.pendingBreak++ // <br><br> is how many pages write paragraphs
			}
			return
		case isBlock(a):
			t.pendingBreak = 2
			defer func() { t.pendingBreak = 2 }()
		case a == atom.Td || a == atom.Th:
			t.pendingSpace = true // cells sit side by side: keep words apart
			defer func() { t.pendingSpace = true }()
		case t.inlineGaps && a != atom.Sup && a != atom.Sub:
			t.edge = true
			defer func() { t.edge = true }()
		}
	case html.CommentNode, html.DoctypeNode:
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c)
	}
}

func (t *textBuilder) text(s string) {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			t.pendingSpace = true
			if r == '\n' && t.plain {
				t.newlines++
				if t.newlines >= 2 {
					t.pendingBreak = 2
				}
			}
			continue
		case r == '\u00ad', r == '\u200b', r == '\u2060', r == '\ufeff':
			continue // invisible: soft hyphen, zero-width space, word joiner, BOM
		case unicode.IsControl(r):
			continue
		}
		if t.edge && isWordRune(t.last) && isWordRune(r) {
			t.pendingSpace = true
		}
		t.flush()
		t.b.WriteRune(r)
		t.last = r
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// flush writes the separator owed before the next visible character.
func (t *textBuilder) flush() {
	if t.b.Len() > 0 {
		switch {
		case t.pendingBreak == 2:
			t.b.WriteString("\n\n")
		case t.pendingBreak == 1:
			t.b.WriteByte('\n')
		case t.pendingSpace:
			t.b.WriteByte(' ')
		}
	}
	t.pendingSpace, t.pendingBreak, t.newlines, t.edge = false, 0, 0, false
}

// flatText reads a page token by token, for pages the tree parser
// refuses: the same separators as nodeText, skipped elements left out
// (tracked by depth, so no tree is built), and the <title>'s text.
func flatText(page []byte) (title, text string) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var tb textBuilder
	var titleB strings.Builder
	skipDepth, inTitle := 0, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return oneLine(titleB.String()), norm.NFC.String(tb.String())
		case html.TextToken:
			switch {
			case inTitle:
				titleB.Write(z.Text())
			case skipDepth == 0:
				tb.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Title:
				inTitle = true
			case skipped(a) && a != atom.Head:
				skipDepth++
			case a == atom.Br:
				tb.pendingBreak = max(tb.pendingBreak, 1)
			case isBlock(a):
				tb.pendingBreak = 2
			case a == atom.Td || a == atom.Th:
				tb.pendingSpace = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Title:
				inTitle = false
			case skipped(a) && a != atom.Head && skipDepth > 0:
				skipDepth--
			case isBlock(a):
				tb.pendingBreak = 2
			}
		}
	}
}
