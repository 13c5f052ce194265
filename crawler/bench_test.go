package crawler

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkFetchNotModified measures the common poll: a conditional GET
// answered 304 over a kept-alive loopback connection.
func BenchmarkFetchNotModified(b *testing.B) {
	const etag = `"v1"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write([]byte("<rss/>"))
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Now: fixedClock})
	req := FetchRequest{Source: "bench", URL: srv.URL, ETag: etag, Conditional: true}
	b.ReportAllocs()
	for b.Loop() {
		res, err := f.Fetch(b.Context(), req)
		if err != nil || !res.NotModified {
			b.Fatalf("res %+v, err %v", res, err)
		}
	}
}

// BenchmarkParseFeed parses a 50-item RSS feed with HTML descriptions and
// content, the typical size of a news outlet's main feed.
func BenchmarkParseFeed(b *testing.B) {
	body := readTestdata(b, "rss_50items.xml")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		feed, err := ParseFeed(body, "application/rss+xml", "https://www.quotidien-du-soir.example/rss.xml", fixedNow, nil)
		if err != nil || len(feed.Items) != 50 {
			b.Fatalf("%d items, err %v", len(feed.Items), err)
		}
	}
}
