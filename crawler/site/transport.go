package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/weburl"
)

// tagHeader carries a task's id from colly's OnRequest to the transport,
// which removes it before the request leaves the process. It is how a
// captured response is matched to the colly response built from it.
const tagHeader = "X-Silencewatch-Capture"

// capture is one response as received: the evidence kept for a page.
type capture struct {
	finalURL string
	status   int
	header   http.Header
	body     []byte
	sum      [32]byte
	at       time.Time
}

// passTransport wraps the real transport for one pass (or one Fetch):
//
//   - it reads every body to the end, at most maxBody bytes after content
//     decoding (a longer one fails with ErrTooLarge), and keeps the bytes,
//     headers, time and SHA-256 of tagged requests before colly decodes or
//     rewrites anything; colly then reads the same bytes from memory;
//   - it binds every request to the pass's context, including colly's own
//     robots.txt fetch, which has none, so cancelling the pass aborts them;
//   - it answers robots.txt requests from the crawler.Transport's cache,
//     shared by every pass and page fetch of the process and kept for
//     crawler.RobotsTTL (concurrent requests wait for the first), capped at
//     512 KiB; a robots.txt answering 5xx or 429 is served as
//     "Disallow: /" (see robotsTrip).
type passTransport struct {
	next    *crawler.Transport
	ctx     context.Context
	maxBody int64
	now     func() time.Time
	ua      string
	timeout time.Duration

	mu       sync.Mutex
	captures map[string]*capture
	parsed   map[string]*robotstxt.RobotsData // scheme://host → this pass's parse
}

func newPassTransport(ctx context.Context, s *settings) *passTransport {
	return &passTransport{
		next:     s.Transport,
		ctx:      ctx,
		maxBody:  s.MaxBodyBytes,
		now:      s.Now,
		ua:       s.UserAgent,
		timeout:  s.Timeout,
		captures: make(map[string]*capture),
		parsed:   make(map[string]*robotstxt.RobotsData),
	}
}

