package crawler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/silencewatch/silencewatch/article"
)

// ParsePage turns an HTML article page fetched from pageURL into an
// article. contentType is the response's Content-Type header.
//
//   - charset: BOM, else header, else <meta> (charset.DetermineEncoding); a
//     guess (no declaration) is overridden when the whole body is valid UTF-8.
//   - Title: og:title, else <title>, else the first <h1>.
//   - URL and GUID: <link rel=canonical> resolved against pageURL, else
//     pageURL; fragment dropped.
//   - Language: <html lang>, else Content-Language meta, else og:locale.
//   - PublishedAt: article:published_time, JSON-LD datePublished, the first
//     <time datetime> (in the content first); UpdatedAt:
//     article:modified_time, JSON-LD dateModified. Only times with a zone
//     offset are taken (a naive time could be off by hours around a
//     silence boundary); they are returned in UTC.
//   - Summary: meta description; Author: meta author, else JSON-LD author.
//   - Content: text of the first <article> (one inside nav, header, footer
//     or aside is a teaser, skipped), else <main>, else <body>, without nav,
//     header, footer, aside, form, script and style.
//
// A password in pageURL never reaches the article (SourceURL is redacted,
// URL has no userinfo). Source is left for the caller. Errors are *FetchError of KindParse.
func ParsePage(body []byte, contentType, pageURL string, firstSeen time.Time) (article.Article, error) {
	fail := func(err error) error {
		return &FetchError{URL: redactURL(pageURL), Kind: KindParse, Err: fmt.Errorf("parse page: %w", err)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return article.Article{}, fail(errors.New("empty body"))
	}
	data, err := htmlUTF8(body, contentType)
	if err != nil {
		return article.Article{}, fail(err)
	}
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return article.Article{}, fail(err)
	}

	var m pageMeta
	m.scan(doc, false)

	base := baseURL(pageURL)
	a := article.Article{
		SourceURL:   redactURL(pageURL),
		URL:         pageURL,
		Title:       oneLine(firstNonEmpty(m.ogTitle, m.title, m.h1)),
		Author:      oneLine(firstNonEmpty(m.author, m.ld.author)),
		Summary:     collapse(m.description, true),
		Language:    primaryLanguage(firstNonEmpty(m.lang, m.contentLang, m.ogLocale)),
		FirstSeenAt: firstSeen,
	}
	if base != nil {
		u := *base // no userinfo
		u.Fragment, u.RawFragment = "", ""
		a.URL = u.String()
	}
	if c := resolveURL(base, m.canonical); strings.HasPrefix(c, "http://") || strings.HasPrefix(c, "https://") {
		a.URL = c
	}
	a.GUID = a.URL

	root := firstNode(m.article, m.main, m.body)
	if root != nil {
		tb := textBuilder{}
		tb.walk(root, dropPageChrome)
		a.Content = tb.String()
	}

	a.PublishedAt = firstTime(m.metaPublished, m.ld.published)
	if a.PublishedAt.IsZero() && root != nil {
		a.PublishedAt = firstTimeElement(root)
	}
	if a.PublishedAt.IsZero() {
		a.PublishedAt = m.firstTime
	}
	a.UpdatedAt = firstTime(m.metaModified, m.ld.modified)
	return a, nil
}

// htmlUTF8 decodes an HTML body to UTF-8.
func htmlUTF8(body []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	// Without a declaration DetermineEncoding looks at 1 KiB only and
	// falls back to windows-1252 when that prefix is ASCII; the whole
	// body being valid UTF-8 is better evidence.
	if name == "utf-8" || (!certain && utf8.Valid(body)) {
		return bytes.ToValidUTF8(bytes.TrimPrefix(body, utf8BOM), []byte("\uFFFD")), nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	return out, nil
}

// dropPageChrome drops the parts of a page around the article.
func dropPageChrome(a atom.Atom) bool {
	switch a {
	case atom.Nav, atom.Header, atom.Footer, atom.Aside, atom.Form:
		return true
	}
	return dropAlways(a)
}

// pageMeta is what one pass over the document collects; each field keeps
// the first occurrence.
type pageMeta struct {
	lang, contentLang, ogLocale string
	title, ogTitle, h1          string
	canonical, description      string
	author                      string
	metaPublished, metaModified string
	firstTime                   time.Time // first usable <time datetime>
	ld                          ldInfo
	article, main, body         *html.Node
}

// scan walks the document; inChrome is true under nav, header, footer and
// aside, where an <article> is a teaser for another page, not this one.
func (m *pageMeta) scan(n *html.Node, inChrome bool) {
	if n.Type == html.ElementNode && n.Namespace != "" {
		return // SVG or MathML: its <title> is an icon's, not the page's
	}
	if n.Type == html.ElementNode {
		switch n.DataAtom {
		case atom.Html:
			setFirst(&m.lang, attr(n, "lang"))
		case atom.Title:
			setFirst(&m.title, nodeText(n))
		case atom.H1:
			setFirst(&m.h1, nodeText(n))
		case atom.Meta:
			m.meta(n)
		case atom.Link:
			if slices.Contains(strings.Fields(strings.ToLower(attr(n, "rel"))), "canonical") {
				setFirst(&m.canonical, strings.TrimSpace(attr(n, "href")))
			}
		case atom.Script:
			if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
				m.ld.merge(parseLD(n.FirstChild.Data))
			}
			return
		case atom.Time:
			if m.firstTime.IsZero() {
				m.firstTime = firstTime(attr(n, "datetime"))
			}
		case atom.Article:
			if !inChrome && m.article == nil {
				m.article = n
			}
		case atom.Main:
			if !inChrome && m.main == nil {
				m.main = n
			}
		case atom.Body:
			m.body = n
		case atom.Nav, atom.Header, atom.Footer, atom.Aside:
			inChrome = true
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		m.scan(c, inChrome)
	}
}

func (m *pageMeta) meta(n *html.Node) {
	content := strings.TrimSpace(attr(n, "content"))
	if content == "" {
		return
	}
	if strings.EqualFold(attr(n, "http-equiv"), "content-language") {
		setFirst(&m.contentLang, content)
	}
	// Publishers mix property, name and itemprop for the same keys.
	for _, key := range []string{attr(n, "property"), attr(n, "name"), attr(n, "itemprop")} {
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "og:title":
			setFirst(&m.ogTitle, content)
		case "og:locale":
			setFirst(&m.ogLocale, content)
		case "description", "og:description":
			setFirst(&m.description, content)
		case "author":
			setFirst(&m.author, content)
		case "article:published_time", "datepublished":
			setFirst(&m.metaPublished, content)
		case "article:modified_time", "og:updated_time", "datemodified":
			setFirst(&m.metaModified, content)
		}
	}
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

// zonedLayouts are the ISO 8601 forms pages use, all with a zone.
var zonedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
}

// firstTime returns the first candidate that parses, in UTC.
func firstTime(candidates ...string) time.Time {
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		for _, layout := range zonedLayouts {
			if t, err := time.Parse(layout, c); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// firstTimeElement returns the first <time datetime> under root that parses.
func firstTimeElement(root *html.Node) time.Time {
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Time {
			if t := firstTime(attr(n, "datetime")); !t.IsZero() {
				return t
			}
		}
	}
	return time.Time{}
}

// nodeText is the one-line text under n.
func nodeText(n *html.Node) string {
	tb := textBuilder{}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		tb.walk(c, dropAlways)
	}
	return oneLine(tb.String())
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
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

func firstNode(ns ...*html.Node) *html.Node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}
