package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixedNow is the injected clock of tests that do not depend on real time.
var fixedNow = time.Date(2024, 6, 8, 23, 59, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// asFetchError fails the test unless err is a *FetchError.
func asFetchError(t *testing.T, err error) *FetchError {
	t.Helper()
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FetchError", err, err)
	}
	return fe
}

func TestFetchConditionalRoundTrip(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Sat, 08 Jun 2024 21:00:00 GMT"
	body := readTestdata(t, "rss_fr.xml")
	var seen []http.Header
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(body)
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Now: fixedClock})

	first, err := f.Fetch(t.Context(), FetchRequest{Source: "qds", URL: srv.URL, Conditional: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != 200 || first.NotModified || !bytes.Equal(first.Body, body) {
		t.Fatalf("first fetch: status %d, NotModified %v, %d bytes", first.Status, first.NotModified, len(first.Body))
	}
	if first.SHA256 != sha256.Sum256(body) {
		t.Error("SHA256 is not the body's")
	}
	if first.ETag != etag || first.LastModified != lastMod {
		t.Errorf("validators %q %q", first.ETag, first.LastModified)
	}
	if first.ContentType != "application/rss+xml; charset=utf-8" || first.Header.Get("ETag") != etag {
		t.Errorf("ContentType %q, Header %v", first.ContentType, first.Header)
	}
	if first.FinalURL != srv.URL || !first.FetchedAt.Equal(fixedNow) {
		t.Errorf("FinalURL %q, FetchedAt %v", first.FinalURL, first.FetchedAt)
	}

	second, err := f.Fetch(t.Context(), FetchRequest{
		Source: "qds", URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified, Conditional: true,
	})
	if err != nil {
		t.Fatalf("304 is not an error: %v", err)
	}
	if second.Status != 304 || !second.NotModified || second.Body != nil {
		t.Errorf("second fetch: status %d, NotModified %v, body %q", second.Status, second.NotModified, second.Body)
	}
	// The server sent no validators with its 304: ours carry over.
	if second.ETag != etag || second.LastModified != lastMod {
		t.Errorf("validators after 304: %q %q", second.ETag, second.LastModified)
	}
	if got := seen[1].Get("If-None-Match"); got != etag {
		t.Errorf("server saw If-None-Match %q", got)
	}
	if got := seen[1].Get("If-Modified-Since"); got != lastMod {
		t.Errorf("server saw If-Modified-Since %q", got)
	}
}

func TestFetchUnconditionalSendsNoValidators(t *testing.T) {
	var inm, ims atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inm.Store(r.Header.Values("If-None-Match"))
		ims.Store(r.Header.Values("If-Modified-Since"))
		fmt.Fprint(w, "full body")
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Now: fixedClock})
	res, err := f.Fetch(t.Context(), FetchRequest{
		URL: srv.URL, ETag: `"lying"`, LastModified: "Sat, 08 Jun 2024 21:00:00 GMT", Conditional: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != "full body" {
		t.Errorf("body %q", res.Body)
	}
	if v := inm.Load().([]string); len(v) != 0 {
		t.Errorf("If-None-Match sent: %q", v)
	}
	if v := ims.Load().([]string); len(v) != 0 {
		t.Errorf("If-Modified-Since sent: %q", v)
	}
}

func TestFetchHTTPStatusErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantRetry  bool
		wantAfter  time.Duration
		wantGone   bool
		wantMsg    string // after "crawler: source "s" (URL): "
	}{
		{"429 with seconds", 429, "7", true, 7 * time.Second, false, "HTTP 429 Too Many Requests (retry after 7s)"},
		{"503 with HTTP date", 503, fixedNow.Add(30 * time.Second).Format(http.TimeFormat), true, 30 * time.Second, false, "HTTP 503 Service Unavailable (retry after 30s)"},
		{"503 with a past date", 503, fixedNow.Add(-time.Hour).Format(http.TimeFormat), true, 0, false, "HTTP 503 Service Unavailable"},
		{"500", 500, "", true, 0, false, "HTTP 500 Internal Server Error"},
		{"502 ignores Retry-After", 502, "60", true, 0, false, "HTTP 502 Bad Gateway"},
		{"408", 408, "", true, 0, false, "HTTP 408 Request Timeout"},
		{"404", 404, "", false, 0, false, "HTTP 404 Not Found"},
		{"410 Gone", 410, "", false, 0, true, "HTTP 410 Gone"},
		{"401", 401, "", false, 0, false, "HTTP 401 Unauthorized"},
		{"403", 403, "", false, 0, false, "HTTP 403 Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, "nope", tt.status)
			}))
			defer srv.Close()
			f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Now: fixedClock})
			_, err := f.Fetch(t.Context(), FetchRequest{Source: "s", URL: srv.URL + "/feed"})
			fe := asFetchError(t, err)
			if fe.Kind != KindHTTPStatus || fe.Status != tt.status {
				t.Errorf("Kind %v Status %d", fe.Kind, fe.Status)
			}
			if fe.Retryable() != tt.wantRetry {
				t.Errorf("Retryable() = %v", fe.Retryable())
			}
			if fe.RetryAfter != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", fe.RetryAfter, tt.wantAfter)
			}
			if fe.Gone() != tt.wantGone {
				t.Errorf("Gone() = %v", fe.Gone())
			}
			if want := fmt.Sprintf("crawler: source %q (%s/feed): %s", "s", srv.URL, tt.wantMsg); err.Error() != want {
				t.Errorf("message\n got %q\nwant %q", err, want)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
	}{
		{"no response headers", func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}},
		{"body stalls", func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("<rss>"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.handler(w, r, stop)
			}))
			defer srv.Close()
			defer close(stop) // runs first: lets the handler return so Close does not wait

			const timeout = 200 * time.Millisecond
			f := NewFetcher(FetcherOptions{AllowPrivate: loopback, Timeout: timeout})
			start := time.Now()
			_, err := f.Fetch(t.Context(), FetchRequest{Source: "slow", URL: srv.URL})
			elapsed := time.Since(start)
			fe := asFetchError(t, err)
			if fe.Kind != KindTimeout || !fe.Retryable() {
				t.Errorf("Kind %v Retryable %v: %v", fe.Kind, fe.Retryable(), err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v does not wrap context.DeadlineExceeded", err)
			}
			if !strings.Contains(err.Error(), "timeout") {
				t.Errorf("message %q does not say timeout", err)
			}
			// Generous bound: the point is that it did not hang.
			if elapsed > 5*time.Second {
				t.Errorf("took %v with a %v timeout", elapsed, timeout)
			}
		})
	}
}

