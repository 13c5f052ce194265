package extract

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"github.com/silencewatch/silencewatch/textenc"
)

// The extractors, as recorded in Result.Extractor.
const (
	ExtractorTrafilatura = "trafilatura"
	ExtractorReadability = "readability"
	ExtractorFeed        = "feed"
	ExtractorNone        = "none"
	// ExtractorFlat: the page could not be parsed as a tree (too deeply
	// nested) and its text was read token by token.
	ExtractorFlat = "flat"
)

// MuchShorter is the chain's test of an extractor's text against the feed
// item's content: the text is rejected when it has fewer words than
// MuchShorter times the feed content's word count. Feeds often carry only a
// teaser, so a full page text passes easily; a page text shorter than half
// of what the feed already gave is a paywall teaser, a cookie wall or a
// missed body.
const MuchShorter = 0.5

// sameRegion is the share of readability's word trigrams that must occur
// in trafilatura's flattened baseline text for readability's text, when
// not more than twice as long, to replace it: readability then found the
// article inside the block, not an author box or a cookie notice
// elsewhere on the page.
const sameRegion = 0.5

// ErrNotHTML is returned for a body that is neither declared nor sniffed
// as HTML (a PDF, an image, a JSON API answer).
var ErrNotHTML = errors.New("extract: not an HTML page")

// Feed is what the feed item said about the article; the zero value when
// extracting a page found without a feed.
type Feed struct {
	Title   string
	Content string // HTML or plain text
	// PublishedAt and UpdatedAt are the item's dates; zero when absent.
	PublishedAt, UpdatedAt time.Time
}

// Result is what the crawler sees of one article page.
type Result struct {
	URL      string `json:"url"` // canonical URL if the page gives one, else the page URL
	Title    string `json:"title,omitempty"`
	Author   string `json:"author,omitempty"`
	Language string `json:"language,omitempty"` // primary subtag, lower case
	// Text is the article body: paragraphs separated by a blank line,
	// whitespace normalised, no markup.
	Text string `json:"text"`
	// Extractor produced Text: ExtractorTrafilatura, ExtractorReadability,
	// ExtractorFeed or ExtractorNone.
	Extractor string `json:"extractor"`
	// Times are UTC, to the minute; zero when unknown. The From fields say
	// where each came from (the From* constants), "" when zero.
	PublishedAt   time.Time `json:"published_at,omitzero"`
	ModifiedAt    time.Time `json:"modified_at,omitzero"`
	PublishedFrom string    `json:"published_from,omitempty"`
	ModifiedFrom  string    `json:"modified_from,omitempty"`
	// Notes explain choices a reader of the result might question: the
	// charset, an extractor passed over, an ambiguous time.
	Notes []string `json:"notes,omitempty"`

	publishedZoned, modifiedZoned bool // the times carried a zone offset
}

// Extract extracts the article from an HTML page fetched from pageURL;
// contentType is the response's Content-Type header ("" for a file) and
// feed what the feed item said, if anything. See the package documentation
// for the charset, chain and time rules.
//
// A page yielding no text is not an error: Extractor is then
// ExtractorFeed or ExtractorNone. The only error is ErrNotHTML.
func Extract(body []byte, contentType, pageURL string, feed Feed) (Result, error) {
	res := Result{URL: cleanURL(pageURL)}
	feedText := fragmentText(feed.Content)

	var doc *html.Node
	if len(bytes.TrimSpace(body)) == 0 {
		res.note("empty page")
	} else {
		if !isHTML(body, contentType) {
			return Result{}, fmt.Errorf("%w (Content-Type %q)", ErrNotHTML, contentType)
		}
		d := textenc.HTML(body, contentType)
		if d.Note != "" {
			res.note(d.Note)
		}
		var err error
		doc, err = html.Parse(bytes.NewReader(d.Text))
		if err != nil {
			// The parser refuses pages nested deeper than 512 elements (a
			// guard against quadratic blow-up): read such a page flat
			// rather than lose it.
			title, text := flatText(d.Text)
			res.note("page nested too deeply for the HTML parser (" + err.Error() + "): text read flat")
			res.Title, res.Text, res.Extractor = field(firstNonEmpty(title, feed.Title)), text, ExtractorFlat
			if res.Text == "" && feedText != "" {
				res.Text, res.Extractor = feedText, ExtractorFeed
			}
			return res, nil
		}
	}

	var m pageMeta
	if doc != nil {
		m = *scanMeta(doc)
	}
	var base *url.URL
	if res.URL != "" {
		base, _ = url.Parse(res.URL)
	}
	if c := canonicalURL(base, firstNonEmpty(m.canonical, m.ogURL)); c != "" {
		res.URL = c
	}

	var tr *trafilatura.ExtractResult
	if doc != nil {
		prune(doc)
		tr = res.chain(doc, base, feedText, &m, feed.Title)
	} else if feedText != "" {
		res.Text, res.Extractor = feedText, ExtractorFeed
	} else {
		res.Extractor = ExtractorNone
	}

	var trTitle, trAuthor, trLang string
	if tr != nil {
		trTitle, trAuthor, trLang = tr.Metadata.Title, tr.Metadata.Author, tr.Metadata.Language
	}
	res.Title = field(firstNonEmpty(m.ogTitle, trTitle, m.h1, m.title, feed.Title))
	res.Author = field(firstNonEmpty(m.author, m.ld.author, trAuthor))
	res.Language = primaryLanguage(firstNonEmpty(m.lang, m.contentLang, m.ogLocale, trLang))

	var htmlDate func() stamp
	if doc != nil {
		htmlDate = func() stamp { return htmlDateStamp(doc, res.URL) }
	}
	pub, notes := pickTime("published", []stamp{
		parseStamp(m.metaPublished, FromPublishedMeta),
		parseStamp(m.ld.published, FromJSONLD),
		parseStamp(m.mdPublished, FromMicrodata),
		parseStamp(m.timePublished, FromTimeElement),
		parseStamp(firstNonEmpty(m.timeArticle, m.timeOther), FromTimeElement),
	}, feed.PublishedAt, htmlDate)
	res.Notes = append(res.Notes, notes...)
	mod, notes := pickTime("modified", []stamp{
		parseStamp(m.metaModified, FromModifiedMeta),
		parseStamp(m.ld.modified, FromJSONLD),
		parseStamp(m.mdModified, FromMicrodata),
		parseStamp(m.timeModified, FromTimeElement),
	}, feed.UpdatedAt, nil)
	res.Notes = append(res.Notes, notes...)
	res.PublishedAt, res.PublishedFrom, res.publishedZoned = pub.t, pub.from, pub.zoned
	res.ModifiedAt, res.ModifiedFrom, res.modifiedZoned = mod.t, mod.from, mod.zoned
	return res, nil
}