func (t *passTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tag := req.Header.Get(tagHeader)
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel() // the body is read before returning: nothing outlives RoundTrip
	stop := context.AfterFunc(t.ctx, cancel)
	defer stop()
	req = req.Clone(ctx)
	req.Header.Del(tagHeader)

	if tag == "" && req.Method == http.MethodGet && req.URL.Path == "/robots.txt" && req.URL.RawQuery == "" {
		return t.robotsTrip(req)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := readCapped(resp.Body, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if gzipped(req, resp, body) {
		if body, err = gunzip(body, t.maxBody); err != nil {
			return nil, err
		}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
	}
	// Tell colly the body is decoded: left to itself it gunzips a .xml.gz
	// without any cap on the result.
	resp.Uncompressed = true
	if tag != "" {
		// Redirect hops carry the tag too (net/http copies headers): the
		// last response, the one colly sees, overwrites the earlier ones.
		c := &capture{
			finalURL: weburl.Redact(req.URL.String()),
			status:   resp.StatusCode,
			header:   resp.Header.Clone(),
			body:     body,
			sum:      sha256.Sum256(body),
			at:       t.now(),
		}
		t.mu.Lock()
		t.captures[tag] = c
		t.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// take returns and forgets the capture for tag, nil if none.
func (t *passTransport) take(tag string) *capture {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.captures[tag]
	delete(t.captures, tag)
	return c
}

// readCapped reads r to the end, failing with ErrTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return body, nil
}

// gzipped reports whether body is gzip data the response says is gzip
// (Content-Encoding the transport did not undo, a gzip Content-Type, a .gz
// path): the cases colly would gunzip, minus those that are not gzip.
func gzipped(req *http.Request, resp *http.Response, body []byte) bool {
	if !bytes.HasPrefix(body, gzipMagic) {
		return false
	}
	return strings.Contains(strings.ToLower(resp.Header.Get("Content-Encoding")), "gzip") ||
		strings.Contains(strings.ToLower(resp.Header.Get("Content-Type")), "gzip") ||
		strings.HasSuffix(strings.ToLower(req.URL.Path), ".gz")
}

// gunzip decompresses body, failing with ErrTooLarge past limit bytes.
func gunzip(body []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	out, err := readCapped(zr, limit)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return out, nil
}

// robotsTrip answers a robots.txt request from the shared cache,
// fetching it on the first call for its host or once expired.
func (t *passTransport) robotsTrip(req *http.Request) (*http.Response, error) {
	key := req.URL.Scheme + "://" + req.URL.Host
	f, err := t.next.Robots().Get(req.Context(), key, func() crawler.RobotsFile {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			return crawler.RobotsFile{Err: err}
		}
		defer resp.Body.Close()
		// Longer files are cut, as Google does, rather than refused.
		body, err := io.ReadAll(io.LimitReader(resp.Body, robotsMaxBytes))
		if err != nil {
			return crawler.RobotsFile{Err: err}
		}
		return crawler.RobotsFile{Status: resp.StatusCode, Header: resp.Header, Body: body}
	})
	if err == nil {
		err = f.Err
	}
	if err != nil {
		return nil, err
	}
	status, body := f.Status, f.Body
	if robotsDown(status) {
		// robotstxt reads a 5xx as "disallow all", but colly tests
		// FindGroup(ua).Test(path), which misses that and allows
		// everything: say it in robots.txt's own words.
		status, body = http.StatusOK, []byte("User-agent: *\nDisallow: /\n")
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        f.Header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// robotsDown reports a robots.txt status that means "crawl nothing for
// now": a server error, or 429, which Google treats as one.
func robotsDown(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests
}

// robotsFor returns the parsed robots.txt of u's host, fetching it through
// this transport (so once per pass, redirects followed) if needed.
func (t *passTransport) robotsFor(ctx context.Context, u *url.URL) (*robotstxt.RobotsData, error) {
	key := u.Scheme + "://" + u.Host
	t.mu.Lock()
	if data := t.parsed[key]; data != nil {
		t.mu.Unlock()
		return data, nil
	}
	t.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, key+"/robots.txt", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", t.ua)
	client := &http.Client{
		Transport: t,
		Timeout:   t.timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("robots.txt: %w", stripURLError(err))
	}
	defer resp.Body.Close()
	data, err := robotstxt.FromResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("robots.txt: %w", err)
	}
	t.mu.Lock()
	t.parsed[key] = data
	t.mu.Unlock()
	return data, nil
}

// allowed reports whether robots.txt lets our user agent fetch u, testing
// the path the way colly does.
func (t *passTransport) allowed(ctx context.Context, u *url.URL) (bool, error) {
	data, err := t.robotsFor(ctx, u)
	if err != nil {
		return false, err
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.Query().Encode()
	}
	return data.FindGroup(t.ua).Test(p), nil
}

// crawlDelay returns the Crawl-delay robots.txt asks of our user agent on
// u's host, 0 if none or if robots.txt cannot be read (colly will then
// refuse the host's URLs and the pass reports why).
func (t *passTransport) crawlDelay(ctx context.Context, u *url.URL) time.Duration {
	data, err := t.robotsFor(ctx, u)
	if err != nil {
		return 0
	}
	return min(data.FindGroup(t.ua).CrawlDelay, maxCrawlDelay)
}

// robotsUnavailable returns the error to report when robots.txt of raw's
// host answered 5xx or 429: everything is then disallowed, which is a
// temporary outage (retryable), not the site's wish. Nil otherwise.
func (t *passTransport) robotsUnavailable(source, raw string) *Error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	key := u.Scheme + "://" + u.Host
	f, ok := t.next.Robots().Peek(key)
	if !ok || f.Err != nil || !robotsDown(f.Status) {
		return nil
	}
	return &Error{
		Source:     source,
		URL:        weburl.Redact(key + "/robots.txt"),
		Status:     f.Status,
		RetryAfter: crawler.ParseRetryAfter(f.Header.Get("Retry-After"), t.now()),
		Err:        errors.New("robots.txt unavailable: every URL of the host is disallowed meanwhile"),
	}
}

// redirectPolicy bounds redirects and refuses a hop robots.txt forbids
// (colly checks robots.txt only for the URL it was asked to fetch).
func (t *passTransport) redirectPolicy(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, maxRedirects)
	}
	ok, err := t.allowed(req.Context(), req.URL)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("redirect to %s: %w", weburl.Redact(req.URL.String()), ErrDisallowed)
	}
	return nil
}
