package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
)

// testSite is a local news site that logs every request it receives.
type testSite struct {
	t   *testing.T
	srv *httptest.Server
	rt  *crawler.Transport // fresh per site: its own robots.txt cache

	mu          sync.Mutex
	pages       map[string]testPage // by path
	hits        []hit
	inflight    int
	maxInflight int
	maxGoros    int
}

type testPage struct {
	status int
	header map[string]string
	body   []byte
	sleep  time.Duration // before answering, unless the request is cancelled
}

type hit struct {
	path string
	at   time.Time
	ua   string
}

// loopbackTransport is a fresh Transport (its own robots.txt cache) whose
// guard lets the test servers' loopback addresses through.
func loopbackTransport() *crawler.Transport {
	return crawler.NewTransport(crawler.TransportOptions{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
}

func newTestSite(t *testing.T) *testSite {
	t.Helper()
	s := &testSite{t: t, pages: make(map[string]testPage), rt: loopbackTransport()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *testSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits = append(s.hits, hit{path: r.URL.Path, at: time.Now(), ua: r.UserAgent()})
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	s.maxGoros = max(s.maxGoros, runtime.NumGoroutine())
	p, ok := s.pages[r.URL.Path]
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()
	if r.Header.Get(tagHeader) != "" {
		s.t.Errorf("%s: the capture tag header reached the server", r.URL.Path)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	if p.sleep > 0 {
		select {
		case <-time.After(p.sleep):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range p.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	w.WriteHeader(cmp(p.status, http.StatusOK))
	w.Write(p.body)
}

func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (s *testSite) set(path string, p testPage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = p
}

func (s *testSite) html(path, body string) { s.set(path, testPage{body: []byte(body)}) }

func (s *testSite) url(path string) string { return s.srv.URL + path }

// requested returns the paths requested so far, in order, and resets the
// log when reset is set.
func (s *testSite) requested(reset bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, h := range s.hits {
		out = append(out, h.path)
	}
	if reset {
		s.hits = nil
	}
	return out
}

func (s *testSite) hitsCopy() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// section is an HTML page linking to hrefs.
func section(title string, hrefs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=fr><head><title>%s</title></head><body><nav><a href=\"/\">Accueil</a></nav><ul>\n", title)
	for _, h := range hrefs {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", h, h)
	}
	b.WriteString("</ul></body></html>")
	return b.String()
}

func articleHTML(title string, hrefs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=fr><head><title>%s</title></head><body><article><h1>%s</h1><p>Texte de l'article %s.</p>", title, title, title)
	for _, h := range hrefs {
		fmt.Fprintf(&b, "<p>Lire aussi <a href=\"%s\">%s</a></p>", h, h)
	}
	b.WriteString("</article></body></html>")
	return b.String()
}

var articlePattern = regexp.MustCompile(`/\d{4}/\d{2}/[^/?#]+\.html$`)

const latin1Text = "Le second tour de l'élection présidentielle a lieu dimanche. " +
	"Les électeurs français sont appelés à voter ; la période de réserve interdit " +
	"toute propagande électorale à partir de samedi zéro heure. Déjà, les bureaux " +
	"de vote se préparent et les préfectures vérifient les procès-verbaux."

func latin1(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.ISO8859_1.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(t *testing.T, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newsSite builds the standard fixture:
//
//	/news/, /politique/          start pages
//	/2017/05/a1..a3.html         articles linked from them
//	/2017/05/deep.html           linked only from a1 (depth 2)
//	/2017/05/latin1.html         ISO-8859-1, charset only in <meta>, links to
//	/2017/05/élection-suite.html (depth 2, a non-ASCII path written in Latin-1)
//	/private/...                 article links robots.txt disallows, directly
//	                             and through /2017/05/moved.html's redirect
//	/sitemap_index.xml → /sitemaps/articles.xml.gz (gzip, no Content-Encoding)
//	                   → /sitemaps/news.xml (Google News)
//	/2017/05/sm1.html, news1.html found only through the sitemaps
func newsSite(t *testing.T) *testSite {
	s := newTestSite(t)
	s.set("/robots.txt", testPage{
		header: map[string]string{"Content-Type": "text/plain"},
		body:   []byte("User-agent: *\nDisallow: /private/\n"),
	})
	s.html("/news/", section("Actualité",
		"/2017/05/a1.html", "/2017/05/a2.html", "/about.html", "/tag/macron",
		"/private/2017/05/secret.html", "https://elsewhere.example/2017/05/x.html",
		"#top", "mailto:redaction@example.org", "/politique/"))
	s.html("/politique/", section("Politique",
		"/2017/05/a2.html", s.url("/2017/05/a3.html"), "/2017/05/latin1.html", "/2017/05/moved.html"))
	s.html("/2017/05/a1.html", articleHTML("a1", "/2017/05/deep.html", "/about.html"))
	s.html("/2017/05/a2.html", articleHTML("a2"))
	s.html("/2017/05/a3.html", articleHTML("a3"))
	s.html("/2017/05/deep.html", articleHTML("deep"))
	s.html("/2017/05/sm1.html", articleHTML("sm1"))
	s.html("/2017/05/news1.html", articleHTML("news1"))
	s.html("/2017/05/élection-suite.html", articleHTML("suite"))
	s.html("/about.html", articleHTML("about"))
	s.html("/tag/macron", section("Tag"))
	s.html("/private/2017/05/secret.html", articleHTML("secret"))
	s.html("/private/2017/05/moved.html", articleHTML("moved"))
	s.set("/2017/05/moved.html", testPage{status: http.StatusMovedPermanently,
		header: map[string]string{"Location": "/private/2017/05/moved.html"}})
	s.set("/2017/05/latin1.html", testPage{
		header: map[string]string{"Content-Type": "text/html"},
		body: latin1(t, `<!doctype html><html lang="fr"><head><meta charset="iso-8859-1">`+
			`<title>Présidentielle : l'élection de dimanche</title></head><body><article>`+
			`<h1>Présidentielle : l'élection de dimanche</h1><p>`+latin1Text+`</p><p>`+latin1Text+`</p>`+
			`<p><a href="/2017/05/élection-suite.html">Suite de l'élection</a></p></article></body></html>`),
	})
	s.set("/sitemap_index.xml", testPage{
		header: map[string]string{"Content-Type": "application/xml"},
		body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>` + s.url("/sitemaps/articles.xml.gz") + `</loc><lastmod>2017-05-06</lastmod></sitemap>
  <sitemap><loc>` + s.url("/sitemaps/news.xml") + `</loc><lastmod>2017-05-06T23:30:00+02:00</lastmod></sitemap>
  <sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap>
</sitemapindex>`),
	})
	s.set("/sitemaps/articles.xml.gz", testPage{
		header: map[string]string{"Content-Type": "application/x-gzip"},
		body: gzipBytes(t, `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>`+s.url("/2017/05/sm1.html")+`</loc><lastmod>2017-05-05T18:00:00Z</lastmod></url>
  <url><loc>`+s.url("/2017/05/a1.html")+`</loc><lastmod>2017-05-04</lastmod></url>
</urlset>`),
	})
	s.set("/sitemaps/news.xml", testPage{
		header: map[string]string{"Content-Type": "application/xml"},
		body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>` + s.url("/2017/05/news1.html") + `</loc>
    <news:news>
      <news:publication><news:name>Le Quotidien</news:name><news:language>fr</news:language></news:publication>
      <news:publication_date>2017-05-06T23:10:00+02:00</news:publication_date>
      <news:title>Fuite de courriels : la commission appelle à la retenue</news:title>
    </news:news>
  </url>
</urlset>`),
	})
	return s
}

func (s *testSite) options(v Visited) Options {
	return Options{Transport: s.rt,
		Source:      "quotidien",
		StartURLs:   []string{s.url("/news/"), s.url("/politique/")},
		Follow:      []*regexp.Regexp{articlePattern},
		Sitemaps:    []string{s.url("/sitemap_index.xml")},
		UserAgent:   "silencewatch-test/1.0 (+https://example.org/contact)",
		Parallelism: 1, // FIFO: a deterministic order
		Delay:       -1,
		Timeout:     5 * time.Second,
		Visited:     v,
	}
}

// collect runs Crawl and returns the pages by path.
func collect(t *testing.T, ctx context.Context, opts Options) (map[string]Page, Stats, error) {
	t.Helper()
	pages := make(map[string]Page)
	var mu sync.Mutex
	calling := false
	stats, err := Crawl(ctx, opts, func(p Page) error {
		mu.Lock()
		if calling {
			t.Errorf("onPage called concurrently")
		}
		calling = true
		mu.Unlock()
		u, err := url.Parse(p.URL)
		if err != nil {
			t.Errorf("Page.URL %q: %v", p.URL, err)
			return nil
		}
		path := u.Path
		if _, dup := pages[path]; dup {
			t.Errorf("onPage called twice for %s", path)
		}
		pages[path] = p
		mu.Lock()
		calling = false
		mu.Unlock()
		return nil
	})
	return pages, stats, err
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestCrawlFindsArticles(t *testing.T) {
	t.Setenv("COLLY_IGNORE_ROBOTSTXT", "1") // must not switch robots.txt off
	s := newsSite(t)
	v := NewMemoryVisited()
	pages, stats, err := collect(t, context.Background(), s.options(v))
	if err != nil {
		t.Fatalf("Crawl: %v (stats %+v)", err, stats)
	}

	want := []string{"/2017/05/a1.html", "/2017/05/a2.html", "/2017/05/a3.html",
		"/2017/05/latin1.html", "/2017/05/news1.html", "/2017/05/sm1.html"}
	if got := keys(pages); !slices.Equal(got, want) {
		t.Errorf("articles = %v, want %v", got, want)
	}
	requested := s.requested(false)
	for _, never := range []string{
		"/private/2017/05/secret.html", "/private/2017/05/moved.html", // robots.txt
		"/about.html", "/tag/macron", // not articles
		"/2017/05/deep.html", "/2017/05/élection-suite.html", // depth 2 > MaxDepth 1
	} {
		if slices.Contains(requested, never) {
			t.Errorf("%s was requested; log %v", never, requested)
		}
	}
	for _, p := range []string{"/news/", "/politique/", "/sitemap_index.xml", "/sitemaps/articles.xml.gz", "/sitemaps/news.xml"} {
		if n := count(requested, p); n != 1 {
			t.Errorf("%s requested %d times, want 1", p, n)
		}
	}
	if n := count(requested, "/robots.txt"); n != 1 {
		t.Errorf("robots.txt requested %d times in one pass, want 1", n)
	}
	for _, h := range s.hitsCopy() {
		if h.ua != "silencewatch-test/1.0 (+https://example.org/contact)" {
			t.Errorf("%s: User-Agent %q", h.path, h.ua)
		}
	}

	if stats.Articles != 6 || stats.Disallowed != 2 || stats.ErrorCount != 0 || stats.QueueDrops != 0 {
		t.Errorf("stats = %+v, want 6 articles, 2 disallowed (link and redirect), no errors, no drops", stats)
	}
	// Start pages, sitemaps and 6 articles; the refused redirect is no response.
	if stats.Fetched != 5+6 {
		t.Errorf("Fetched = %d, want 11", stats.Fetched)
	}

	news := pages["/2017/05/news1.html"]
	if !news.FromSitemap || !news.SitemapPublished.Equal(time.Date(2017, 5, 6, 21, 10, 0, 0, time.UTC)) {
		t.Errorf("news1: FromSitemap %v, SitemapPublished %v; want the news:publication_date 21:10 UTC", news.FromSitemap, news.SitemapPublished)
	}
	if sm := pages["/2017/05/sm1.html"]; !sm.FromSitemap || !sm.SitemapPublished.Equal(time.Date(2017, 5, 5, 18, 0, 0, 0, time.UTC)) || sm.Depth != 1 {
		t.Errorf("sm1: %+v; want lastmod 2017-05-05T18:00Z, depth 1", sm)
	}
	a3 := pages["/2017/05/a3.html"]
	if a3.Status != 200 || a3.Depth != 1 || a3.FromSitemap || a3.FetchedAt.IsZero() ||
		a3.SHA256 != sha256.Sum256(a3.Body) || !bytes.Contains(a3.Body, []byte("<h1>a3</h1>")) ||
		a3.FinalURL != s.url("/2017/05/a3.html") || !strings.HasPrefix(a3.Header.Get("Content-Type"), "text/html") {
		t.Errorf("a3 page = %+v", a3)
	}

	// Visited holds exactly the articles, under their normalised URLs.
	var wantKeys []string
	for _, p := range want {
		wantKeys = append(wantKeys, s.url(p))
	}
	gotKeys := v.Keys("quotidien")
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("visited keys = %v, want %v", gotKeys, wantKeys)
	}
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

func TestCrawlLatin1Page(t *testing.T) {
	s := newsSite(t)
	opts := s.options(NewMemoryVisited())
	opts.MaxDepth = 2
	pages, _, err := collect(t, context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := pages["/2017/05/latin1.html"]
	if !ok {
		t.Fatalf("latin1 page not found; got %v", keys(pages))
	}
	s.mu.Lock()
	raw := s.pages["/2017/05/latin1.html"].body
	s.mu.Unlock()
	if !bytes.Equal(p.Body, raw) {
		t.Errorf("Body is not the raw ISO-8859-1 bytes as served")
	}
	if p.SHA256 != sha256.Sum256(raw) {
		t.Errorf("SHA256 is not that of the raw bytes")
	}
	if !bytes.Contains(p.Body, []byte("<meta charset=\"iso-8859-1\">")) || p.Header.Get("Content-Type") != "text/html" {
		t.Errorf("the charset hint (meta only) is lost: Content-Type %q", p.Header.Get("Content-Type"))
	}
	// Decoded as the next stage decodes it (header, else <meta>).
	a, err := extract.Extract(p.Body, p.Header.Get("Content-Type"), p.URL, extract.Feed{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Text, "l'élection présidentielle") || !strings.Contains(a.Title, "élection") {
		t.Errorf("decoded text garbled: title %q, text %.80q", a.Title, a.Text)
	}
	// colly's own decoding (DetectCharset) read the Latin-1 href right: the
	// link was followed to its UTF-8, percent-encoded form.
	if !slices.Contains(s.requested(false), "/2017/05/élection-suite.html") {
		t.Errorf("the Latin-1 link was not followed correctly; requests %v", s.requested(false))
	}
	if suite, ok := pages["/2017/05/élection-suite.html"]; !ok || suite.Depth != 2 {
		t.Errorf("élection-suite: %+v, want depth 2", suite)
	}
}

func TestCrawlMaxDepth(t *testing.T) {
	for _, tc := range []struct {
		depth int
		deep  bool
	}{{1, false}, {2, true}} {
		t.Run(fmt.Sprint(tc.depth), func(t *testing.T) {
			s := newsSite(t)
			opts := s.options(NewMemoryVisited())
			opts.MaxDepth = tc.depth
			pages, _, err := collect(t, context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			_, got := pages["/2017/05/deep.html"]
			if got != tc.deep || slices.Contains(s.requested(false), "/2017/05/deep.html") != tc.deep {
				t.Errorf("MaxDepth %d: deep.html fetched = %v, want %v", tc.depth, got, tc.deep)
			}
			if got && pages["/2017/05/deep.html"].Depth != 2 {
				t.Errorf("deep.html Depth = %d, want 2", pages["/2017/05/deep.html"].Depth)
			}
			if slices.Contains(s.requested(false), "/about.html") {
				t.Errorf("/about.html (not an article) was requested")
			}
		})
	}
}

func TestCrawlVisitedAcrossPasses(t *testing.T) {
	s := newsSite(t)
	v := NewMemoryVisited()
	opts := s.options(v)
	first, _, err := collect(t, context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	s.requested(true)

	// Between passes a1 is revised, a2 disappears, a new article appears.
	s.html("/2017/05/a1.html", articleHTML("a1 (mis à jour)"))
	s.set("/2017/05/a2.html", testPage{status: http.StatusGone, body: []byte("gone")})
	s.html("/2017/05/a4.html", articleHTML("a4"))
	s.html("/news/", section("Actualité", "/2017/05/a4.html", "/2017/05/a1.html", "/2017/05/a2.html"))

	second, stats, err := collect(t, context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(second); !slices.Equal(got, []string{"/2017/05/a4.html"}) {
		t.Errorf("second pass articles = %v, want only the new a4", got)
	}
	requested := s.requested(true)
	for _, p := range []string{"/news/", "/politique/", "/sitemap_index.xml", "/sitemaps/news.xml"} {
		if !slices.Contains(requested, p) {
			t.Errorf("second pass did not fetch %s again; requests %v", p, requested)
		}
	}
	for _, p := range keys(first) {
		if slices.Contains(requested, p) {
			t.Errorf("second pass re-fetched visited article %s", p)
		}
	}
	if stats.SkippedVisited < len(first) {
		t.Errorf("SkippedVisited = %d, want at least %d", stats.SkippedVisited, len(first))
	}

	// Fetch re-fetches the revised page, and tells the vanished one.
	opts.Visited = nil // Fetch needs none
	p, err := Fetch(context.Background(), opts, s.url("/2017/05/a1.html"))
	if err != nil {
		t.Fatalf("Fetch a1: %v", err)
	}
	if !bytes.Contains(p.Body, []byte("mis à jour")) || p.SHA256 == first["/2017/05/a1.html"].SHA256 || p.SHA256 != sha256.Sum256(p.Body) {
		t.Errorf("Fetch a1 did not return the revision: %q", p.Body)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{{"/2017/05/a2.html", 410}, {"/2017/05/never.html", 404}} {
		p, err := Fetch(context.Background(), opts, s.url(tc.path))
		var e *Error
		if !errors.Is(err, ErrGone) || !errors.As(err, &e) || e.Status != tc.status || p.Status != tc.status {
			t.Errorf("Fetch %s = status %d, %v; want ErrGone with %d", tc.path, p.Status, err, tc.status)
		}
		if e != nil && (e.Retryable() || !strings.HasPrefix(err.Error(), `site: source "quotidien": http://`)) {
			t.Errorf("Fetch %s error %q: retryable %v", tc.path, err, e.Retryable())
		}
	}
}

func TestFetchHonoursRobots(t *testing.T) {
	s := newsSite(t)
	opts := s.options(nil)
	for _, path := range []string{"/private/2017/05/secret.html", "/2017/05/moved.html"} {
		_, err := Fetch(context.Background(), opts, s.url(path))
		if !errors.Is(err, ErrDisallowed) {
			t.Errorf("Fetch %s: err = %v, want ErrDisallowed", path, err)
		}
	}
	for _, p := range s.requested(false) {
		if strings.HasPrefix(p, "/private/") {
			t.Errorf("%s was requested", p)
		}
	}
}

func TestCrawlDelay(t *testing.T) {
	const delay = 150 * time.Millisecond
	s := newTestSite(t)
	s.html("/", section("Une", "/2017/05/1.html", "/2017/05/2.html", "/2017/05/3.html", "/2017/05/4.html"))
	for i := 1; i <= 4; i++ {
		s.html(fmt.Sprintf("/2017/05/%d.html", i), articleHTML(fmt.Sprint(i)))
	}
	opts := Options{Transport: s.rt,
		Source: "lent", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 1, Delay: delay, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil || stats.Articles != 4 {
		t.Fatalf("Crawl: %v, %+v", err, stats)
	}
	checkGaps(t, s, delay)
}

func TestCrawlDelayFromRobots(t *testing.T) {
	const crawlDelay = 300 * time.Millisecond
	s := newTestSite(t)
	s.set("/robots.txt", testPage{body: []byte("User-agent: silencewatch\nCrawl-delay: 0.3\n\nUser-agent: *\nDisallow: /\n")})
	s.html("/", section("Une", "/2017/05/1.html", "/2017/05/2.html"))
	s.html("/2017/05/1.html", articleHTML("1"))
	s.html("/2017/05/2.html", articleHTML("2"))
	opts := Options{Transport: s.rt,
		Source: "lent", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 1, Delay: -1, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil || stats.Articles != 2 {
		t.Fatalf("Crawl: %v, %+v", err, stats)
	}
	checkGaps(t, s, crawlDelay)
}

// checkGaps asserts that page requests (robots.txt aside) started at least
// 90% of delay apart.
func checkGaps(t *testing.T, s *testSite, delay time.Duration) {
	t.Helper()
	var prev time.Time
	for _, h := range s.hitsCopy() {
		if h.path == "/robots.txt" {
			continue
		}
		if !prev.IsZero() {
			if gap := h.at.Sub(prev); gap < delay*9/10 {
				t.Errorf("%s started %v after the previous request, want >= %v", h.path, gap, delay)
			}
		}
		prev = h.at
	}
}

func TestCrawlParallelismBound(t *testing.T) {
	const parallelism = 3
	s := newTestSite(t)
	var links []string
	for i := range 30 {
		p := fmt.Sprintf("/2017/05/p%d.html", i)
		links = append(links, p)
		s.set(p, testPage{body: []byte(articleHTML(p)), sleep: 20 * time.Millisecond})
	}
	s.html("/a/", section("A", links[:15]...))
	s.html("/b/", section("B", links[15:]...))
	opts := Options{Transport: s.rt,
		Source: "rapide", StartURLs: []string{s.url("/a/"), s.url("/b/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: parallelism, Delay: -1, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil || stats.Articles != 30 {
		t.Fatalf("Crawl: %v, %+v", err, stats)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxInflight > parallelism {
		t.Errorf("the server saw %d concurrent requests, want <= %d", s.maxInflight, parallelism)
	}
	t.Logf("max concurrent requests: %d", s.maxInflight)
}

func TestCrawlQueueBound(t *testing.T) {
	s := newTestSite(t)
	var links []string
	for i := range 200 {
		p := fmt.Sprintf("/2017/05/q%d.html", i)
		links = append(links, p)
		s.html(p, articleHTML(p))
	}
	s.html("/", section("Une", links...))
	opts := Options{Transport: s.rt,
		Source: "file", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 2, Delay: -1, MaxQueue: 10, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if stats.QueueDrops < 100 || stats.Articles+stats.QueueDrops != 200 {
		t.Errorf("stats = %+v: want most of 200 links dropped by a queue of 10, the rest fetched", stats)
	}
}

func TestCrawlNoGoroutinePerLink(t *testing.T) {
	s := newTestSite(t)
	var links []string
	for i := range 500 {
		p := fmt.Sprintf("/2017/05/g%d.html", i)
		links = append(links, p)
		s.set(p, testPage{body: []byte(articleHTML(p)), sleep: time.Millisecond})
	}
	s.html("/", section("Une", links...))
	base := runtime.NumGoroutine()
	opts := Options{Transport: s.rt,
		Source: "goroutines", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 2, Delay: -1, MaxPages: 1000, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil || stats.Articles != 500 {
		t.Fatalf("Crawl: %v, %+v", err, stats)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxGoros > base+40 {
		t.Errorf("up to %d goroutines while crawling 500 queued links (%d before): a goroutine per link?", s.maxGoros, base)
	}
}

func TestCrawlMaxPages(t *testing.T) {
	s := newTestSite(t)
	var links []string
	for i := range 10 {
		p := fmt.Sprintf("/2017/05/m%d.html", i)
		links = append(links, p)
		s.html(p, articleHTML(p))
	}
	s.html("/", section("Une", links...))
	opts := Options{Transport: s.rt,
		Source: "budget", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Delay: -1, MaxPages: 3, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Articles != 3 || stats.Deferred != 7 {
		t.Errorf("stats = %+v, want 3 articles and 7 deferred", stats)
	}
}

func TestCrawlCancel(t *testing.T) {
	s := newTestSite(t)
	var links []string
	for i := range 20 {
		p := fmt.Sprintf("/2017/05/c%d.html", i)
		links = append(links, p)
		s.set(p, testPage{body: []byte(articleHTML(p)), sleep: 2 * time.Second})
	}
	s.html("/", section("Une", links...))
	opts := Options{Transport: s.rt,
		Source: "annule", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 2, Delay: 100 * time.Millisecond, Visited: NewMemoryVisited(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, stats, err := collect(t, ctx, opts)
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("Crawl returned %v after the start, %v after cancellation", took, took-300*time.Millisecond)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "site: ") {
		t.Errorf("err = %v, want the context's error", err)
	}
	if stats.ErrorCount != 0 {
		t.Errorf("cancellation fallout recorded as errors: %v", stats.Errors)
	}
}

func TestCrawlStopsOnTooManyRequests(t *testing.T) {
	s := newTestSite(t)
	var links []string
	for i := range 10 {
		p := fmt.Sprintf("/2017/05/r%d.html", i)
		links = append(links, p)
		s.html(p, articleHTML(p))
	}
	s.set(links[1], testPage{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "120"}})
	s.html("/", section("Une", links...))
	opts := Options{Transport: s.rt,
		Source: "limite", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Parallelism: 1, Delay: -1, Visited: NewMemoryVisited(),
	}
	_, stats, err := collect(t, context.Background(), opts)
	var e *Error
	if !errors.As(err, &e) || e.Status != 429 || e.RetryAfter != 120*time.Second || !e.Retryable() {
		t.Fatalf("err = %v, want a retryable *Error 429 with Retry-After 120s", err)
	}
	if n := len(s.requested(false)); n > 4 { // robots, start page, r0, r1
		t.Errorf("%d requests: the pass went on after a 429: %v", n, s.requested(false))
	}
	if stats.Articles != 1 {
		t.Errorf("stats = %+v", stats)
	}
}

func TestCrawlStartPageFails(t *testing.T) {
	s := newTestSite(t)
	s.set("/", testPage{status: http.StatusInternalServerError})
	opts := Options{Transport: s.rt, Source: "panne", StartURLs: []string{s.url("/")}, Delay: -1, Visited: NewMemoryVisited()}
	stats, err := Crawl(context.Background(), opts, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 500 || !e.Retryable() || e.Source != "panne" {
		t.Fatalf("err = %v, want the start page's *Error 500", err)
	}
	if stats.ErrorCount != 1 || stats.Fetched != 1 {
		t.Errorf("stats = %+v", stats)
	}
}

func TestBodyCap(t *testing.T) {
	s := newTestSite(t)
	big := articleHTML("big") + strings.Repeat("<p>bla</p>", 1000)
	s.html("/2017/05/big.html", big)
	s.html("/", section("Une", "/2017/05/big.html"))
	opts := Options{Transport: s.rt,
		Source: "gros", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Delay: -1, MaxBodyBytes: 2000, Visited: NewMemoryVisited(),
	}
	stats, err := Crawl(context.Background(), opts, func(p Page) error { t.Errorf("page %s delivered", p.URL); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if stats.ErrorCount != 1 || !errors.Is(stats.Errors[0], ErrTooLarge) {
		t.Errorf("errors = %v, want one ErrTooLarge", stats.Errors)
	}
	if _, err := Fetch(context.Background(), opts, s.url("/2017/05/big.html")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Fetch: %v, want ErrTooLarge", err)
	}
}

func TestCrawlOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no visited", Options{Source: "x", StartURLs: []string{"http://example.org/"}}, "Visited is nil"},
		{"nothing to crawl", Options{Source: "x", Visited: NewMemoryVisited()}, "no start URL and no sitemap"},
		{"relative", Options{Source: "x", StartURLs: []string{"/news/"}, Visited: NewMemoryVisited()}, "start URL /news/: site: invalid URL"},
		{"ftp sitemap", Options{Source: "x", Sitemaps: []string{"ftp://user:secret@example.org/s.xml"}, Visited: NewMemoryVisited()}, "sitemap ftp://xxxxx@example.org/s.xml"},
		{"nil pattern", Options{Source: "x", StartURLs: []string{"http://example.org/"}, Follow: []*regexp.Regexp{nil}, Visited: NewMemoryVisited()}, "follow pattern 0 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Crawl(context.Background(), tc.opts, nil)
			if err == nil || !strings.HasPrefix(err.Error(), `site: source "x": `) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("password in error: %v", err)
			}
		})
	}
}

func TestRobotsUnavailable(t *testing.T) {
	s := newTestSite(t)
	s.set("/robots.txt", testPage{status: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": "60"}})
	s.html("/", section("Une", "/2017/05/a.html"))
	s.html("/2017/05/a.html", articleHTML("a"))
	opts := Options{Transport: s.rt,
		Source: "panne", StartURLs: []string{s.url("/")}, Follow: []*regexp.Regexp{articlePattern},
		Delay: -1, Visited: NewMemoryVisited(),
	}
	_, err := Crawl(context.Background(), opts, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || !e.Retryable() || e.RetryAfter != time.Minute || !strings.HasSuffix(e.URL, "/robots.txt") {
		t.Errorf("Crawl: %v, want a retryable 503 on robots.txt with Retry-After", err)
	}
	_, err = Fetch(context.Background(), opts, s.url("/2017/05/a.html"))
	if !errors.As(err, &e) || e.Status != 503 || !e.Retryable() {
		t.Errorf("Fetch: %v, want a retryable 503 on robots.txt", err)
	}
	if got := s.requested(false); slices.ContainsFunc(got, func(p string) bool { return p != "/robots.txt" }) {
		t.Errorf("pages requested while robots.txt was unavailable: %v", got)
	}
}

func TestFetchRedirects(t *testing.T) {
	s := newTestSite(t)
	s.set("/old.html", testPage{status: http.StatusMovedPermanently, header: map[string]string{"Location": "/2017/05/new.html"}, body: []byte("moved")})
	s.html("/2017/05/new.html", articleHTML("new"))
	for i := range 8 {
		s.set(fmt.Sprintf("/chain/%d", i), testPage{status: http.StatusFound, header: map[string]string{"Location": fmt.Sprintf("/chain/%d", i+1)}})
	}
	opts := Options{Transport: s.rt, Source: "redir", Delay: -1}

	p, err := Fetch(context.Background(), opts, s.url("/old.html"))
	if err != nil || p.Status != 200 || p.URL != s.url("/old.html") || p.FinalURL != s.url("/2017/05/new.html") ||
		!bytes.Contains(p.Body, []byte("<h1>new</h1>")) || p.SHA256 != sha256.Sum256(p.Body) {
		t.Errorf("Fetch through a redirect = %+v, %v; want the final page captured", p, err)
	}

	_, err = Fetch(context.Background(), opts, s.url("/chain/0"))
	var e *Error
	if !errors.Is(err, errTooManyRedirects) || !errors.As(err, &e) || e.Retryable() {
		t.Errorf("redirect chain: %v, want too many redirects, not retryable", err)
	}
	if n := len(slices.DeleteFunc(s.requested(false), func(p string) bool { return !strings.HasPrefix(p, "/chain/") })); n > maxRedirects+1 {
		t.Errorf("%d requests along the chain, want <= %d", n, maxRedirects+1)
	}
}

func TestCaptureDecodesGzip(t *testing.T) {
	s := newTestSite(t)
	plain := articleHTML("compressé")
	s.set("/2017/05/gz.html", testPage{
		header: map[string]string{"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"},
		body:   gzipBytes(t, plain),
	})
	noAuto := http.DefaultTransport.(*http.Transport).Clone()
	noAuto.DisableCompression = true // gzip not asked for, sent anyway: decoded by our transport
	for name, rt := range map[string]*crawler.Transport{"transport decodes": s.rt, "we decode": crawler.NewTransport(crawler.TransportOptions{Base: noAuto})} {
		t.Run(name, func(t *testing.T) {
			p, err := Fetch(context.Background(), Options{Delay: -1, Transport: rt}, s.url("/2017/05/gz.html"))
			if err != nil {
				t.Fatal(err)
			}
			if string(p.Body) != plain || p.SHA256 != sha256.Sum256([]byte(plain)) || p.Header.Get("Content-Encoding") != "" {
				t.Errorf("Body %.40q, Content-Encoding %q: want the decoded body and no encoding header", p.Body, p.Header.Get("Content-Encoding"))
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	s := newTestSite(t)
	s.set("/2017/05/slow.html", testPage{body: []byte(articleHTML("lent")), sleep: 3 * time.Second})
	start := time.Now()
	_, err := Fetch(context.Background(), Options{Transport: s.rt, Source: "lent", Timeout: 200 * time.Millisecond, Delay: -1}, s.url("/2017/05/slow.html"))
	var e *Error
	if !errors.As(err, &e) || !e.Retryable() || e.Status != 0 || time.Since(start) > 2*time.Second {
		t.Errorf("Fetch of a hanging page: %v after %v, want a retryable timeout within the 200ms Timeout", err, time.Since(start))
	}
}

// TestRobotsFetchedOncePerTTL: many page fetches and a crawl, across
// sources sharing one Transport, ask the site for robots.txt once; after
// crawler.RobotsTTL it is asked again, once.
func TestRobotsFetchedOncePerTTL(t *testing.T) {
	s := newsSite(t)
	var mu sync.Mutex
	now := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s.rt = crawler.NewTransport(crawler.TransportOptions{Now: clock,
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	robots := func() int { return count(s.requested(false), "/robots.txt") }

	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := s.options(nil)
			opts.Source = fmt.Sprintf("source-%d", i%3)
			for _, p := range []string{"/2017/05/a1.html", "/2017/05/a3.html", "/2017/05/sm1.html"} {
				if _, err := Fetch(context.Background(), opts, s.url(p)); err != nil {
					t.Errorf("Fetch %s: %v", p, err)
				}
			}
		}()
	}
	wg.Wait()
	if _, _, err := collect(t, context.Background(), s.options(NewMemoryVisited())); err != nil {
		t.Fatalf("Crawl: %v", err)
	}
	if n := robots(); n != 1 {
		t.Fatalf("robots.txt requested %d times for 36 fetches and a crawl, want 1", n)
	}

	mu.Lock()
	now = now.Add(crawler.RobotsTTL - time.Second)
	mu.Unlock()
	if _, err := Fetch(context.Background(), s.options(nil), s.url("/2017/05/a1.html")); err != nil {
		t.Fatal(err)
	}
	if n := robots(); n != 1 {
		t.Errorf("robots.txt requested again before its TTL ran out (%d)", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	for range 3 {
		if _, err := Fetch(context.Background(), s.options(nil), s.url("/2017/05/a1.html")); err != nil {
			t.Fatal(err)
		}
	}
	if n := robots(); n != 2 {
		t.Errorf("robots.txt requested %d times after its TTL, want 2", n)
	}
}
