package extract

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/silencewatch/silencewatch/htmltext"
)

// seeAlsoMarkers open a block that points to other stories. Matched at the
// start of a block's text, lower case, on a word boundary.
var seeAlsoMarkers = []string{
	// French
	"à lire aussi", "a lire aussi", "lire aussi", "à lire également", "a lire également",
	"lire également", "à voir aussi", "a voir aussi", "voir aussi", "voir également",
	"sur le même sujet", "sur le meme sujet", "dans la même rubrique", "à découvrir aussi",
	"les plus lus", "articles liés", "articles similaires", "nos articles sur le sujet",
	"retrouvez aussi", "vous aimerez aussi", "vous pourriez aussi aimer", "lire la suite",
	// English
	"read more", "read also", "also read", "see also", "related", "more on this",
	"more from", "recommended", "you may also like", "you might also like",
	"most read", "most popular", "further reading",
}

// seeAlsoLinkShare is the share of a see-also block's text after the
// marker that must be link text for the block to be dropped: prose that
// happens to begin with "Related" keeps its words.
const seeAlsoLinkShare = 0.6

// seeAlsoMaxChars bounds the blocks dropped: a see-also box is a few
// headlines, and a link-heavy page wrapper that happens to start with
// "Most read" must not take the article with it.
const seeAlsoMaxChars = 2000

// wallMarkers, in a class or id, mark a paywall: either the prompt to
// subscribe or, as often, the locked article text itself.
var wallMarkers = []string{"paywall", "pay-wall", "regwall", "reg-wall", "subscri", "abonn", "piano", "tp-modal"}

// wallPhrases open a subscription or registration prompt, in its first
// wallLead bytes: the locked article text does not start like this.
var wallPhrases = []string{
	"subscri", "membership", "become a member", "already a member", "sign in", "log in",
	"continue reading", "keep reading", "register", "abonn", "réservé aux", "reserve aux",
	"déjà inscrit", "connectez-vous", "pour lire la suite", "weiterlesen", "weiter lesen",
}

const (
	wallLead = 120
	// wallMaxChars bounds the prompts dropped.
	wallMaxChars = 1500
)

// prune removes, from doc, blocks that both extractors keep when they sit
// inside the article's markup but that are not the article:
//
//   - see-also blocks: text that starts with a see-also marker and is
//     otherwise mostly links ("À lire aussi : <a>…</a>", a "Related stories"
//     box), whose headlines are other stories';
//   - subscription prompts: short blocks whose class or id names a paywall
//     and whose text opens with "Subscribe", "Continue reading", "Déjà
//     abonné ?" and the like.
func prune(doc *html.Node) {
	var remove []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || htmltext.Hidden(c.DataAtom) {
				continue
			}
			if c.DataAtom != atom.Body && c.DataAtom != atom.A && (isSeeAlso(c) || isWall(c)) {
				remove = append(remove, c)
				continue
			}
			walk(c)
		}
	}
	walk(doc)
	for _, n := range remove {
		n.Parent.RemoveChild(n)
	}
}

// isSeeAlso reports whether n's text starts with a marker and the rest is
// mostly link text.
func isSeeAlso(n *html.Node) bool {
	lead := leadingText(n, 40)
	var marker string
	for _, m := range seeAlsoMarkers {
		if strings.HasPrefix(lead, m) {
			if r, _ := utf8.DecodeRuneInString(lead[len(m):]); len(lead) == len(m) || !unicode.IsLetter(r) {
				marker = m
				break
			}
		}
	}
	if marker == "" {
		return false
	}
	var total, links int
	countChars(n, false, &total, &links)
	rest := total - nonSpaceLen(marker)
	if total > seeAlsoMaxChars {
		return false
	}
	return rest <= 0 || float64(links) >= seeAlsoLinkShare*float64(rest)
}

// isWall reports a short block whose class or id names a paywall and
// whose text starts as a subscription prompt does.
func isWall(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Div, atom.Section, atom.Aside, atom.P, atom.Form:
	default:
		return false
	}
	name := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
	if !slices.ContainsFunc(wallMarkers, func(m string) bool { return strings.Contains(name, m) }) {
		return false
	}
	lead := leadingText(n, wallLead)
	if !slices.ContainsFunc(wallPhrases, func(p string) bool { return strings.Contains(lead, p) }) {
		return false
	}
	var total, links int
	countChars(n, false, &total, &links)
	return total <= wallMaxChars
}

// leadingText returns up to limit bytes of the start of n's text, lower
// case, without leading punctuation, with whitespace collapsed.
func leadingText(n *html.Node, limit int) string {
	var b strings.Builder
	space := false
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		switch n.Type {
		case html.TextNode:
			for _, r := range n.Data {
				switch {
				case b.Len() >= limit:
					return false
				case unicode.IsSpace(r):
					space = b.Len() > 0
				case b.Len() == 0 && !unicode.IsLetter(r):
					// leading bullets, arrows, "»", "►"
				default:
					if space {
						b.WriteByte(' ')
						space = false
					}
					b.WriteRune(unicode.ToLower(r))
				}
			}
		case html.ElementNode:
			if htmltext.Hidden(n.DataAtom) {
				return true
			}
			if htmltext.Block(n.DataAtom) || n.DataAtom == atom.Br {
				space = b.Len() > 0
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	walk(n)
	return b.String()
}

// countChars counts the non-space characters of visible text under n and
// those inside links.
func countChars(n *html.Node, inLink bool, total, links *int) {
	switch n.Type {
	case html.TextNode:
		k := nonSpaceLen(n.Data)
		*total += k
		if inLink {
			*links += k
		}
		return
	case html.ElementNode:
		if htmltext.Hidden(n.DataAtom) {
			return
		}
		if n.DataAtom == atom.A {
			inLink = true
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		countChars(c, inLink, total, links)
	}
}

func nonSpaceLen(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
