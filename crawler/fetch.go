package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/weburl"
)

// Defaults for FetcherOptions.
const (
	DefaultTimeout            = 20 * time.Second
	DefaultMaxBodyBytes       = 10 << 20 // 10 MiB
	DefaultMaxRedirects       = 5
	DefaultPerHostConcurrency = 2
	userAgentProduct          = "silencewatch/0.1"
)

// FetcherOptions configures a Fetcher. Zero values mean the defaults.
type FetcherOptions struct {
	// ContactURL is where a publisher can reach us; it goes into the
	// default User-Agent as "silencewatch/0.1 (+ContactURL)".
	ContactURL string
	// UserAgent replaces the default built from ContactURL.
	UserAgent string
	// Timeout bounds one whole request, redirects and body included
	// (default 20s). Waiting for a per-host slot is not counted.
	Timeout time.Duration
	// MaxBodyBytes caps the body after content decoding (default 10 MiB).
	MaxBodyBytes int64
	// MaxRedirects is how many redirects are followed (default 5).
	MaxRedirects int
	// PerHostConcurrency, PerHostDelay and AllowPrivate configure the
	// Transport made when none is given (see TransportOptions).
	PerHostConcurrency int
	PerHostDelay       time.Duration
	AllowPrivate       []netip.Prefix
	// Now is the clock (default time.Now). It stamps results and computes
	// Retry-After dates and per-host delays.
	Now func() time.Time
	// Transport is the process's one Transport, shared with site crawls
	// and page fetches. Nil makes one from the fields above.
	Transport *Transport
}

// Fetcher performs polite HTTP GETs. It is safe for concurrent use; make one
// per process so that connections and per-host limits are shared by all
// sources.
type Fetcher struct {
	client    *http.Client
	transport *Transport
	userAgent string
	maxBody   int64
	now       func() time.Time
}

// NewFetcher returns a Fetcher with opts, defaults filled in.
func NewFetcher(opts FetcherOptions) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = userAgentProduct
		if opts.ContactURL != "" {
			ua += " (+" + opts.ContactURL + ")"
		}
	}
	rt := opts.Transport
	if rt == nil {
		rt = NewTransport(TransportOptions{AllowPrivate: opts.AllowPrivate, PerHostConcurrency: opts.PerHostConcurrency,
			PerHostDelay: opts.PerHostDelay, Now: opts.Now})
	}
	maxRedirects := opts.MaxRedirects
	return &Fetcher{
		client: &http.Client{
			Transport: rt,
			Timeout:   opts.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("%w: stopped after %d", errTooManyRedirects, maxRedirects)
				}
				return nil
			},
		},
		transport: rt,
		userAgent: ua,
		maxBody:   opts.MaxBodyBytes,
		now:       opts.Now,
	}
}

// Transport is the Transport the Fetcher sends through.
func (f *Fetcher) Transport() *Transport { return f.transport }

// FetchRequest is one GET.
type FetchRequest struct {
	Source       string // source name, for errors only
	URL          string
	ETag         string // validator from the previous FetchResult
	LastModified string // validator from the previous FetchResult
	// Conditional sends ETag and LastModified as If-None-Match and
	// If-Modified-Since. False forces a full GET, for sources whose
	// validators cannot be trusted.
	Conditional bool
	// Username and Password, when set, are sent as HTTP basic
	// authentication. Password is revealed only here, when sending.
	Username string
	Password Revealer
}

// Revealer is a credential that prints as "<secret>" and gives its value
// only on request (config.Secret).
type Revealer interface{ Reveal() string }

// FetchResult is a successful response: 2xx, or 304 when NotModified.
type FetchResult struct {
	Status      int
	NotModified bool   // 304: nothing new, Body is nil
	Body        []byte // decoded (gunzipped) body, at most MaxBodyBytes
	// Gzipped is the body as received when the server gzipped it (nil
	// otherwise): it decodes to Body, and is stored as it is.
	Gzipped []byte
	SHA256  [32]byte
	// ETag and LastModified are the validators to send next time. On a
	// 304 that omits them, the request's are carried over, so callers can
	// store them unconditionally.
	ETag         string
	LastModified string
	ContentType  string
	FinalURL     string // after redirects, password redacted
	Header       http.Header
	// RequestHeader and Proto are what was sent and spoken, kept with the
	// body as evidence. FinalURL and RequestHeader are left empty on a 304,
	// which has no body to keep (most polls: they cost an allocation each).
	RequestHeader http.Header
	Proto         string
	FetchedAt     time.Time     // when the response was complete (Now)
	Duration      time.Duration // from sending the request to FetchedAt, per Now
}

// accept prefers feeds but takes pages: the same Fetcher serves both.
const accept = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, " +
	"text/html;q=0.7, */*;q=0.5"

