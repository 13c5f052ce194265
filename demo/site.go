package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// Site serves the scenario's outlets on loopback as they are at the
// simulated time: each outlet's RSS feed (with ETag and 304s), its
// article pages (edited as the timeline says, 410 once deleted), and a
// section page listing its articles (how a site without a feed is
// crawled).
type Site struct {
	Timeline *Timeline
	Now      func() time.Time
	byOutlet map[string][]*Item
	outlets  map[string]Outlet
}

// NewSite indexes the timeline.
func NewSite(tl *Timeline, now func() time.Time) *Site {
	s := &Site{Timeline: tl, Now: now, byOutlet: map[string][]*Item{}, outlets: map[string]Outlet{}}
	for _, o := range tl.Outlets {
		s.outlets[o.ID] = o
	}
	for i := range tl.Items {
		it := &tl.Items[i]
		s.byOutlet[it.Outlet] = append(s.byOutlet[it.Outlet], it)
	}
	return s
}

const feedSize = 20 // items a feed lists, newest first: older ones scroll off

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/robots.txt" {
		fmt.Fprint(w, "User-agent: *\nAllow: /\n")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	o, ok := s.outlets[parts[0]]
	if !ok {
		http.NotFound(w, r)
		return
	}
	now := s.Now()
	switch {
	case len(parts) == 1:
		s.section(w, r, o, now)
	case parts[1] == "feed.xml" && o.Kind != "site":
		s.feed(w, r, o, now)
	default:
		s.page(w, r, o, parts[1], now)
	}
}

func (s *Site) live(o Outlet, now time.Time) []*Item {
	var out []*Item
	items := s.byOutlet[o.ID]
	for i := len(items) - 1; i >= 0; i-- {
		if _, live, _ := items[i].at(now); live {
			out = append(out, items[i])
		}
	}
	return out
}

func (s *Site) base(r *http.Request) string { return "http://" + r.Host }

func (s *Site) feed(w http.ResponseWriter, r *http.Request, o Outlet, now time.Time) {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>%s</title><link>%s/%s/</link><language>%s</language><description>%s</description>
`, html.EscapeString(o.Name), s.base(r), o.ID, o.Language, html.EscapeString(o.Name))
	items := s.live(o, now)
	if len(items) > feedSize {
		items = items[:feedSize]
	}
	for _, it := range items {
		v, _, _ := it.at(now)
		desc := v.Summary
		if !o.FullText {
			desc = v.Body // the feed carries the whole text
		}
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">%s</guid><link>%s/%s/%s</link><title>%s</title><description>%s</description><pubDate>%s</pubDate></item>\n",
			it.ID, s.base(r), o.ID, it.ID, html.EscapeString(it.Title), html.EscapeString(desc), it.At.Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	body := b.String()
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	fmt.Fprint(w, body)
}

func (s *Site) section(w http.ResponseWriter, r *http.Request, o Outlet, now time.Time) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><html lang=%q><head><title>%s</title></head><body><nav><a href=\"/%s/\">Accueil</a></nav><main><h1>%s</h1><ul>\n",
		o.Language, html.EscapeString(o.Name), o.ID, html.EscapeString(o.Name))
	for _, it := range s.live(o, now) {
		fmt.Fprintf(w, "<li><a href=\"/%s/%s\">%s</a></li>\n", o.ID, it.ID, html.EscapeString(it.Title))
	}
	fmt.Fprint(w, "</ul></main></body></html>\n")
}

func (s *Site) page(w http.ResponseWriter, r *http.Request, o Outlet, id string, now time.Time) {
	var it *Item
	for _, c := range s.byOutlet[o.ID] {
		if c.ID == id {
			it = c
		}
	}
	if it == nil {
		http.NotFound(w, r)
		return
	}
	v, live, gone := it.at(now)
	switch {
	case gone:
		http.Error(w, "Cet article a été retiré.", http.StatusGone)
		return
	case !live:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang=%q><head><meta charset="utf-8"><title>%s</title>
<meta property="og:title" content="%s"><link rel="canonical" href="%s/%s/%s">
<meta property="article:published_time" content="%s"><meta property="article:modified_time" content="%s">
</head><body><header><nav><a href="/%s/">%s</a> · Politique · Monde · Culture</nav></header>
<div class="cookie-banner">Nous utilisons des cookies pour mesurer l'audience. <button>Accepter</button></div>
<main><article><h1>%s</h1><p class="byline">Par la rédaction · <time datetime="%s">%s</time></p>
`, o.Language, html.EscapeString(it.Title), html.EscapeString(it.Title), s.base(r), o.ID, it.ID,
		it.At.Format(time.RFC3339), v.Since.Format(time.RFC3339), o.ID, html.EscapeString(o.Name),
		html.EscapeString(it.Title), it.At.Format(time.RFC3339), it.At.Format("02/01/2006 15:04"))
	for _, p := range strings.Split(strings.TrimSpace(v.Body), "\n\n") {
		fmt.Fprintf(w, "<p>%s</p>\n", html.EscapeString(strings.Join(strings.Fields(p), " ")))
	}
	fmt.Fprint(w, "</article><aside><h2>À lire aussi</h2><ul>")
	// Related links name other stories: an extractor must leave them out.
	for i, other := range s.live(o, now) {
		if i == 3 {
			break
		}
		if other.ID != it.ID {
			fmt.Fprintf(w, "<li><a href=\"/%s/%s\">%s</a></li>", o.ID, other.ID, html.EscapeString(other.Title))
		}
	}
	fmt.Fprint(w, "</ul></aside></main><footer>© Fictional outlet · Mentions légales</footer></body></html>\n")
}