// chain runs the extractors in order and sets Text and Extractor; it
// returns trafilatura's result for its metadata.
//
// A first paragraph repeating the headline (one of titles, or
// trafilatura's) is dropped from the page texts: the title is a field of
// its own, and a passage found in both would be reported twice.
func (res *Result) chain(doc *html.Node, base *url.URL, feedText string, m *pageMeta, feedTitle string) *trafilatura.ExtractResult {
	need := 1
	if n := wordCount(feedText); n > 0 {
		need = max(1, int(MuchShorter*float64(n)+0.5))
	}
	titles := []string{m.h1, m.ogTitle, m.title, feedTitle}

	tr, trText, flat, err := runTrafilatura(doc, base)
	if err != nil {
		res.note("trafilatura: " + err.Error())
	}
	if t, ok := dropWholePage(trText, m.title); ok {
		res.note("trafilatura: dropped its last resort, the whole page's text")
		trText, flat = t, false
	}
	if tr != nil {
		titles = append(titles, tr.Metadata.Title)
	}
	trText = dropLeadingTitle(trText, titles)
	trWords := wordCount(trText)
	trOK := trWords >= need
	if trOK && !flat {
		res.Text, res.Extractor = trText, ExtractorTrafilatura
		return tr
	}

	rdText, err := runReadability(doc, base)
	if err != nil {
		res.note("readability: " + err.Error())
	}
	rdText = dropLeadingTitle(rdText, titles)
	rdWords := wordCount(rdText)
	rdOK := rdWords >= need

	switch {
	case trOK && rdOK && (rdWords > 2*trWords || containedShare(rdText, trText) >= sameRegion):
		// trafilatura's text is flat; readability found the article in it,
		// or far more text (trafilatura's own test for its fallbacks).
		res.note("trafilatura: fell back to its baseline (one flattened block); readability preferred")
		res.Text, res.Extractor = rdText, ExtractorReadability
	case trOK:
		if flat {
			res.note("trafilatura: only its baseline (one flattened block) found text")
		}
		res.Text, res.Extractor = trText, ExtractorTrafilatura
	case rdOK:
		res.note(res.shortNote("trafilatura", trWords, need))
		res.Text, res.Extractor = rdText, ExtractorReadability
	case feedText != "":
		res.note(res.shortNote("trafilatura", trWords, need))
		res.note(res.shortNote("readability", rdWords, need))
		res.note("using the feed's content")
		res.Text, res.Extractor = feedText, ExtractorFeed
	default:
		res.note("no text found in the page or the feed")
		res.Extractor = ExtractorNone
	}
	return tr
}

// shortNote says why an extractor's text was passed over.
func (res *Result) shortNote(name string, words, need int) string {
	if words == 0 {
		return name + ": no text"
	}
	return fmt.Sprintf("%s: %d words, fewer than %d (half the feed content's)", name, words, need)
}

