package site

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/weburl"
)

// TestVisitedKey: the visited key is weburl.Normalize (whose rules are
// tested there) of an absolute http(s) URL, and nothing else is a key.
func TestVisitedKey(t *testing.T) {
	key := func(raw string) (string, error) {
		u, err := parseHTTPURL(raw)
		if err != nil {
			return "", err
		}
		return normalize(u), nil
	}
	for _, in := range []string{
		"http://Example.ORG",
		"HTTPS://example.org:443/a/b.html#comments",
		"http://user:pw@example.org:8080/a/?utm_campaign=z",
		"https://example.org/2017/05/élection.html",
	} {
		got, err := key(in)
		if want := weburl.Normalize(in); err != nil || got != want {
			t.Errorf("key(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/relative", "mailto:a@b.c", "ftp://example.org/", "http://", "::"} {
		if _, err := key(bad); err == nil {
			t.Errorf("key(%q) succeeded", bad)
		}
	}
}

func TestParseSitemap(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	for _, tc := range []struct {
		name  string
		body  string
		index bool
		want  []sitemapEntry // newest first
		err   string
	}{
		{
			name: "news sitemap, publication_date wins over lastmod",
			body: `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://ex.org/a</loc><lastmod>2017-05-07T10:00:00Z</lastmod>
  <news:news><news:publication_date>2017-05-06T00:05:00+02:00</news:publication_date></news:news></url>
<url><loc> https://ex.org/b </loc><news:news><news:publication_date>2017-05-06T08:00+02:00</news:publication_date></news:news></url>
<url><loc>https://ex.org/undated</loc></url>
<url><lastmod>2017-05-06</lastmod></url>
</urlset>`,
			want: []sitemapEntry{
				{"https://ex.org/b", time.Date(2017, 5, 6, 8, 0, 0, 0, paris).UTC()},
				{"https://ex.org/a", time.Date(2017, 5, 6, 0, 5, 0, 0, paris).UTC()},
				{"https://ex.org/undated", time.Time{}},
			},
		},
		{
			name: "lastmod forms",
			body: `<urlset><url><loc>https://ex.org/day</loc><lastmod>2017-05-05</lastmod></url>
<url><loc>https://ex.org/nano</loc><lastmod>2017-05-06T21:55:00.123Z</lastmod></url>
<url><loc>https://ex.org/bad</loc><lastmod>hier</lastmod></url></urlset>`,
			want: []sitemapEntry{
				{"https://ex.org/nano", time.Date(2017, 5, 6, 21, 55, 0, 123e6, time.UTC)},
				{"https://ex.org/day", time.Date(2017, 5, 5, 0, 0, 0, 0, time.UTC)},
				{"https://ex.org/bad", time.Time{}},
			},
		},
		{
			name:  "index",
			body:  `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://ex.org/old.xml</loc><lastmod>2016-01-01</lastmod></sitemap><sitemap><loc>https://ex.org/new.xml.gz</loc><lastmod>2017-05-06</lastmod></sitemap></sitemapindex>`,
			index: true,
			want: []sitemapEntry{
				{"https://ex.org/new.xml.gz", time.Date(2017, 5, 6, 0, 0, 0, 0, time.UTC)},
				{"https://ex.org/old.xml", time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)},
			},
		},
		{
			name: "latin-1 prolog",
			body: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><urlset><url><loc>https://ex.org/\xe9lection</loc></url></urlset>",
			want: []sitemapEntry{{"https://ex.org/élection", time.Time{}}},
		},
		{name: "html", body: `<!doctype html><html><body>404</body></html>`, err: "root element"},
		{name: "rss", body: `<rss><channel></channel></rss>`, err: "root element <rss>"},
		{name: "empty", body: ``, err: "root element <>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseSitemap([]byte(tc.body), 1<<20)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if doc.Index != tc.index || fmt.Sprint(doc.Entries) != fmt.Sprint(tc.want) {
				t.Errorf("got index=%v %v\nwant index=%v %v", doc.Index, doc.Entries, tc.index, tc.want)
			}
		})
	}
}

