package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/language"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/weburl"
)

// Feed is a parsed RSS, Atom or JSON feed.
type Feed struct {
	Title    string // plain text
	Language string // primary subtag ("fr"), "" if the feed names none
	Items    []article.Article
}

// ParseFeed parses an RSS, Atom or JSON Feed body fetched from feedURL.
// contentType is the response's Content-Type header: its charset is used
// when the XML prolog names no encoding. Items get URL (resolved against
// feedURL, no fragment), GUID, plain-text fields, Language, the outlet's
// claimed times in UTC (zero when absent or unparsable), FirstSeenAt =
// firstSeen and SourceURL = feedURL (password redacted; item URLs never
// inherit its userinfo); Source is left for the caller.
//
// An item with neither GUID nor link gets a GUID "sha256:<hex>" of its
// title, summary and content, so it is still tracked rather than dropped.
//
// Errors are *FetchError of KindParse naming feedURL.
func ParseFeed(body []byte, contentType, feedURL string, firstSeen time.Time) (*Feed, error) {
	fail := func(err error) error {
		return &FetchError{URL: weburl.Redact(feedURL), Kind: KindParse, Err: fmt.Errorf("parse feed: %w", err)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fail(errors.New("empty body"))
	}
	data, err := feedUTF8(body, contentType)
	if err != nil {
		return nil, fail(err)
	}
	parsed, err := parseGofeed(data)
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, fail(fmt.Errorf("not an RSS, Atom or JSON feed (Content-Type %q): %w", contentType, err))
	}
	if err != nil {
		return nil, fail(err)
	}

	base := baseURL(feedURL)
	sourceURL := weburl.Redact(feedURL)
	feed := &Feed{
		Title:    oneLine(HTMLText(parsed.Title)),
		Language: primaryLanguage(parsed.Language),
		Items:    make([]article.Article, 0, len(parsed.Items)),
	}
	for _, it := range parsed.Items {
		if it == nil {
			continue
		}
		a := article.Article{
			SourceURL:   sourceURL,
			URL:         itemURL(it, base),
			GUID:        strings.TrimSpace(it.GUID),
			Title:       oneLine(HTMLText(it.Title)),
			Author:      itemAuthor(it),
			Summary:     HTMLText(it.Description),
			Content:     HTMLText(it.Content),
			Language:    feed.Language,
			PublishedAt: utcOrZero(it.PublishedParsed),
			UpdatedAt:   utcOrZero(it.UpdatedParsed),
			FirstSeenAt: firstSeen,
		}
		if it.DublinCoreExt != nil {
			for _, l := range it.DublinCoreExt.Language {
				if lang := primaryLanguage(l); lang != "" {
					a.Language = lang
					break
				}
			}
		}
		if a.GUID == "" {
			a.GUID = a.URL
		}
		if a.GUID == "" {
			sum := sha256.Sum256([]byte(a.Title + "\x00" + a.Summary + "\x00" + a.Content))
			a.GUID = "sha256:" + hex.EncodeToString(sum[:])
		}
		feed.Items = append(feed.Items, a)
	}
	return feed, nil
}

// parseGofeed runs gofeed on an in-memory body, turning its panics (a JSON
// feed with "items":[null], gofeed issue #355) into errors: one bad feed
// must not take the crawler down.
func parseGofeed(data []byte) (f *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("feed parser panicked: %v", r)
		}
	}()
	fp := gofeed.NewParser()
	// Item images are never used, and finding one parses every item's
	// HTML a second time: most of a long feed's parse.
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return fp.Parse(bytes.NewReader(data))
}

var (
	utf8BOM = []byte("\xef\xbb\xbf")
	// prologEncoding finds the encoding pseudo-attribute of an XML prolog.
	prologEncoding = regexp.MustCompile(`^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"']*)["']`)
)

// feedUTF8 returns body in the encoding gofeed will read it as, transcoding
// at most once. gofeed honours the prolog's encoding and ignores HTTP, so:
//   - prolog names a non-UTF-8 encoding: untouched, gofeed converts;
//   - otherwise, a non-UTF-8 charset in contentType: converted here, unless
//     the body is valid UTF-8 with non-ASCII text, which no Latin-1 French
//     text is (servers often default the header to ISO-8859-1 wrongly);
//   - what is left must be UTF-8; invalid bytes are repaired (see repairUTF8)
//     because encoding/xml rejects the whole feed for one bad byte.
func feedUTF8(body []byte, contentType string) ([]byte, error) {
	if bytes.HasPrefix(body, []byte{0xfe, 0xff}) || bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
		return body, nil // UTF-16 with a BOM: gofeed's own business
	}
	head := bytes.TrimPrefix(body, utf8BOM)
	if len(head) > 512 {
		head = head[:512]
	}
	if m := prologEncoding.FindSubmatch(head); m != nil {
		if _, name := charset.Lookup(string(m[1])); name != "utf-8" {
			return body, nil
		}
		return repairUTF8(body), nil
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if enc, name := charset.Lookup(params["charset"]); enc != nil && name != "utf-8" {
			if utf8.Valid(body) && !isASCII(body) {
				return body, nil
			}
			out, err := enc.NewDecoder().Bytes(body)
			if err != nil {
				return nil, fmt.Errorf("decoding %s: %w", name, err)
			}
			return out, nil
		}
	}
	return repairUTF8(body), nil
}

// repairUTF8 makes body valid UTF-8. A body with no valid multi-byte
// sequence but invalid bytes is taken as undeclared Windows-1252 (Latin-1),
// the usual legacy encoding of French sites; otherwise stray bad bytes are
// replaced with U+FFFD so the rest of the feed survives.
func repairUTF8(body []byte) []byte {
	if utf8.Valid(body) {
		return body
	}
	good, bad := 0, 0
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			bad++
		case n > 1:
			good++
		}
		i += max(n, 1)
	}
	if good >= bad {
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(body)
	if err != nil { // cannot happen: every byte maps to a rune
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// itemURL is the item's link resolved against the feed URL, fragment
// dropped; failing a link, a GUID that is an absolute http(s) URL.
func itemURL(it *gofeed.Item, base *url.URL) string {
	link := strings.TrimSpace(it.Link)
	for _, l := range it.Links {
		if link != "" {
			break
		}
		link = strings.TrimSpace(l)
	}
	if link == "" {
		if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
			link = g
		}
	}
	return resolveURL(base, link)
}

// baseURL parses a feed or page URL for resolving links, without its
// userinfo so that credentials never spread to article URLs. It returns nil
// if raw does not parse; links are then kept as written.
func baseURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	u.User = nil
	return u
}

// resolveURL resolves ref against base (nil: as is) and drops the fragment,
// which never names a different publication.
func resolveURL(base *url.URL, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

func itemAuthor(it *gofeed.Item) string {
	people := it.Authors
	if len(people) == 0 && it.Author != nil {
		people = []*gofeed.Person{it.Author}
	}
	var names []string
	for _, p := range people {
		if p == nil {
			continue
		}
		name := oneLine(HTMLText(p.Name))
		if name == "" {
			name = strings.TrimSpace(p.Email)
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// primaryLanguage returns the canonical primary subtag of a language tag
// ("fr-FR", "fr_FR", "FR", "fra" all give "fr"), or "" if there is none.
func primaryLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	// Parse, not ParseBase, so deprecated codes are canonicalised ("iw" → "he").
	t, err := language.Parse(strings.ToLower(tag))
	if err != nil {
		return ""
	}
	b, conf := t.Base()
	if conf != language.Exact { // "und" would otherwise guess "en"
		return ""
	}
	return b.String()
}

func utcOrZero(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