func TestFetchTooLarge(t *testing.T) {
	const limit = 1024
	big := bytes.Repeat([]byte("a"), 4*limit)
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 1<<20)) // 1 MiB of zeros, about 1 KiB compressed
	zw.Close()
	if bomb.Len() > limit*2 {
		t.Fatalf("bomb is %d bytes compressed, test assumes it is small", bomb.Len())
	}

	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"declared Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			w.Write(big)
		}},
		{"chunked, no length", func(w http.ResponseWriter, r *http.Request) {
			w.Write(big[:limit])
			w.(http.Flusher).Flush()
			w.Write(big[limit:])
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				http.Error(w, "want gzip", 400)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", fmt.Sprint(bomb.Len()))
			w.Write(bomb.Bytes())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			f := NewFetcher(FetcherOptions{AllowPrivate: loopback, MaxBodyBytes: limit})
			_, err := f.Fetch(t.Context(), FetchRequest{Source: "big", URL: srv.URL})
			fe := asFetchError(t, err)
			if fe.Kind != KindTooLarge || fe.Retryable() {
				t.Errorf("Kind %v Retryable %v: %v", fe.Kind, fe.Retryable(), err)
			}
			if want := fmt.Sprintf("crawler: source \"big\" (%s): body exceeds 1024 bytes", srv.URL); err.Error() != want {
				t.Errorf("message\n got %q\nwant %q", err, want)
			}
		})
	}
}

