package crawler

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// TransportOptions configure the process's one Transport. Zero values mean
// the defaults.
type TransportOptions struct {
	// AllowPrivate lists ranges the address guard lets through although
	// they are not public (crawler.allow_private; loopback in tests and the
	// demo). Empty: only public addresses are reached.
	AllowPrivate []netip.Prefix
	// PerHostConcurrency caps requests in flight per host (default 2),
	// whoever makes them: feed polls, site crawls, full text, revisits,
	// robots.txt, self-checks.
	PerHostConcurrency int
	// PerHostDelay is the minimum gap between request starts to one host.
	PerHostDelay time.Duration
	// Now is the clock (default time.Now), for delays and robots.txt expiry.
	Now func() time.Time
	// Base replaces the guarded network transport, for tests that need to
	// see or shape requests; the per-host limit and robots cache still
	// apply, the address guard does not (it lives in Base's dialer).
	Base http.RoundTripper
}

// Transport is the one way silencewatch reaches the web. Every request
// goes through its address guard (in the dialer), its per-host limit and
// delay, and, for pages, its robots.txt cache, so no path that "only
// fetches one page" can bypass them. It is safe for concurrent use; make
// one per process.
type Transport struct {
	base   http.RoundTripper
	hosts  *hostLimiter
	robots *RobotsCache
}

// NewTransport returns a Transport with opts, defaults filled in.
func NewTransport(opts TransportOptions) *Transport {
	if opts.PerHostConcurrency <= 0 {
		opts.PerHostConcurrency = DefaultPerHostConcurrency
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base := opts.Base
	if base == nil {
		base = newGuardedTransport(NewAddressGuard(opts.AllowPrivate), opts.PerHostConcurrency)
	}
	return &Transport{
		base:   base,
		hosts:  newHostLimiter(opts.PerHostConcurrency, opts.PerHostDelay, opts.Now),
		robots: NewRobotsCache(opts.Now),
	}
}

// DefaultTransport is the guarded Transport with default limits and no
// private range allowed, for callers given none.
var DefaultTransport = sync.OnceValue(func() *Transport { return NewTransport(TransportOptions{}) })

// Robots is the robots.txt cache shared by every site crawl and page fetch.
func (t *Transport) Robots() *RobotsCache { return t.robots }

// newGuardedTransport builds the network transport: connections to a host
// kept alive and reused across sources and polls, every dial checked by
// guard after DNS resolution. No proxy is used: through one, the guard
// would see the proxy's address, not the site's.
func newGuardedTransport(guard *AddressGuard, perHost int) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guard.control}
	return &http.Transport{
		Proxy:             nil,
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		MaxIdleConns:      1024,
		// The limiter never lets more than perHost requests to one host run
		// at once, so that many idle connections is enough for all of them
		// to go back to the pool (the default of 2 would close the rest).
		MaxIdleConnsPerHost:   max(perHost, 16),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Headers are bounded; the caller's timeout covers the whole request.
		MaxResponseHeaderBytes: 1 << 20,
		// DisableCompression stays false: the transport asks for gzip and
		// decodes it, and every reader caps the decoded bytes.
	}
}

// heldHostKey marks a context whose request already holds its host's slot
// (Fetcher waits for it before the request's timeout starts).
type heldHostKey struct{}

func withHeldHost(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, heldHostKey{}, host)
}

// RoundTrip waits for a slot on the request's host (each redirect hop on
// its own host), sends the request, and gives the slot back when the body
// is closed.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Host)
	if held, _ := req.Context().Value(heldHostKey{}).(string); held == host {
		return t.base.RoundTrip(req)
	}
	release, err := t.hosts.acquire(req.Context(), host)
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// acquire waits for a slot on host, for callers that wait before their
// request's timeout starts; the returned context tells RoundTrip the slot
// is held.
func (t *Transport) acquire(ctx context.Context, host string) (context.Context, func(), error) {
	host = strings.ToLower(host)
	release, err := t.hosts.acquire(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	return withHeldHost(ctx, host), release, nil
}

// CloseIdleConnections closes the base transport's idle connections.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type releasingBody struct {
	io.ReadCloser
	release func() // idempotent (sync.OnceFunc in hostLimiter)
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
