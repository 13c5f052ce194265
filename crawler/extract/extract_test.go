package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"github.com/silencewatch/silencewatch/article"
)

func TestExtractNotHTML(t *testing.T) {
	for _, ct := range []string{"application/pdf", "image/png", "application/json"} {
		_, err := Extract([]byte("%PDF-1.4 binary"), ct, "https://example.org/a.pdf", Feed{})
		if !errors.Is(err, ErrNotHTML) || !strings.HasPrefix(err.Error(), "extract: ") {
			t.Errorf("Content-Type %q: err = %v, want ErrNotHTML", ct, err)
		}
	}
	// A generic or missing type is sniffed.
	for _, ct := range []string{"", "text/plain", "application/octet-stream", "text/html;;bad"} {
		res, err := Extract([]byte("<!DOCTYPE html><html><body><p>Un texte.</p></body></html>"), ct, "https://example.org/a", Feed{})
		if err != nil || res.Text != "Un texte." {
			t.Errorf("Content-Type %q: %q, %v", ct, res.Text, err)
		}
	}
}

func TestExtractEmptyPage(t *testing.T) {
	res, err := Extract(nil, "text/html", "https://example.org/a", Feed{Content: "<p>Le texte du flux.</p>", Title: "Titre"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Extractor != ExtractorFeed || res.Text != "Le texte du flux." || res.Title != "Titre" {
		t.Errorf("got %+v", res)
	}
	res, err = Extract([]byte("  \n"), "text/html", "https://example.org/a", Feed{})
	if err != nil || res.Extractor != ExtractorNone || res.Text != "" {
		t.Errorf("got %+v, %v", res, err)
	}
}

// TestExtractPaywallFullFeed: when the feed carries the whole article and
// the page only a teaser, the feed's content wins.
func TestExtractPaywallFullFeed(t *testing.T) {
	page, teaser := readFixture(t, "en_paywall")
	full := teaser
	for i := range 12 {
		full += fmt.Sprintf("\n\nIn briefing %d, the agencies said they now share indicators of compromise within hours and have asked parties to adopt two-factor authentication for every staff account.", i+1)
	}
	res, err := Extract(page, "text/html", "https://www.register.example/technology/x", Feed{Content: full})
	if err != nil {
		t.Fatal(err)
	}
	if res.Extractor != ExtractorFeed || res.Text != fragmentText(full) {
		t.Errorf("Extractor = %q (notes %q), text:\n%s", res.Extractor, res.Notes, res.Text)
	}
}

// TestExtractMuchShorter checks the threshold: a page text with fewer than
// half the feed content's words is passed over.
func TestExtractMuchShorter(t *testing.T) {
	var paras string
	for _, n := range []string{"premier", "deuxième", "troisième", "quatrième", "cinquième"} {
		paras += "<p>Le " + n + " paragraphe de dix mots pour mesurer le seuil.</p>"
	}
	page := []byte("<html><body><article>" + paras + "</article></body></html>") // 50 words
	for _, tt := range []struct {
		feedWords int
		want      string
	}{
		{0, ExtractorTrafilatura},
		{60, ExtractorTrafilatura},
		{100, ExtractorTrafilatura}, // exactly half
		{102, ExtractorFeed},
	} {
		feed := Feed{Content: strings.Repeat("mot ", tt.feedWords)}
		res, err := Extract(page, "text/html", "https://example.org/a", feed)
		if err != nil {
			t.Fatal(err)
		}
		if res.Extractor != tt.want {
			t.Errorf("feed of %d words: Extractor = %q, want %q (notes %q)", tt.feedWords, res.Extractor, tt.want, res.Notes)
		}
	}
}

func TestExtractURLAndMeta(t *testing.T) {
	page := []byte(`<html lang="fr-FR"><head><title>Titre | Site</title>
		<link rel="canonical" href="/politique/article-1.html">
		<meta name="author" content="Claire Dumont"></head>
		<body><article><h1>Titre</h1><p>Le corps de l'article, avec assez de mots pour que les extracteurs le gardent.</p></article></body></html>`)
	res, err := Extract(page, "text/html", "https://user:secret@www.example.fr/x?utm=1#top", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if res.URL != "https://www.example.fr/politique/article-1.html" {
		t.Errorf("URL = %q", res.URL)
	}
	if res.Language != "fr" || res.Author != "Claire Dumont" || res.Title != "Titre" {
		t.Errorf("Language %q, Author %q, Title %q", res.Language, res.Author, res.Title)
	}
	if strings.HasPrefix(res.Text, "Titre") {
		t.Errorf("headline repeated in the text: %q", res.Text)
	}

	// Without a usable canonical link the page URL stays, minus
	// credentials and fragment.
	page = bytes.Replace(page, []byte(`href="/politique/article-1.html"`), []byte(`href="javascript:void(0)"`), 1)
	res, err = Extract(page, "text/html", "https://user:secret@www.example.fr/x?utm=1#top", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if res.URL != "https://www.example.fr/x?utm=1" {
		t.Errorf("URL = %q", res.URL)
	}
}

func TestExtractJSON(t *testing.T) {
	page, _ := readFixture(t, "fr_cp1252_httpequiv")
	res, err := Extract(page, "", "http://oeil-du-nord.blogs.example/2017/05/05/marche/", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["text"] != res.Text || got["extractor"] != ExtractorTrafilatura ||
		got["published_at"] != "2017-05-05T17:20:00Z" || got["published_from"] != FromMicrodata {
		t.Errorf("JSON: %s", b)
	}
	if _, ok := got["modified_at"]; ok {
		t.Errorf("zero modified_at in JSON: %s", b)
	}
	if !strings.Contains(got["text"].(string), "Le cœur n’y est plus") {
		t.Errorf("text: %q", got["text"])
	}
}

func TestWriteText(t *testing.T) {
	r := Result{
		URL: "https://example.org/a", Title: "T", Extractor: ExtractorReadability, Text: "Body.",
		PublishedAt: feedDate("2017-05-06T07:47:00Z"), PublishedFrom: FromPublishedMeta,
		Notes: []string{"a note"},
	}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "URL:       https://example.org/a\nTitle:     T\nExtractor: readability\n" +
		"Published: 2017-05-06T07:47Z (article:published_time)\nNote:      a note\n\nBody.\n"
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestApply(t *testing.T) {
	feedTime := feedDate("2017-05-06T08:00:00Z")
	pageTime := feedDate("2017-05-06T07:47:00Z")
	base := article.Article{Title: "Feed title", Content: "Teaser.", PublishedAt: feedTime, URL: "https://example.org/a"}

	tests := []struct {
		name string
		r    Result
		want article.Article
	}{
		{"page text and zoned page time win",
			Result{Extractor: ExtractorTrafilatura, Text: "Full text.", Title: "Page title", Language: "fr", PublishedAt: pageTime, PublishedFrom: FromPublishedMeta, publishedZoned: true},
			article.Article{Title: "Feed title", Content: "Full text.", Language: "fr", PublishedAt: pageTime, URL: "https://example.org/a"}},
		{"htmldate does not replace a feed time",
			Result{Extractor: ExtractorReadability, Text: "Full text.", PublishedAt: pageTime, PublishedFrom: FromHTMLDate, publishedZoned: true},
			article.Article{Title: "Feed title", Content: "Full text.", PublishedAt: feedTime, URL: "https://example.org/a"}},
		{"unzoned page time does not replace a feed time",
			Result{Extractor: ExtractorTrafilatura, Text: "Full text.", PublishedAt: pageTime, PublishedFrom: FromPublishedMeta},
			article.Article{Title: "Feed title", Content: "Full text.", PublishedAt: feedTime, URL: "https://example.org/a"}},
		{"feed extractor keeps the article's content",
			Result{Extractor: ExtractorFeed, Text: "Teaser, reformatted."},
			base},
		{"none changes nothing",
			Result{Extractor: ExtractorNone},
			base},
	}
	for _, tt := range tests {
		a := base
		tt.r.Apply(&a)
		if a != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, a, tt.want)
		}
	}

	var empty article.Article
	Result{Extractor: ExtractorFeed, Text: "From feed.", ModifiedAt: pageTime, ModifiedFrom: FromHTMLDate}.Apply(&empty)
	if empty.Content != "From feed." || !empty.UpdatedAt.Equal(pageTime) {
		t.Errorf("empty article: %+v", empty)
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name, body string
		gone, kept []string
	}{
		{"inline lire aussi",
			`<p>Corps.</p><p><strong>Lire aussi :</strong> <a href="/x">#MacronLeaks : ce que contiennent les courriels</a></p>`,
			[]string{"MacronLeaks"}, []string{"Corps."}},
		{"see also with arrow and nested markup",
			`<p>Corps.</p><div class="encadre"><span>► À LIRE AUSSI</span><ul><li><a href="/x">Courriels piratés : l'enquête</a></li><li><a href="/y">Autre</a></li></ul></div>`,
			[]string{"Courriels piratés"}, []string{"Corps."}},
		{"english related line",
			`<p>Body.</p><p>Related: <a href="/x">Hacked emails dumped online</a></p>`,
			[]string{"Hacked emails"}, []string{"Body."}},
		{"prose starting with a marker word stays",
			`<p>Related parties, the report says, were never consulted about the <a href="/r">report</a> before publication.</p>`,
			nil, []string{"Related parties"}},
		{"lire aussi inside a word does not count",
			`<p>Lire aussitôt les consignes : <a href="/c">consignes</a></p>`,
			nil, []string{"aussitôt"}},
		{"subscription prompt goes",
			`<p>Body.</p><div class="paywall-prompt"><h3>Continue reading with a membership</h3><a href="/s">Subscribe</a></div>`,
			[]string{"membership"}, []string{"Body."}},
		{"locked article text named paywall stays",
			`<div class="article paywalled"><p>Le gouvernement a présenté son projet de loi mercredi.</p></div>`,
			nil, []string{"projet de loi"}},
		{"a long link-heavy wrapper stays, its see-also heading goes",
			`<div><p>Most read</p>` + strings.Repeat(`<p><a href="/x">Un titre d'article assez long pour peser dans le calcul</a></p>`, 60) + `</div>`,
			[]string{"Most read"}, []string{"Un titre d'article"}},
	}
	for _, tt := range tests {
		doc, err := html.Parse(strings.NewReader("<html><body>" + tt.body + "</body></html>"))
		if err != nil {
			t.Fatal(err)
		}
		prune(doc)
		text := nodeText(doc)
		for _, s := range tt.gone {
			if strings.Contains(text, s) {
				t.Errorf("%s: %q kept in %q", tt.name, s, text)
			}
		}
		for _, s := range tt.kept {
			if !strings.Contains(text, s) {
				t.Errorf("%s: %q lost from %q", tt.name, s, text)
			}
		}
	}
}

func TestNodeText(t *testing.T) {
	tests := []struct{ in, want, trimmed string }{
		{`<p>a  b</p><p>c<br>d</p><ul><li>e</li><li>f</li></ul>`, "a b\n\nc\nd\n\ne\n\nf", ""},
		{`<p>in your <code>Dockerfile</code>to ensure</p>`, "in your Dockerfileto ensure", "in your Dockerfile to ensure"},
		{`<p>le 1<sup>er</sup> mai, l’<a>Élysée</a>, «<em>non</em>»</p>`, "le 1er mai, l’Élysée, «non»", "le 1er mai, l’Élysée, «non»"},
		{"<p>soft\u00adhyphen zero\u200bwidth &amp; <script>x()</script>ok</p>", "softhyphen zerowidth & ok", ""},
		{"<p>same</p><p>same</p><p>other</p><p>same</p>", "same\n\nother\n\nsame", ""},
		{"<p>e\u0301lection</p>", "élection", ""},
	}
	for _, tt := range tests {
		doc, _ := html.Parse(strings.NewReader(tt.in))
		if got := nodeText(doc); got != tt.want {
			t.Errorf("nodeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.trimmed == "" {
			continue
		}
		// trafilatura builds its output without atoms; mimic that.
		for n := range doc.Descendants() {
			n.DataAtom = 0
		}
		if got := trimmedNodeText(doc); got != tt.trimmed {
			t.Errorf("trimmedNodeText(%q) = %q, want %q", tt.in, got, tt.trimmed)
		}
	}
}

// TestExtractConcurrent runs the fixtures at once, for the race detector:
// the extractors keep package-level state (regexps, caches).
func TestExtractConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 3 {
		for _, f := range fixtures {
			wg.Go(func() {
				page, _ := readFixture(t, f.name)
				if _, err := Extract(page, f.contentType, f.url, f.feed); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
}

func BenchmarkExtract(b *testing.B) {
	type page struct {
		body []byte
		f    fixture
	}
	var pages []page
	var size int
	for _, f := range fixtures {
		body, _ := readFixture(b, f.name)
		pages = append(pages, page{body, f})
		size += len(body)
	}
	b.SetBytes(int64(size / len(pages)))
	for i := 0; b.Loop(); i++ {
		p := pages[i%len(pages)]
		if _, err := Extract(p.body, p.f.contentType, p.f.url, p.f.feed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

func TestDropTitles(t *testing.T) {
	titles := []string{"", "Le titre de l'article"}
	leading := []struct{ in, want string }{
		{"Le titre de l'article\n\nCorps.", "Corps."},
		{"Rubrique\n\nLE TITRE  DE L'ARTICLE\n\nCorps.", "Rubrique\n\nCorps."},
		{"Un\n\nDeux\n\nTrois\n\nLe titre de l'article", "Un\n\nDeux\n\nTrois\n\nLe titre de l'article"},
		{"Le titre de l'article, suite.\n\nCorps.", "Le titre de l'article, suite.\n\nCorps."},
		{"", ""},
	}
	for _, tt := range leading {
		if got := dropLeadingTitle(tt.in, titles); got != tt.want {
			t.Errorf("dropLeadingTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}

	const title = "Un dernier meeting | Info Limousin"
	whole := []struct {
		text, title, want string
		dropped           bool
	}{
		{title + " Activez JavaScript.", title, "", true},
		{"Un texte.\n\n" + title + " Un texte.", title, "Un texte.", true},
		{"Macron a parlé.\n\nMacron est reparti.", "Macron", "Macron a parlé.\n\nMacron est reparti.", false},
		{"Corps.", title, "Corps.", false},
	}
	for _, tt := range whole {
		got, dropped := dropWholePage(tt.text, tt.title)
		if got != tt.want || dropped != tt.dropped {
			t.Errorf("dropWholePage(%q) = %q, %v; want %q, %v", tt.text, got, dropped, tt.want, tt.dropped)
		}
	}
}

// TestExtractShellWithoutFeed: a script-rendered shell without a feed
// yields nothing rather than its <title> and <noscript> text.
func TestExtractShellWithoutFeed(t *testing.T) {
	page, _ := readFixture(t, "fr_js_shell")
	res, err := Extract(page, "text/html", "https://www.info-limousin.example/politique/gueret-dernier-meeting", Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Extractor != ExtractorNone || res.Text != "" {
		t.Errorf("Extractor %q, text %q", res.Extractor, res.Text)
	}
}

// TestExtractDeepPageFlat: a page nested deeper than the HTML parser's
// 512-element limit is read flat instead of failing.
func TestExtractDeepPageFlat(t *testing.T) {
	body := "<html><head><title>Fuite : ce que disent les courriels</title><script>var x=1</script></head><body>" +
		strings.Repeat("<div>", 600) + "<p>Premier paragraphe de l'article.</p><p>Second paragraphe.</p>" +
		strings.Repeat("</div>", 600) + "</body></html>"
	res, err := Extract([]byte(body), "text/html; charset=utf-8", "https://example.org/a", Feed{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if res.Extractor != ExtractorFlat {
		t.Errorf("Extractor = %q, want %q", res.Extractor, ExtractorFlat)
	}
	if want := "Premier paragraphe de l'article.\n\nSecond paragraphe."; res.Text != want {
		t.Errorf("Text = %q, want %q", res.Text, want)
	}
	if res.Title != "Fuite : ce que disent les courriels" {
		t.Errorf("Title = %q", res.Title)
	}
}