// Fetch GETs req.URL, waiting first for a slot on its host. Any failure is a
// *FetchError.
func (f *Fetcher) Fetch(ctx context.Context, req FetchRequest) (*FetchResult, error) {
	fail := func(kind ErrorKind, status int, err error) *FetchError {
		return &FetchError{Source: req.Source, URL: weburl.Redact(req.URL), Kind: kind, Status: status, Err: err}
	}

	u, err := url.Parse(req.URL)
	if err != nil {
		// Not err itself: url.Parse quotes the whole URL, password included.
		return nil, fail(KindParse, 0, errors.New("invalid URL"))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fail(KindParse, 0, errors.New("invalid URL: want an absolute http or https URL"))
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fail(KindParse, 0, fmt.Errorf("invalid URL: %w", stripURLError(err)))
	}
	hreq.Header.Set("User-Agent", f.userAgent)
	hreq.Header.Set("Accept", accept)
	// Asked for here, so that the transport leaves the body encoded and
	// readBody decodes it: the gzipped bytes are kept as evidence as
	// they came, not compressed again.
	hreq.Header.Set("Accept-Encoding", "gzip")
	if req.Conditional {
		if req.ETag != "" {
			hreq.Header.Set("If-None-Match", req.ETag)
		}
		if req.LastModified != "" {
			hreq.Header.Set("If-Modified-Since", req.LastModified)
		}
	}

	if req.Username != "" || req.Password != nil {
		pass := ""
		if req.Password != nil {
			pass = req.Password.Reveal()
		}
		hreq.SetBasicAuth(req.Username, pass)
	}

	// Wait for the host before the timeout starts: queueing behind other
	// feeds of one host is not the host being slow.
	held, release, err := f.transport.acquire(ctx, u.Host)
	if err != nil {
		return nil, fail(classify(err), 0, fmt.Errorf("waiting for a slot on %s: %w", u.Host, err))
	}
	defer release()
	hreq = hreq.WithContext(held)

	start := f.now()
	resp, err := f.client.Do(hreq)
	if err != nil {
		return nil, fail(classify(err), 0, stripURLError(err))
	}
	defer resp.Body.Close()

	res := &FetchResult{
		Status:       resp.StatusCode,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
		Header:       resp.Header,
		Proto:        resp.Proto,
	}
	if resp.StatusCode != http.StatusNotModified {
		res.FinalURL = weburl.Redact(resp.Request.URL.String())
		// The last request of any redirect chain, with the gzip asked
		// for left out: it describes the body we keep, decoded.
		res.RequestHeader = resp.Request.Header.Clone()
		res.RequestHeader.Del("Accept-Encoding")
	}

	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified = true
		if res.ETag == "" {
			res.ETag = req.ETag
		}
		if res.LastModified == "" {
			res.LastModified = req.LastModified
		}
		drain(resp.Body)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		body, gzipped, kind, err := f.readBody(resp)
		if err != nil {
			return nil, fail(kind, 0, err)
		}
		res.Body, res.Gzipped = body, gzipped
		res.SHA256 = sha256.Sum256(body)
		if gzipped != nil {
			// As the transport does when it decodes: the headers kept
			// describe the decoded body.
			res.Header = resp.Header.Clone()
			res.Header.Del("Content-Encoding")
			res.Header.Del("Content-Length")
		}
	default:
		drain(resp.Body)
		fe := fail(KindHTTPStatus, resp.StatusCode, nil)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			fe.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), f.now())
		}
		return nil, fe
	}
	res.FetchedAt = f.now()
	res.Duration = res.FetchedAt.Sub(start)
	return res, nil
}

// readBody reads the body, at most maxBody bytes as received and at most
// maxBody once decoded: the cap bounds what a small compressed "bomb"
// expands to. A gzip-encoded body is decoded here rather than by the
// transport, and its bytes as received are returned too (gzipped): kept as
// evidence as they are, they need not be compressed again.
func (f *Fetcher) readBody(resp *http.Response) (body, gzipped []byte, kind ErrorKind, err error) {
	tooLarge := fmt.Errorf("body exceeds %d bytes", f.maxBody)
	if resp.ContentLength > f.maxBody {
		return nil, nil, KindTooLarge, tooLarge // refuse without reading it
	}
	read := func(r io.Reader, size int) ([]byte, ErrorKind, error) {
		w := &limitedBuffer{buf: make([]byte, 0, size), limit: f.maxBody}
		if _, err := io.Copy(w, r); err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return nil, KindTooLarge, tooLarge
			}
			return nil, classify(err), fmt.Errorf("reading body: %w", stripURLError(err))
		}
		return w.buf, 0, nil
	}
	// Size the buffer from Content-Length when it is honest and small.
	size := 512
	if resp.ContentLength > 0 {
		size = int(resp.ContentLength) + 1
	}
	raw, kind, err := read(resp.Body, size)
	if err != nil || !gzipEncoded(resp.Header) {
		return raw, nil, kind, err
	}
	zr := gzipReaders.Get().(*gzip.Reader)
	defer gzipReaders.Put(zr)
	if err := zr.Reset(bytes.NewReader(raw)); err != nil {
		return nil, nil, KindNetwork, fmt.Errorf("reading body: %w", err)
	}
	body, kind, err = read(zr, int(min(4*int64(len(raw))+512, f.maxBody+1)))
	if err != nil {
		return nil, nil, kind, err
	}
	return body, raw, 0, nil
}

// gzipEncoded tells a body encoded by gzip alone (what Accept-Encoding
// asked for); any other encoding is left as it came, as the transport
// would have.
func gzipEncoded(h http.Header) bool {
	ce := h.Values("Content-Encoding")
	return len(ce) == 1 && strings.EqualFold(strings.TrimSpace(ce[0]), "gzip")
}

var gzipReaders = sync.Pool{New: func() any { return new(gzip.Reader) }}

var errBodyTooLarge = errors.New("body too large")

// limitedBuffer collects writes up to limit bytes and fails past it, so a
// body is never read further than one copy buffer beyond the cap.
type limitedBuffer struct {
	buf   []byte
	limit int64
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(b.buf))+int64(len(p)) > b.limit {
		return 0, errBodyTooLarge
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// drain reads a little of an unwanted body so the connection can be reused;
// a large one is cheaper to abandon.
func drain(r io.Reader) {
	_, _ = io.CopyN(io.Discard, r, 4<<10)
}

// classify maps a transport or context error to a kind.
func classify(err error) ErrorKind {
	var ne net.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		return KindTooManyRedirects
	case errors.Is(err, ErrBlockedAddress):
		return KindBlocked
	case errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	}
	return KindNetwork
}

// stripURLError drops net/http's *url.Error wrapper: FetchError already
// names the (redacted) URL, and the wrapper would repeat it.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
