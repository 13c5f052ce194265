package crawler

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZDump(t *testing.T) {
	for _, c := range []struct{ f, ct, u string }{
		{"rss_fr.xml", "application/rss+xml", "https://www.quotidien-du-soir.example/rss/politique.xml"},
		{"atom.xml", "application/atom+xml", "https://gazette.example/atom.xml"},
		{"feed.json", "application/feed+json", "https://blog-electoral.example/feed.json"},
		{"rss_latin1_prolog.xml", "text/xml; charset=ISO-8859-1", "https://echo.example/rss"},
		{"rss_latin1_noprolog.xml", "application/rss+xml; charset=ISO-8859-1", "https://depeche.example/rss"},
		{"rss_latin1_noprolog.xml", "application/rss+xml", "https://depeche.example/rss"},
		{"json_null_item.json", "application/json", "https://user:hunter2@x.example/feed.json"},
		{"malformed.xml", "application/rss+xml", "https://tronque.example/rss"},
	} {
		b, _ := os.ReadFile("testdata/" + c.f)
		f, err := ParseFeed(b, c.ct, c.u, time.Unix(0, 0))
		fmt.Printf("=== %s err=%v\n", c.f, err)
		if f != nil {
			fmt.Printf("title=%q lang=%q\n", f.Title, f.Language)
			for _, a := range f.Items {
				fmt.Printf("%#v\n", a)
			}
		}
	}
	for _, c := range []struct{ f, ct, u string }{
		{"page_latin1.html", "text/html", "https://echo-gard.example/a.html"},
		{"page_meta.html", "text/html; charset=utf-8", "https://www.quotidien-du-soir.example/live?x=1#frag"},
	} {
		b, _ := os.ReadFile("testdata/" + c.f)
		a, err := ParsePage(b, c.ct, c.u, time.Unix(0, 0))
		fmt.Printf("=== %s err=%v\n%#v\n", c.f, err, a)
	}
}