func TestFetchBodyAtLimitAndGzip(t *testing.T) {
	body := bytes.Repeat([]byte("é"), 512) // exactly 1024 bytes
	var wire bytes.Buffer
	zw := gzip.NewWriter(&wire)
	zw.Write(body)
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			w.Write(body)
		case "/gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(wire.Bytes())
		case "/corrupt":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(wire.Bytes()[:wire.Len()/2])
		case "/br": // not asked for: kept as it came, as the transport would
			w.Header().Set("Content-Encoding", "br")
			w.Write(body)
		}
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, MaxBodyBytes: int64(len(body))})
	for _, path := range []string{"/plain", "/gzip", "/br"} {
		res, err := f.Fetch(t.Context(), FetchRequest{URL: srv.URL + path})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Equal(res.Body, body) || res.SHA256 != sha256.Sum256(body) {
			t.Errorf("%s: body or hash is not the decoded body", path)
		}
		if got := res.RequestHeader.Get("Accept-Encoding"); got != "" {
			t.Errorf("%s: kept request header Accept-Encoding %q: the body kept is decoded", path, got)
		}
		switch path {
		case "/gzip":
			// The bytes as received, to be stored without compressing
			// the body again, and headers that describe the decoded body.
			if !bytes.Equal(res.Gzipped, wire.Bytes()) {
				t.Errorf("%s: Gzipped is not the body as received", path)
			}
			if ce, cl := res.Header.Get("Content-Encoding"), res.Header.Get("Content-Length"); ce != "" || cl != "" {
				t.Errorf("%s: Content-Encoding %q, Content-Length %q kept: they describe the encoded body", path, ce, cl)
			}
		default:
			if res.Gzipped != nil {
				t.Errorf("%s: Gzipped set for a body that was not gzipped", path)
			}
		}
	}
	_, err := f.Fetch(t.Context(), FetchRequest{Source: "cut", URL: srv.URL + "/corrupt"})
	if fe := asFetchError(t, err); fe.Source != "cut" || !strings.Contains(fe.Error(), "reading body") {
		t.Errorf("a cut gzip stream: %v", fe)
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "moved here") })
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/a", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, MaxRedirects: 3})

	res, err := f.Fetch(t.Context(), FetchRequest{URL: srv.URL + "/old"})
	if err != nil {
		t.Fatal(err)
	}
	if res.FinalURL != srv.URL+"/new" || string(res.Body) != "moved here" {
		t.Errorf("FinalURL %q body %q", res.FinalURL, res.Body)
	}

	_, err = f.Fetch(t.Context(), FetchRequest{Source: "loop", URL: srv.URL + "/loop/a"})
	fe := asFetchError(t, err)
	if fe.Kind != KindTooManyRedirects || fe.Retryable() {
		t.Errorf("Kind %v Retryable %v", fe.Kind, fe.Retryable())
	}
	if want := fmt.Sprintf("crawler: source \"loop\" (%s/loop/a): too many redirects: stopped after 3", srv.URL); err.Error() != want {
		t.Errorf("message\n got %q\nwant %q", err, want)
	}
}

func TestFetchPerHostConcurrency(t *testing.T) {
	var inFlight, maxInFlight atomic.Int32
	arrived := make(chan struct{}, 16)
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		arrived <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, PerHostConcurrency: 2})

	const requests = 6
	errs := make(chan error, requests)
	for range requests {
		go func() {
			_, err := f.Fetch(t.Context(), FetchRequest{URL: srv.URL})
			errs <- err
		}()
	}
	// Two requests get in and are held at the gate...
	for range 2 {
		<-arrived
	}
	// ...and a third must not reach the server while they are.
	select {
	case <-arrived:
		t.Fatal("a third request reached the server while two were in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(gate)
	for range requests {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if m := maxInFlight.Load(); m != 2 {
		t.Errorf("server saw at most %d concurrent requests, want 2", m)
	}
}

func TestFetchPerHostLimitIsPerHost(t *testing.T) {
	gate := make(chan struct{})
	arrived := make(chan struct{}, 1)
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
		}
	}))
	defer busy.Close()
	idle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer idle.Close()
	defer close(gate)

	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, PerHostConcurrency: 1})
	go f.Fetch(t.Context(), FetchRequest{URL: busy.URL})
	<-arrived // busy host's only slot is taken

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := f.Fetch(ctx, FetchRequest{URL: idle.URL}); err != nil {
		t.Fatalf("another host was blocked: %v", err)
	}
}

func TestFetchPerHostDelay(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	}))
	defer srv.Close()

	const delay = 100 * time.Millisecond
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, PerHostDelay: delay, PerHostConcurrency: 4})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.Fetch(t.Context(), FetchRequest{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	slices.SortFunc(arrivals, time.Time.Compare)
	// Generous margins: request latency varies, the spacing must not.
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < delay/2 {
			t.Errorf("requests %d and %d arrived %v apart, want about %v", i-1, i, gap, delay)
		}
	}
	if span := arrivals[len(arrivals)-1].Sub(arrivals[0]); span < 3*delay-delay/2 {
		t.Errorf("4 requests spread over %v, want at least about %v", span, 3*delay)
	}
}

func TestFetchWaitingForHostHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback, PerHostDelay: time.Hour})
	if _, err := f.Fetch(t.Context(), FetchRequest{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, FetchRequest{Source: "s", URL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if fe := asFetchError(t, err); fe.Kind != KindTimeout {
		t.Errorf("Kind = %v", fe.Kind)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("waited %v despite the context", elapsed)
	}

	cancelled, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if _, err := f.Fetch(cancelled, FetchRequest{URL: srv.URL}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestFetchUserAgent(t *testing.T) {
	var ua atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
	}))
	defer srv.Close()
	tests := []struct {
		name string
		opts FetcherOptions
		want string
	}{
		{"built from contact URL", FetcherOptions{AllowPrivate: loopback, ContactURL: "https://silencewatch.example/contact"}, "silencewatch/0.1 (+https://silencewatch.example/contact)"},
		{"explicit", FetcherOptions{AllowPrivate: loopback, UserAgent: "custom/1.0"}, "custom/1.0"},
		{"no contact", FetcherOptions{AllowPrivate: loopback}, "silencewatch/0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewFetcher(tt.opts).Fetch(t.Context(), FetchRequest{URL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			if got := ua.Load(); got != tt.want {
				t.Errorf("User-Agent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFetchNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	_, err := NewFetcher(FetcherOptions{AllowPrivate: loopback}).Fetch(t.Context(), FetchRequest{Source: "down", URL: url})
	fe := asFetchError(t, err)
	if fe.Kind != KindNetwork || !fe.Retryable() {
		t.Errorf("Kind %v Retryable %v: %v", fe.Kind, fe.Retryable(), err)
	}
	if want := fmt.Sprintf("crawler: source \"down\" (%s): network error: ", url); !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q lacks prefix %q", err, want)
	}
}

func TestFetchRedactsPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			return
		}
		w.WriteHeader(500)
	}))
	defer srv.Close()
	withAuth := strings.Replace(srv.URL, "http://", "http://reader:s3cr3t@", 1)
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback})

	_, err := f.Fetch(t.Context(), FetchRequest{Source: "private", URL: withAuth + "/feed"})
	fe := asFetchError(t, err)
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(fe.URL, "s3cr3t") {
		t.Errorf("password leaked: %q", err)
	}
	if !strings.Contains(err.Error(), "//xxxxx@") {
		t.Errorf("message %q does not show the redacted URL", err)
	}
	res, err := f.Fetch(t.Context(), FetchRequest{URL: withAuth + "/ok"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.FinalURL, "s3cr3t") {
		t.Errorf("FinalURL leaks the password: %q", res.FinalURL)
	}
}

func TestFetchInvalidURL(t *testing.T) {
	for _, u := range []string{"ftp://x.example/feed", "/relative/feed", "http://%zz", "http://u:s3cr3t@[::1"} {
		_, err := NewFetcher(FetcherOptions{AllowPrivate: loopback}).Fetch(t.Context(), FetchRequest{URL: u})
		fe := asFetchError(t, err)
		if fe.Kind != KindParse || fe.Retryable() {
			t.Errorf("%q: Kind %v Retryable %v", u, fe.Kind, fe.Retryable())
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: password leaked: %q", u, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"", 0},
		{fixedNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{fixedNow.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999999999999", 0}, // does not fit: ignored
		{"9999999999999", time.Duration(1<<63-1) / time.Second * time.Second},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, fixedNow); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHostLimiterForgetsIdleHosts(t *testing.T) {
	l := newHostLimiter(2, 0, fixedClock)
	for i := range 200 {
		release, err := l.acquire(t.Context(), fmt.Sprintf("h%d.example", i))
		if err != nil {
			t.Fatal(err)
		}
		release()
		release() // idempotent
	}
	if n := len(l.hosts); n != 0 {
		t.Errorf("%d idle hosts kept", n)
	}
}

// TestFetchReusesConnections guards against a new TCP connection per poll:
// successive fetches of one host, whatever their outcome, share one.
func TestFetchReusesConnections(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/404":
			http.NotFound(w, r)
		default:
			w.Write(readTestdata(t, "rss_fr.xml"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: loopback})
	for i := range 9 {
		path := []string{"/feed", "/304", "/404"}[i%3]
		f.Fetch(t.Context(), FetchRequest{URL: srv.URL + path, ETag: `"x"`, Conditional: true})
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("9 sequential fetches opened %d connections, want 1", n)
	}
}

// loopback lets the tests' httptest servers through the address guard.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
