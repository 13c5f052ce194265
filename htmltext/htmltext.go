// Package htmltext turns HTML into plain text, the one way every part of
// silencewatch does it: feed items, article pages and the HTML documents
// and mail parts of a leaked corpus. It imports nothing of the project's,
// so the rule engine can use it without importing the crawler.
//
// Markup is parsed, not pattern-matched: entities are decoded, and the
// content of script, style, head, noscript, template, svg, math, iframe,
// object, embed, canvas, select, textarea and button never reaches the
// text. White space inside a paragraph (no-break spaces included) folds to
// one ASCII space; soft hyphens, zero-width spaces, word joiners, byte
// order marks and control characters are removed, so that words match as
// typed. Inline elements add nothing: "élec<b>tion</b>" is "élection".
//
// Two layouts: paragraphs (the default), where block elements are
// separated by a blank line, one <br> is a line break and two a paragraph
// break, and the cells of a table row are separated by a space; and lines
// (Options.Lines), where every block, table cell and <br> ends a line of
// its own, so a passage never runs across two cells or list items, and
// text that is not empty ends with "\n".
package htmltext

import (
	"bytes"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Options choose the layout of the text.
type Options struct {
	// Lines puts every block element, table cell and <br> on a line of its
	// own, with no blank lines, and ends non-empty text with "\n".
	Lines bool
	// InlineGaps puts a space back at an inline element's edge between two
	// letters or digits (not around <sup> and <sub>: "1<sup>er</sup>"), for
	// trees whose text nodes were trimmed: go-trafilatura's output turns
	// "in your <code>Dockerfile</code> to ensure" into "Dockerfile" and
	// "to ensure".
	InlineGaps bool
}

// Fragment returns the text of an HTML fragment, such as a feed item's
// description, in the paragraph layout. Input without any element is
// plain text whose blank lines separate paragraphs (a JSON Feed
// content_text, say).
func Fragment(s string) string {
	tb := builder{plain: true}
	if !strings.ContainsAny(s, "<&") {
		tb.text(s) // no markup, no entities: skip the parser
		return tb.String()
	}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		// The parser only fails on reader errors, which a strings.Reader
		// never returns; keep the text rather than lose it.
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
	return tb.String()
}

// Node returns the text under n.
func Node(n *html.Node, opts Options) string {
	if n == nil {
		return ""
	}
	tb := builder{lines: opts.Lines, inlineGaps: opts.InlineGaps}
	tb.walk(n)
	return tb.String()
}

// Document parses a whole HTML document and returns its <title> (on one
// line) and its text.
func Document(page string, opts Options) (title, text string, err error) {
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return "", "", err
	}
	return Title(root), Node(root, opts), nil
}

// Title returns the text of the first <title> element under n, on one
// line; "" when there is none. An SVG's <title> is not the page's.
func Title(n *html.Node) string {
	if n.Type == html.ElementNode && n.Namespace == "" {
		switch n.DataAtom {
		case atom.Title:
			var b strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.TextNode {
					b.WriteString(c.Data)
				}
			}
			return OneLine(b.String())
		case atom.Svg, atom.Math:
			return ""
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := Title(c); t != "" {
			return t
		}
	}
	return ""
}

// Tokens reads a page token by token, for pages the tree parser refuses:
// the paragraph layout, hidden elements left out (tracked by depth, so no
// tree is built), and the <title>'s text on one line.
func Tokens(page []byte) (title, text string) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var tb builder
	var titleB strings.Builder
	skipDepth, inTitle := 0, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return OneLine(titleB.String()), tb.String()
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
			case Hidden(a) && a != atom.Head:
				skipDepth++
			case a == atom.Br:
				tb.pendingBreak = max(tb.pendingBreak, 1)
			case Block(a):
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
			case Hidden(a) && a != atom.Head && skipDepth > 0:
				skipDepth--
			case Block(a):
				tb.pendingBreak = 2
			}
		}
	}
}

// OneLine flattens text for single-line fields (titles, authors): every
// run of white space becomes one space, none at the ends.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Hidden reports elements whose content is never visible text, which the
// text leaves out. noscript is included because the parser, with scripting
// enabled, keeps its content as raw markup.
func Hidden(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head,
		atom.Title, atom.Svg, atom.Math, atom.Iframe, atom.Object,
		atom.Embed, atom.Canvas, atom.Select, atom.Textarea, atom.Button:
		return true
	}
	return false
}

// Block reports elements that start a new paragraph (a new line in the
// lines layout).
func Block(a atom.Atom) bool {
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

// elemAtom is n's atom. Extractors build nodes without one, so it is
// looked up from the tag name when missing.
func elemAtom(n *html.Node) atom.Atom {
	if n.DataAtom != 0 || n.Namespace != "" {
		return n.DataAtom
	}
	return atom.Lookup([]byte(n.Data))
}

// builder accumulates text, deferring separators until the next visible
// character so that leading and trailing white space and empty blocks
// vanish.
type builder struct {
	b            strings.Builder
	lines        bool // Options.Lines
	plain        bool // blank lines in text nodes are paragraph breaks
	pendingSpace bool
	pendingBreak int // 0 none, 1 line break, 2 paragraph break
	newlines     int // newlines in the current white-space run (plain mode)

	inlineGaps bool // Options.InlineGaps
	edge       bool // an inline element started or ended since the last rune
	last       rune // the last rune written
}

func (t *builder) String() string {
	if t.lines && t.b.Len() > 0 {
		return t.b.String() + "\n"
	}
	return t.b.String()
}

func (t *builder) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
		a := elemAtom(n)
		if Hidden(a) {
			return
		}
		switch {
		case a == atom.Br:
			if t.pendingBreak < 2 {
				t.pendingBreak++ // <br><br> is how many pages write paragraphs
			}
			return
		case Block(a) || (t.lines && (a == atom.Td || a == atom.Th)):
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

func (t *builder) text(s string) {
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
func (t *builder) flush() {
	if t.b.Len() > 0 {
		switch {
		case t.lines && t.pendingBreak > 0:
			t.b.WriteByte('\n')
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