func TestParseSitemapGzip(t *testing.T) {
	body := gzipBytes(t, `<urlset><url><loc>https://ex.org/a</loc></url></urlset>`)
	doc, err := parseSitemap(body, 1<<20)
	if err != nil || len(doc.Entries) != 1 {
		t.Fatalf("gzip sitemap: %v, %+v", err, doc)
	}
	// A gzip bomb stops at the cap.
	bomb := gzipBytes(t, "<urlset>"+strings.Repeat(" ", 1<<20)+"</urlset>")
	if _, err := parseSitemap(bomb, 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("bomb: %v, want ErrTooLarge", err)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err       *Error
		want      string
		retryable bool
		gone      bool
	}{
		{&Error{Source: "q", URL: "https://ex.org/a", Status: 404}, `site: source "q": https://ex.org/a: HTTP 404 Not Found`, false, true},
		{&Error{Source: "q", URL: "https://ex.org/a", Status: 410}, `site: source "q": https://ex.org/a: HTTP 410 Gone`, false, true},
		{&Error{Source: "q", URL: "https://ex.org/a", Status: 503, RetryAfter: time.Minute}, `site: source "q": https://ex.org/a: HTTP 503 Service Unavailable (retry after 1m0s)`, true, false},
		{&Error{Source: "q", URL: "https://ex.org/a", Err: ErrDisallowed}, `site: source "q": https://ex.org/a: disallowed by robots.txt`, false, false},
		{&Error{URL: "https://ex.org/a", Err: errors.New("connection refused")}, `site: https://ex.org/a: connection refused`, true, false},
		{&Error{URL: "https://ex.org/a", Err: fmt.Errorf("%w: more than 10 bytes", ErrTooLarge)}, `site: https://ex.org/a: body too large: more than 10 bytes`, false, false},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
		if tc.err.Retryable() != tc.retryable || errors.Is(tc.err, ErrGone) != tc.gone {
			t.Errorf("%q: retryable %v gone %v", tc.want, tc.err.Retryable(), errors.Is(tc.err, ErrGone))
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2017, 5, 6, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "0": 0, "-5": 0, "": 0, "soon": 0,
		"Sat, 06 May 2017 12:05:00 GMT": 5 * time.Minute,
		"Sat, 06 May 2017 11:00:00 GMT": 0,
	} {
		if got := crawler.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// The adapter works as colly's storage: a second collector over the same
// Visited does not request a URL the first one did.
func TestCollyStorage(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			hits++
		}
		http.SetCookie(w, &http.Cookie{Name: "consent", Value: "oui"})
		w.Write([]byte("<html></html>"))
	}))
	defer srv.Close()
	v := NewMemoryVisited()
	now := func() time.Time { return time.Date(2017, 5, 6, 0, 0, 0, 0, time.UTC) }
	for i := range 2 {
		c := colly.NewCollector()
		st := NewCollyStorage(context.Background(), v, "src", now)
		if err := c.SetStorage(st); err != nil {
			t.Fatal(err)
		}
		err := c.Visit(srv.URL + "/a")
		var again *colly.AlreadyVisitedError
		if i == 0 && err != nil || i == 1 && !errors.As(err, &again) {
			t.Errorf("collector %d: Visit = %v", i, err)
		}
		if i == 0 && !strings.Contains(st.Cookies(mustURL(t, srv.URL+"/")), "consent=oui") {
			t.Errorf("cookie not kept: %q", st.Cookies(mustURL(t, srv.URL+"/")))
		}
	}
	if hits != 1 {
		t.Errorf("the page was requested %d times, want 1", hits)
	}
	keys := v.Keys("src")
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "colly:") || strings.Trim(keys[0][len("colly:"):], "0123456789") != "" {
		t.Errorf("keys = %v, want one colly:<decimal id>", keys)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
