package extract

import (
	"encoding/json"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/silencewatch/silencewatch/htmltext"
)

// pageMeta is what one pass over the document collects; each field keeps
// the first occurrence.
type pageMeta struct {
	lang, contentLang, ogLocale string
	title, ogTitle, h1          string
	canonical, ogURL            string
	author                      string

	// Raw time strings by source, first occurrence each.
	metaPublished, metaModified string // article:published_time, article:modified_time
	mdPublished, mdModified     string // microdata on an element other than <time>
	timePublished, timeModified string // <time itemprop=…> or <time pubdate>
	timeArticle, timeOther      string // first <time datetime> in the article, elsewhere
	ld                          ldInfo
}

// where tracks the part of the page a node sits in.
type where struct {
	chrome  bool // nav, header, footer, aside, or a comments section
	article bool // inside the first <article> or <main> outside chrome
}

func scanMeta(doc *html.Node) *pageMeta {
	m := &pageMeta{}
	var seenArticle bool
	var walk func(n *html.Node, w where)
	walk = func(n *html.Node, w where) {
		if n.Type != html.ElementNode {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c, w)
			}
			return
		}
		if n.Namespace != "" {
			return // SVG or MathML: its <title> is an icon's, not the page's
		}
		switch n.DataAtom {
		case atom.Html:
			setFirst(&m.lang, attr(n, "lang"))
		case atom.Title:
			setFirst(&m.title, oneLine(nodeText(n.FirstChild)))
		case atom.H1:
			if !w.chrome || w.article {
				setFirst(&m.h1, oneLine(innerText(n)))
			}
		case atom.Meta:
			m.meta(n, w)
		case atom.Link:
			if slices.Contains(strings.Fields(strings.ToLower(attr(n, "rel"))), "canonical") {
				setFirst(&m.canonical, attr(n, "href"))
			}
		case atom.Script:
			if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
				m.ld.merge(parseLD(n.FirstChild.Data))
			}
			return
		case atom.Time:
			m.timeElement(n, w)
		case atom.Article, atom.Main:
			if !w.chrome && !seenArticle {
				seenArticle = true
				w.article = true
			}
		case atom.Nav, atom.Header, atom.Footer, atom.Aside:
			if !w.article || n.DataAtom != atom.Header {
				w.chrome = true // an article's own <header> holds its byline and date
			}
		}
		if isCommentSection(n) {
			w.chrome = true
		}
		if n.DataAtom != atom.Meta && n.DataAtom != atom.Time && !w.chrome {
			m.microdata(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, w)
		}
	}
	walk(doc, where{})
	return m
}

func (m *pageMeta) meta(n *html.Node, w where) {
	content := strings.TrimSpace(attr(n, "content"))
	if content == "" {
		return
	}
	if strings.EqualFold(attr(n, "http-equiv"), "content-language") {
		setFirst(&m.contentLang, content)
	}
	// Publishers mix property and name for the same keys.
	for _, key := range []string{attr(n, "property"), attr(n, "name")} {
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "og:title":
			setFirst(&m.ogTitle, content)
		case "og:locale":
			setFirst(&m.ogLocale, content)
		case "og:url":
			setFirst(&m.ogURL, content)
		case "author":
			setFirst(&m.author, content)
		case "article:published_time":
			setFirst(&m.metaPublished, content)
		case "article:modified_time", "og:updated_time":
			setFirst(&m.metaModified, content)
		}
	}
	if w.chrome {
		return // a comment's or a teaser's microdata
	}
	switch strings.TrimSpace(attr(n, "itemprop")) {
	case "datePublished":
		setFirst(&m.mdPublished, content)
	case "dateModified":
		setFirst(&m.mdModified, content)
	}
}

// microdata reads itemprop dates carried by elements other than <meta>
// and <time> (a <span itemprop="datePublished" content="…">).
func (m *pageMeta) microdata(n *html.Node) {
	v := attr(n, "content")
	if v == "" {
		v = attr(n, "datetime")
	}
	if v == "" {
		return
	}
	switch strings.TrimSpace(attr(n, "itemprop")) {
	case "datePublished":
		setFirst(&m.mdPublished, v)
	case "dateModified":
		setFirst(&m.mdModified, v)
	}
}

func (m *pageMeta) timeElement(n *html.Node, w where) {
	v := strings.TrimSpace(attr(n, "datetime"))
	if v == "" || w.chrome {
		return
	}
	switch prop := strings.TrimSpace(attr(n, "itemprop")); {
	case prop == "datePublished" || hasAttr(n, "pubdate"):
		setFirst(&m.timePublished, v)
		return
	case prop == "dateModified":
		setFirst(&m.timeModified, v)
		return
	}
	if w.article {
		setFirst(&m.timeArticle, v)
	} else {
		setFirst(&m.timeOther, v)
	}
}

// isCommentSection reports containers of reader comments, whose <time>
// elements date the comments, not the article.
func isCommentSection(n *html.Node) bool {
	if n.DataAtom != atom.Section && n.DataAtom != atom.Div && n.DataAtom != atom.Ol && n.DataAtom != atom.Ul {
		return false
	}
	id := strings.ToLower(attr(n, "id") + " " + attr(n, "class"))
	return strings.Contains(id, "comment") || strings.Contains(id, "commentaire") || strings.Contains(id, "disqus")
}

// ldInfo is what JSON-LD tells us about the page.
type ldInfo struct{ published, modified, author string }

func (l *ldInfo) merge(o ldInfo) {
	setFirst(&l.published, o.published)
	setFirst(&l.modified, o.modified)
	setFirst(&l.author, o.author)
}

// parseLD reads one JSON-LD script. Objects typed as an article are
// preferred over others (a WebPage or Organization also carries dates).
// Unparsable scripts are ignored: they are common and not our problem.
func parseLD(src string) ldInfo {
	var v any
	if json.Unmarshal([]byte(strings.TrimSpace(src)), &v) != nil {
		return ldInfo{}
	}
	var objs []map[string]any
	collectLD(v, &objs)
	var best, other ldInfo
	for _, o := range objs {
		info := ldInfo{
			published: ldString(o["datePublished"]),
			modified:  ldString(o["dateModified"]),
			author:    ldAuthor(o["author"]),
		}
		if isArticleType(o["@type"]) {
			best.merge(info)
		} else {
			other.merge(info)
		}
	}
	best.merge(other)
	return best
}

// collectLD lists JSON objects depth first, in document order for arrays
// and in sorted key order for objects, so the result is deterministic.
func collectLD(v any, out *[]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		*out = append(*out, v)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			collectLD(v[k], out)
		}
	case []any:
		for _, e := range v {
			collectLD(e, out)
		}
	}
}

func isArticleType(t any) bool {
	switch t := t.(type) {
	case string:
		return strings.Contains(t, "Article") || strings.HasSuffix(t, "Posting") || t == "Report"
	case []any:
		return slices.ContainsFunc(t, isArticleType)
	}
	return false
}

func ldString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		if len(v) > 0 {
			return ldString(v[0])
		}
	}
	return ""
}

// ldAuthor reads "author" as a name, an object with a name, or a list of
// either.
func ldAuthor(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case map[string]any:
		return ldString(v["name"])
	case []any:
		var names []string
		for _, e := range v {
			if n := ldAuthor(e); n != "" {
				names = append(names, n)
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

// innerText is the one-line text under n.
func innerText(n *html.Node) string {
	return compactParagraphs(htmltext.Node(n, htmltext.Options{}))
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return true
		}
	}
	return false
}

func setFirst(dst *string, v string) {
	if *dst == "" {
		*dst = strings.TrimSpace(v)
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
