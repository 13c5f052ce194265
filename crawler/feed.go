package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/language"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/htmltext"
	"github.com/silencewatch/silencewatch/textenc"
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
// claimed times in UTC (a date in the site's language too: see localDate;
// zero when absent or unparsable), FirstSeenAt =
// firstSeen and SourceURL = feedURL (password redacted; item URLs never
// inherit its userinfo); Source is left for the caller.
//
// An item with neither GUID nor link gets a GUID "sha256:<hex>" of its
// title, summary and content, so it is still tracked rather than dropped.
//
// Errors are *FetchError of KindParse naming feedURL.
//
// local is the outlet's time zone: a claimed time written without a zone
// ("2017-05-06 12:00:00") is its wall clock there. Nil reads it as UTC,
// as gofeed does.
func ParseFeed(body []byte, contentType, feedURL string, firstSeen time.Time, local *time.Location) (*Feed, error) {
	fail := func(err error) error {
		return &FetchError{URL: weburl.Redact(feedURL), Kind: KindParse, Err: fmt.Errorf("parse feed: %w", err)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fail(errors.New("empty body"))
	}
	data := feedUTF8(body, contentType)
	parsed, err := parseGofeed(data)
	if err != nil {
		// A feed its generator broke in a way a reader gets past is read
		// again repaired; failing that, the first error says what is wrong.
		if fixed, ok := repairFeed(data); ok {
			if p, err2 := parseGofeed(fixed); err2 == nil {
				parsed, err = p, nil
			}
		}
	}
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, fail(fmt.Errorf("not an RSS, Atom or JSON feed (Content-Type %q): %w", contentType, err))
	}
	if err != nil {
		return nil, fail(err)
	}

	base := baseURL(feedURL)
	sourceURL := weburl.Redact(feedURL)
	feed := &Feed{
		Title:    htmltext.OneLine(htmltext.Fragment(parsed.Title)),
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
			Title:       htmltext.OneLine(htmltext.Fragment(it.Title)),
			Author:      itemAuthor(it),
			Summary:     htmltext.Fragment(it.Description),
			Content:     htmltext.Fragment(it.Content),
			Language:    feed.Language,
			PublishedAt: claimedTime(it.PublishedParsed, it.Published, local),
			UpdatedAt:   claimedTime(it.UpdatedParsed, it.Updated, local),
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

// feedStarts are how an XML feed document begins: its prolog or its root.
var feedStarts = [][]byte{[]byte("<?xml"), []byte("<rss"), []byte("<feed"), []byte("<rdf:RDF"), []byte("<RDF")}

// repairFeed mends what real feeds' generators break and gofeed refuses
// whole, and reports whether it changed anything:
//   - text before the document (a PHP warning, a stray line: "<br />
//     <b>Warning</b>: Cannot modify header information…") is cut;
//   - an XML 1.1 prolog is read as 1.0, which encoding/xml requires;
//   - a "<" that opens no tag ("A < B" in a title) is escaped.
//
// CDATA sections and comments are left as they are. A body cut short is
// not mended: it stays an error.
func repairFeed(data []byte) ([]byte, bool) {
	if len(data) >= 2 && (data[0] == 0xfe || data[0] == 0xff) { // UTF-16
		return data, false
	}
	out := bytes.TrimPrefix(data, utf8BOM)
	changed := false
	trimmed := bytes.TrimLeft(out, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' { // a JSON feed
		return data, false
	}
	if !startsFeed(trimmed) {
		cut := -1
		head := out[:min(len(out), 64<<10)]
		for _, s := range feedStarts {
			if i := bytes.Index(head, s); i > 0 && (cut < 0 || i < cut) {
				cut = i
			}
		}
		if cut < 0 {
			return data, false
		}
		out, changed = out[cut:], true
	}
	if m := xmlVersion11.FindSubmatchIndex(out[:min(len(out), 100)]); m != nil {
		out = append(append(append([]byte{}, out[:m[2]]...), "1.0"...), out[m[3]:]...)
		changed = true
	}
	var b []byte
	last := 0
	for i := 0; i < len(out); i++ {
		if out[i] != '<' {
			continue
		}
		rest := out[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if j := bytes.Index(rest, []byte("]]>")); j >= 0 {
				i += j + 2
			}
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			if j := bytes.Index(rest, []byte("-->")); j >= 0 {
				i += j + 2
			}
			continue
		}
		if i+1 < len(out) && opensMarkup(out[i+1]) {
			continue
		}
		b = append(append(b, out[last:i]...), "&lt;"...)
		last = i + 1
	}
	if b != nil {
		out, changed = append(b, out[last:]...), true
	}
	return out, changed
}

var xmlVersion11 = regexp.MustCompile(`^\s*<\?xml\s+version\s*=\s*["'](1\.1)["']`)

func startsFeed(b []byte) bool {
	for _, s := range feedStarts {
		if bytes.HasPrefix(b, s) {
			return true
		}
	}
	return false
}

// opensMarkup reports whether c, after "<", begins a tag, an end tag, a
// declaration or a processing instruction.
func opensMarkup(c byte) bool {
	return c == '/' || c == '!' || c == '?' || c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
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
//   - a UTF-16 byte order mark: untouched, gofeed converts;
//   - prolog names a non-UTF-8 encoding: untouched, gofeed converts,
//     unless the body is valid UTF-8 with non-ASCII letters: CMSs often
//     keep an old "ISO-8859-1" prolog over UTF-8 text, and converting it
//     again would turn every "é" into "Ã©"; the prolog is then made to
//     say UTF-8;
//   - otherwise the body is read by textenc.Decode, with the charset of
//     contentType unless the prolog says UTF-8: valid UTF-8 stays UTF-8
//     (servers often default the header to ISO-8859-1 wrongly, and no
//     Latin-1 French text is valid UTF-8), a non-UTF-8 charset is
//     converted, and invalid UTF-8 is repaired (stray bytes replaced, or
//     read as windows-1252 when it has no more valid multi-byte sequences
//     than invalid bytes) because encoding/xml rejects the whole feed for
//     one bad byte.
func feedUTF8(body []byte, contentType string) []byte {
	if bytes.HasPrefix(body, []byte{0xfe, 0xff}) || bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
		return body
	}
	head := bytes.TrimPrefix(body, utf8BOM)
	if len(head) > 512 {
		head = head[:512]
	}
	label := textenc.HeaderCharset(contentType)
	if m := prologEncoding.FindSubmatchIndex(head); m != nil {
		if _, name := textenc.Lookup(string(head[m[2]:m[3]])); name != "utf-8" {
			if !utf8.Valid(body) || !hasNonASCII(body) || strings.HasPrefix(name, "utf-") {
				return body
			}
			// The prolog's offsets are in head, which starts after any BOM.
			off := len(body) - len(bytes.TrimPrefix(body, utf8BOM))
			out := make([]byte, 0, len(body))
			out = append(out, body[:off+m[2]]...)
			out = append(out, "UTF-8"...)
			return append(out, body[off+m[3]:]...)
		}
		label = "utf-8"
	}
	if utf8.Valid(body) {
		return body // a UTF-8 byte order mark is gofeed's to skip
	}
	return textenc.Decode(body, label).Text
}

// hasNonASCII reports whether b holds a byte above 0x7f.
func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
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
		name := htmltext.OneLine(htmltext.Fragment(p.Name))
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

// claimedTime is an item's date as gofeed parsed it, else as localDate
// reads the text gofeed could not (a date in the site's language), else
// zero. A date written without a zone is a wall clock in local (when
// known), which gofeed reads as UTC.
func claimedTime(parsed *time.Time, text string, local *time.Location) time.Time {
	if parsed == nil && strings.TrimSpace(text) != "" {
		if t, ok := localDate(text, local); ok {
			return t
		}
	}
	t := utcOrZero(parsed)
	if !t.IsZero() && local != nil && !hasZone(text) && !article.DateOnly(t) {
		y, mo, d := t.Date()
		h, mi, sec := t.Clock()
		t = time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), local).UTC()
	}
	return t
}

// zoneSuffix is how a date says its zone: "Z", an offset ("+0200",
// "-03:00"), or letters after the time of day ("GMT", "CEST").
var zoneSuffix = regexp.MustCompile(`(?i)(\d[zZ]|[+-]\d{2}:?\d{2}|\d\s*[a-z]{1,5})\s*$`)

// hasZone reports whether a date's text names its zone.
func hasZone(text string) bool { return zoneSuffix.MatchString(strings.TrimSpace(text)) }

func utcOrZero(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
