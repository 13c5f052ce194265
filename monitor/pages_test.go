package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/notify"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// outletSite is a news site with a section page, a feed of teasers and
// article pages the test can edit and delete.
type outletSite struct {
	mu    sync.Mutex
	pages map[string]string // slug → body text; "" = gone (410)
	srv   *httptest.Server
}

func newOutletSite(t *testing.T) *outletSite {
	o := &outletSite{pages: map[string]string{}}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		switch {
		case r.URL.Path == "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case r.URL.Path == "/":
			fmt.Fprint(w, "<html><body><nav>Menu</nav><ul>")
			for slug, body := range o.pages {
				if body != "" {
					fmt.Fprintf(w, `<li><a href="/articles/%s">%s</a></li>`, slug, slug)
				}
			}
			fmt.Fprint(w, "</ul></body></html>")
		case r.URL.Path == "/feed.xml":
			var items []string
			for slug, body := range o.pages {
				if body != "" {
					items = append(items, fmt.Sprintf(`<item><guid>%s</guid><link>%s/articles/%s</link><title>%s</title><description>Lire la suite.</description><pubDate>Sat, 06 May 2017 10:00:00 +0200</pubDate></item>`, slug, o.srv.URL, slug, slug))
				}
			}
			io.WriteString(w, rss(items...))
		case strings.HasPrefix(r.URL.Path, "/articles/"):
			body, ok := o.pages[strings.TrimPrefix(r.URL.Path, "/articles/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if body == "" {
				http.Error(w, "retiré", http.StatusGone)
				return
			}
			fmt.Fprintf(w, `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<meta property="article:published_time" content="2017-05-06T10:00:00+02:00"></head><body><nav>Accueil · Politique</nav>
<article><h1>Article</h1><p>%s</p><p>Un deuxième paragraphe, ordinaire, sur la campagne et ses derniers jours, pour que l'article ait une longueur normale.</p></article>
<aside>À lire aussi : la météo du week-end</aside></body></html>`, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *outletSite) set(slug, body string) { o.mu.Lock(); o.pages[slug] = body; o.mu.Unlock() }

const flaggedText = "Les #MacronLeaks : selon les courriels, le trésorier a décalé les factures du meeting de Lyon avant lundi."

func pageHarness(t *testing.T, sourceYAML string) (*Monitor, *store.DB) {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte("sources:\n"+sourceYAML+rulesYAML), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engine, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := New(Options{Config: cfg, Store: st, Engine: engine, Fetcher: crawler.NewFetcher(crawler.FetcherOptions{Timeout: 2 * time.Second, AllowPrivate: loopback}),
		Delivery: notify.New(notify.Options{Store: st, Clock: clock.Real{}, Logger: logger, Console: io.Discard}),
		Clock:    clock.Real{}, Logger: logger, Rand: func() float64 { return 0.5 }})
	return m, st
}

func TestSiteSourceCrawledAndEvaluated(t *testing.T) {
	site := newOutletSite(t)
	site.set("a1", flaggedText)
	site.set("a2", "La météo du week-end sera ensoleillée.")
	m, st := pageHarness(t, fmt.Sprintf("  - {name: fringe, kind: site, url: %q, follow: ['/articles/[a-z0-9]+$']}\n", site.srv.URL+"/"))
	m.poll(context.Background(), "fringe")
	fs, _ := st.Findings(context.Background())
	if len(fs) != 1 || !strings.HasSuffix(fs[0].Finding.Article.URL, "/articles/a1") {
		t.Fatalf("findings %d", len(fs))
	}
	info, _ := st.VersionInfo(context.Background(), fs[0].VersionID)
	if info.Extractor == "" || info.ResponseID == 0 || !strings.Contains(info.Content, "trésorier") || strings.Contains(info.Content, "météo") {
		t.Errorf("version: extractor %q response %d content %q", info.Extractor, info.ResponseID, info.Content)
	}
	// A second pass does not fetch the known article again.
	m.poll(context.Background(), "fringe")
	if fs2, _ := st.Findings(context.Background()); len(fs2) != 1 {
		t.Errorf("second pass: %d findings", len(fs2))
	}
}

func TestFullTextEditAndDeletion(t *testing.T) {
	site := newOutletSite(t)
	site.set("b1", flaggedText)
	m, st := pageHarness(t, fmt.Sprintf("  - {name: daily, url: %q, fetch_full_text: true, revisit_every: 1ms, revisit_recent: 1000000h}\n", site.srv.URL+"/feed.xml"))
	ctx := context.Background()
	m.poll(ctx, "daily")
	fs, _ := st.Findings(ctx)
	if len(fs) != 1 {
		t.Fatalf("the page's full text must be flagged (the feed's teaser says nothing): %d findings", len(fs))
	}
	m.opts.Delivery.DeliverDue(ctx)
	m.poll(ctx, "daily") // the teaser again: no new version
	if fs2, _ := st.Findings(ctx); len(fs2) != 1 {
		t.Errorf("re-polling the feed made %d findings", len(fs2))
	}

	// The outlet edits the quote out.
	site.set("b1", "Le trésorier a commenté l'organisation du meeting de Lyon.")
	now := time.Now()
	m.revisit(ctx, m.source("daily"), now.Add(time.Second))
	as, _ := st.Alerts(ctx)
	kinds := map[string]int{}
	for _, a := range as {
		kinds[a.Kind]++
	}
	if kinds["edited"] != 1 {
		t.Fatalf("edit of a flagged article: alerts by kind %v", kinds)
	}
	// Then deletes the page.
	site.set("b1", "")
	m.revisit(ctx, m.source("daily"), now.Add(2*time.Second))
	m.revisit(ctx, m.source("daily"), now.Add(3*time.Second))
	as, _ = st.Alerts(ctx)
	kinds = map[string]int{}
	for _, a := range as {
		kinds[a.Kind]++
	}
	if kinds["deleted"] != 1 {
		t.Errorf("deletion: alerts by kind %v", kinds)
	}
	evs, _ := st.ArticleEvents(ctx, fs[0].ArticleID)
	if len(evs) != 2 {
		t.Errorf("article events %+v", evs)
	}
}

// TestFullTextRevisitNotPutOffByFeed: a full-text source's feed listing
// an article again does not count as fetching its page. Before, each full
// GET of the feed moved the article's last fetch time, so a feed polled
// more often than revisit_every kept its pages from ever being revisited
// and their edits went unseen.
func TestFullTextRevisitNotPutOffByFeed(t *testing.T) {
	site := newOutletSite(t)
	site.set("c1", flaggedText)
	m, st := pageHarness(t, fmt.Sprintf("  - {name: daily, url: %q, fetch_full_text: true, revisit_every: 1h, revisit_recent: 1000000h}\n", site.srv.URL+"/feed.xml"))
	ctx := context.Background()
	m.poll(ctx, "daily") // the page is fetched
	pageFetched := time.Now()
	site.set("c1", "Le trésorier a commenté l'organisation du meeting de Lyon.")
	m.poll(ctx, "daily") // the feed lists it again (a full GET: this feed has no validators)

	// An hour after the page's fetch it is due, whatever the feed did since.
	m.revisit(ctx, m.source("daily"), pageFetched.Add(time.Hour))
	as, err := st.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	edited := 0
	for _, a := range as {
		if a.Kind == "edited" {
			edited++
		}
	}
	if edited != 1 {
		t.Errorf("%d \"edited\" alerts, want 1: the revisit did not see the edit", edited)
	}
}

// TestFullTextRefusals: an item link that redirects off the outlet's host
// (to 127.0.0.2, standing for a metadata endpoint), an item link on another
// outlet's host, and a link on an allowed host whose address is outside the
// allow-list are not fetched: each is recorded as a fetch-refused event of
// the source, and the items are still judged on the feed's own text.
func TestFullTextRefusals(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		case "/feed.xml":
			io.WriteString(w, rss(
				fmt.Sprintf(`<item><guid>r1</guid><link>%s/articles/r1</link><title>r1</title><description>%s</description><pubDate>Sat, 06 May 2017 10:00:00 +0200</pubDate></item>`, srv.URL, flaggedText),
				`<item><guid>r2</guid><link>https://other-outlet.example/articles/r2</link><title>r2</title><description>Lire la suite.</description></item>`,
				`<item><guid>r3</guid><link>http://127.0.0.2:1/articles/r3</link><title>r3</title><description>Lire la suite.</description></item>`))
		case "/articles/r1":
			http.Redirect(w, r, "http://127.0.0.2:1/latest/meta-data/iam/security-credentials/", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	m, st := pageHarness(t, fmt.Sprintf("  - {name: daily, url: %q, fetch_full_text: true, link_hosts: [127.0.0.2]}\n", srv.URL+"/feed.xml"))
	m.opts.Fetcher = crawler.NewFetcher(crawler.FetcherOptions{Timeout: 2 * time.Second,
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}) // the outlet, not its neighbours
	ctx := context.Background()
	m.poll(ctx, "daily")

	evs, err := st.Events(ctx, "daily")
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, e := range evs {
		if e.Kind == "fetch-refused" {
			refused = append(refused, e.Detail)
		}
	}
	if len(refused) != 3 {
		t.Fatalf("fetch-refused events %q, want one for each item", refused)
	}
	joined := strings.Join(refused, "\n")
	for _, want := range []string{"Not following redirect to \"http://127.0.0.2:1/latest", "127.0.0.2 is in 127.0.0.0/8", "other-outlet.example", "link_hosts"} {
		if !strings.Contains(joined, want) {
			t.Errorf("events %q do not say %q", joined, want)
		}
	}
	// Judged on the feed's text: the teaser of r1 is itself a violation.
	fs, _ := st.Findings(ctx)
	if len(fs) != 1 || fs[0].Finding.Article.GUID != "r1" {
		t.Errorf("findings %d, want the feed text of r1 flagged", len(fs))
	}
}

// TestSiteRetryAfterHonoured: a site answering 503 with Retry-After (here
// on robots.txt, which a crawl reads first) is not polled again before.
func TestSiteRetryAfterHonoured(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	m, _ := pageHarness(t, fmt.Sprintf("  - {name: fringe, kind: site, url: %q, follow: ['/articles/[a-z0-9]+$']}\n", srv.URL+"/"))
	next := m.poll(context.Background(), "fringe")
	if d := time.Until(next); d < 9*time.Minute {
		t.Errorf("next poll in %s, want at least the 10 minutes the site asked", d)
	}
}
