package leak

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// decodeHTML converts an HTML file to UTF-8 using its BOM or <meta charset>
// (windows-1252 when it declares none and is not valid UTF-8).
func decodeHTML(raw []byte) string {
	_, name, certain := charset.DetermineEncoding(raw, "text/html")
	if !certain && name == "windows-1252" {
		return decodeUnknown(raw)
	}
	return decodeCharset(raw, name)
}

// Elements whose content is not visible text.
var hiddenElements = map[string]bool{"script": true, "style": true, "head": true, "noscript": true, "template": true, "svg": true, "iframe": true, "object": true}

// Elements that end a line of text: each becomes its own paragraph, so a
// passage never runs across two table cells or list items by accident.
var blockElements = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "br": true, "dd": true, "div": true,
	"dl": true, "dt": true, "fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true,
	"li": true, "main": true, "nav": true, "ol": true, "p": true, "pre": true, "section": true, "table": true,
	"tr": true, "td": true, "th": true, "ul": true, "caption": true, "title": true, "body": true, "html": true,
}

// htmlText returns the title and the visible text of an HTML document, one
// block element per line, whitespace inside a block collapsed.
func htmlText(s string) (title, text string, err error) {
	root, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return "", "", err
	}
	var b strings.Builder
	var line bytes.Buffer
	flush := func() {
		t := strings.Join(strings.Fields(line.String()), " ")
		line.Reset()
		if t != "" {
			b.WriteString(t)
			b.WriteByte('\n')
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			if n.Data == "head" {
				title = findTitle(n)
			}
			if hiddenElements[n.Data] {
				return
			}
			if blockElements[n.Data] {
				flush()
			}
		case html.TextNode:
			line.WriteString(n.Data)
			return
		case html.CommentNode, html.DoctypeNode:
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blockElements[n.Data] {
			flush()
		}
	}
	walk(root)
	flush()
	return title, b.String(), nil
}

func findTitle(n *html.Node) string {
	if n.Type == html.ElementNode && n.Data == "title" {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return strings.Join(strings.Fields(b.String()), " ")
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := findTitle(c); t != "" {
			return t
		}
	}
	return ""
}
