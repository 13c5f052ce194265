package site

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// sitemapEntry is one <url> of a urlset or one <sitemap> of an index.
type sitemapEntry struct {
	Loc string
	// Published is news:publication_date when present, else lastmod, in
	// UTC; zero when neither parses.
	Published time.Time
}

// sitemapDoc is either kind of sitemap document.
type sitemapDoc struct {
	Index   bool // a sitemapindex: Entries are sitemaps
	Entries []sitemapEntry
}

// xmlSitemap decodes both roots: encoding/xml matches elements by local
// name when a tag names no namespace, so <news:news> is "news".
type xmlSitemap struct {
	XMLName xml.Name
	URLs    []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
		News    struct {
			PublicationDate string `xml:"publication_date"`
		} `xml:"news"`
	} `xml:"url"`
	Sitemaps []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"sitemap"`
}

var gzipMagic = []byte{0x1f, 0x8b}

// parseSitemap parses a urlset or sitemapindex, gunzipping it first (to at
// most maxBytes) when it is gzip data the transport left alone because
// nothing in the response said so. Entries come newest first (undated ones last,
// in document order); entries without <loc> are dropped.
func parseSitemap(body []byte, maxBytes int64) (*sitemapDoc, error) {
	if bytes.HasPrefix(body, gzipMagic) {
		var err error
		if body, err = gunzip(body, maxBytes); err != nil {
			return nil, fmt.Errorf("sitemap: %w", err)
		}
	}
	var x xmlSitemap
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false // real sitemaps carry stray '&' and undeclared entities
	if err := dec.Decode(&x); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("sitemap: %w", err)
	}
	doc := &sitemapDoc{}
	switch x.XMLName.Local {
	case "urlset":
		for _, u := range x.URLs {
			date := parseW3CDate(u.News.PublicationDate)
			if date.IsZero() {
				date = parseW3CDate(u.LastMod)
			}
			doc.add(u.Loc, date)
		}
	case "sitemapindex":
		doc.Index = true
		for _, s := range x.Sitemaps {
			doc.add(s.Loc, parseW3CDate(s.LastMod))
		}
	default:
		return nil, fmt.Errorf("sitemap: root element <%s>, want <urlset> or <sitemapindex>", x.XMLName.Local)
	}
	slices.SortStableFunc(doc.Entries, func(a, b sitemapEntry) int {
		switch {
		case a.Published.Equal(b.Published):
			return 0
		case a.Published.IsZero():
			return 1
		case b.Published.IsZero():
			return -1
		}
		return b.Published.Compare(a.Published)
	})
	return doc, nil
}

func (d *sitemapDoc) add(loc string, published time.Time) {
	if loc = strings.TrimSpace(loc); loc != "" {
		d.Entries = append(d.Entries, sitemapEntry{Loc: loc, Published: published})
	}
}

// w3cLayouts are the W3C Datetime profiles sitemaps use, plus a zone-less
// form seen in the wild (read as UTC).
var w3cLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseW3CDate returns the time in UTC, zero if v is empty or unparsable.
func parseW3CDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	for _, layout := range w3cLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