// dropWholePage removes a last paragraph that starts with the page's
// <title>: only the last resort of trafilatura's baseline reads the whole
// document, head included, and it does so when the page has no body to
// speak of (a script-rendered shell, a cookie wall). A <title> usually
// carries the site's name too; a short one proves nothing.
func dropWholePage(text, title string) (string, bool) {
	title = oneLine(title)
	if utf8.RuneCountInString(title) < 20 {
		return text, false
	}
	i := strings.LastIndex(text, "\n\n")
	if !strings.HasPrefix(oneLine(text[i+1:]), title) {
		return text, false
	}
	return text[:max(i, 0)], true
}

// dropLeadingTitle removes the first paragraph equal to one of titles if
// it is among the first three (after a section label or a kicker).
func dropLeadingTitle(text string, titles []string) string {
	paras := strings.SplitN(text, "\n\n", 4)
	for i, para := range paras[:min(3, len(paras))] {
		para = oneLine(para)
		for _, t := range titles {
			if t = oneLine(t); t != "" && strings.EqualFold(para, t) {
				return strings.Join(slices.Delete(paras, i, i+1), "\n\n")
			}
		}
	}
	return text
}

func (res *Result) note(s string) { res.Notes = append(res.Notes, s) }

// trafilaturaOptions leave out comments, images and link targets. Its own
// fallback (readability and dom-distiller on every page, twice the cost)
// is off: the chain is the fallback. Its date search is off: Extract runs
// go-htmldate only when the page metadata and the feed give no time.
//
// The focus stays Balanced. FavorPrecision also drops trafilatura's
// baseline rescue and prunes paragraphs harder; on go-trafilatura's own
// comparison corpus (983 pages with annotated must-have and must-not-have
// passages) it cost this chain 1.8 points of recall for 0.9 of precision.
// Precision comes instead from prune and from replacing the baseline's
// flattened text with readability's.
func trafilaturaOptions(base *url.URL) trafilatura.Options {
	return trafilatura.Options{
		OriginalURL:     base,
		Focus:           trafilatura.Balanced,
		ExcludeComments: true,
		IncludeImages:   false,
		IncludeLinks:    false,
		HtmlDateMode:    trafilatura.Disabled,
	}
}

// runTrafilatura returns trafilatura's result and its text. The library
// reports "nothing found" as an error; it is returned for the notes.
//
// flat reports output that is a single paragraph without markup: what
// trafilatura's last-resort baseline produces when its main extraction
// finds too little (the whole text of the <article>, or of the <body>,
// flattened, related links and all).
func runTrafilatura(doc *html.Node, base *url.URL) (res *trafilatura.ExtractResult, text string, flat bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, text, flat, err = nil, "", false, fmt.Errorf("panic: %v", r)
		}
	}()
	res, err = trafilatura.ExtractDocument(doc, trafilaturaOptions(base))
	if err != nil || res == nil {
		return nil, "", false, err
	}
	return res, trimmedNodeText(res.ContentNode), isFlat(res.ContentNode), nil
}

// isFlat reports whether n has a single element child, a paragraph with
// nothing but text in it.
func isFlat(n *html.Node) bool {
	var p *html.Node
	for c := range n.ChildNodes() {
		if c.Type == html.ElementNode {
			if p != nil {
				return false
			}
			p = c
		}
	}
	if p == nil || p.Data != "p" {
		return false
	}
	for c := range p.ChildNodes() {
		if c.Type == html.ElementNode {
			return false
		}
	}
	return true
}

// runReadability returns readability's text for doc, which it clones.
func runReadability(doc *html.Node, base *url.URL) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("panic: %v", r)
		}
	}()
	p := readability.NewParser()
	a, err := p.ParseDocument(doc, base)
	if err != nil {
		return "", err
	}
	return nodeText(a.Node), nil
}

// isHTML accepts HTML and XHTML content types and, for a missing or
// generic one, a body that sniffs as HTML.
func isHTML(body []byte, contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil, mt == "", mt == "application/octet-stream", mt == "text/plain":
		return strings.HasPrefix(http.DetectContentType(body), "text/html") ||
			bytes.Contains(bytes.ToLower(body[:min(len(body), 4096)]), []byte("<html"))
	case mt == "text/html", mt == "application/xhtml+xml":
		return true
	}
	return false
}

// cleanURL drops userinfo and fragment from a page URL; an unparsable one
// is kept as given.
func cleanURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// canonicalURL resolves a canonical link against base; only absolute
// http(s) results count.
func canonicalURL(base *url.URL, href string) string {
	if href == "" {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return cleanURL(u.String())
}

// primaryLanguage is the primary subtag of a language tag, lower case
// ("fr-FR", "fr_FR" → "fr").
func primaryLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	tag = strings.ToLower(tag)
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	return tag
}
