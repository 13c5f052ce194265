package crawler

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText returns the plain text of an HTML fragment, such as a feed item's
// description. Markup is parsed, not pattern-matched, so entities are decoded
// and the content of script, style and similar elements never leaks into the
// text. Paragraphs and other blocks are separated by "\n\n", a single <br>
// becomes "\n", and whitespace inside a paragraph (including no-break spaces)
// collapses to one ASCII space. Soft hyphens and zero-width spaces are
// removed so that words match as typed.
//
// Input without any element is treated as plain text whose blank lines
// separate paragraphs (a JSON Feed content_text, say).
func HTMLText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s, true) // no markup, no entities: skip the parser
	}
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{
		Type:     html.ElementNode,
		Data:     "body",
		DataAtom: atom.Body,
	})
	if err != nil {
		// The parser only fails on reader errors, which a strings.Reader
		// never returns; fall back to the input rather than lose text.
		return collapse(s, true)
	}
	tb := textBuilder{plain: !hasElement(nodes)}
	for _, n := range nodes {
		tb.walk(n, dropAlways)
	}
	return tb.String()
}

// oneLine flattens extracted text for single-line fields (titles, authors).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// collapse is HTMLText for text that is known not to be markup.
func collapse(s string, plain bool) string {
	tb := textBuilder{plain: plain}
	tb.text(s)
	return tb.String()
}

func hasElement(nodes []*html.Node) bool {
	for _, n := range nodes {
		if n.Type == html.ElementNode {
			return true
		}
	}
	return false
}

// dropAlways reports elements whose content is never publication text.
// noscript is included because the parser, with scripting enabled, keeps its
// content as raw markup.
func dropAlways(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head,
		atom.Title, atom.Svg, atom.Math, atom.Iframe, atom.Object,
		atom.Embed, atom.Canvas, atom.Select, atom.Textarea, atom.Button:
		return true
	}
	return false
}

// isBlock reports elements that start a new paragraph in the output.
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
}

func (t *textBuilder) String() string { return t.b.String() }

// walk appends the text under n, skipping elements for which drop is true.
func (t *textBuilder) walk(n *html.Node, drop func(atom.Atom) bool) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
		if drop(n.DataAtom) {
			return
		}
		switch {
		case n.DataAtom == atom.Br:
			t.lineBreak()
			return
		case isBlock(n.DataAtom):
			t.paragraph()
			defer t.paragraph()
		case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
			// Cells sit side by side: keep their words apart.
			t.space()
			defer t.space()
		}
	case html.CommentNode, html.DoctypeNode:
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c, drop)
	}
}

func (t *textBuilder) paragraph() { t.pendingBreak = 2 }

func (t *textBuilder) lineBreak() {
	if t.pendingBreak < 2 {
		t.pendingBreak++ // <br><br> is how many feeds write paragraphs
	}
}

func (t *textBuilder) space() { t.pendingSpace = true }

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
			// Invisible: soft hyphen, zero-width space, word joiner, BOM.
			continue
		case unicode.IsControl(r):
			continue
		}
		t.flush()
		t.b.WriteRune(r)
	}
}

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
	t.pendingSpace, t.pendingBreak, t.newlines = false, 0, 0
}
