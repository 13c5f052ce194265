package site

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/weburl"
)

// Defaults for Options: a zero field means its default.
const (
	DefaultUserAgent    = "silencewatch/0.1"
	DefaultParallelism  = 2
	DefaultDelay        = 500 * time.Millisecond
	DefaultTimeout      = 20 * time.Second
	DefaultMaxBodyBytes = 10 << 20 // 10 MiB, after content decoding
	DefaultMaxQueue     = 1000
	DefaultMaxPages     = 500
	DefaultMaxDepth     = 1
)

// Limits that are not options.
const (
	maxRedirects       = 5
	maxSitemapsPerPass = 50               // sitemap documents fetched per pass, seeds included
	maxChildSitemaps   = 20               // newest children taken from one sitemap index
	maxCrawlDelay      = 30 * time.Second // a robots.txt Crawl-delay above this is capped
	robotsMaxBytes     = 512 << 10        // Google reads the first 500 KiB of a robots.txt
)

// Options configure one source of kind `site`. Zero values mean the
// defaults above.
type Options struct {
	// Source is the configured source name; it is in every error and is
	// the namespace of the source's keys in Visited.
	Source string
	// StartURLs are section pages: fetched on every pass, never passed to
	// onPage, never recorded in Visited. Their hosts, with the sitemaps'
	// hosts, are the only hosts the crawl requests.
	StartURLs []string
	// Follow are article URL patterns, matched against the absolute URL
	// (fragment removed) of each link found on a fetched page. Links that
	// match none are not followed. An empty Follow follows no link: only
	// sitemaps then yield articles.
	Follow []*regexp.Regexp
	// MaxDepth bounds how many links away from a start URL an article may
	// be: 1 (the default) fetches the articles the start pages link to; 2
	// also those the articles link to. Sitemap entries are at depth 1.
	MaxDepth int
	// Sitemaps are sitemap or sitemap-index URLs (plain XML or .xml.gz),
	// including Google News sitemaps. They are fetched on every pass; every
	// URL they list is an article, whatever Follow says.
	Sitemaps []string
	// UserAgent is sent with every request and matched against robots.txt
	// groups (default DefaultUserAgent).
	UserAgent string
	// Parallelism bounds requests in flight per source (default 2).
	Parallelism int
	// Delay is the pause after each response before its slot takes the next
	// request (colly's LimitRule.Delay; default 500ms, negative for none).
	// A robots.txt Crawl-delay for our user agent raises it, up to 30s.
	Delay time.Duration
	// Timeout bounds one request, redirects and body included (default 20s).
	Timeout time.Duration
	// MaxBodyBytes caps a body after content decoding (default 10 MiB); a
	// longer body is an error (ErrTooLarge), never truncated.
	MaxBodyBytes int64
	// MaxQueue bounds the URLs waiting to be fetched (default 1000); links
	// found while it is full are dropped and counted (Stats.QueueDrops).
	MaxQueue int
	// MaxPages bounds the article pages requested per pass (default 500).
	// Start pages and sitemaps are not counted.
	MaxPages int
	// Transport is the process's one crawler.Transport: its address guard,
	// per-host limit and robots.txt cache hold for this source together
	// with every other (default crawler.DefaultTransport, no private range
	// allowed).
	Transport *crawler.Transport
	// Visited is the persistent set of article URLs already fetched.
	// Crawl requires it; Fetch ignores it.
	Visited Visited
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// settings are Options with defaults applied and URLs checked.
type settings struct {
	Options
	starts   []*url.URL
	sitemaps []*url.URL
	hosts    []string // allowed host names, lower case, in first-seen order
}

func (o Options) settings() (*settings, error) {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Parallelism <= 0 {
		o.Parallelism = DefaultParallelism
	}
	switch {
	case o.Delay == 0:
		o.Delay = DefaultDelay
	case o.Delay < 0:
		o.Delay = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = DefaultMaxQueue
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport == nil {
		o.Transport = crawler.DefaultTransport()
	}
	s := &settings{Options: o}
	var errs []error
	parse := func(what string, raws []string) []*url.URL {
		var out []*url.URL
		for _, raw := range raws {
			u, err := parseHTTPURL(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w", what, weburl.Redact(raw), err))
				continue
			}
			out = append(out, u)
			s.allowHost(u.Hostname())
		}
		return out
	}
	s.starts = parse("start URL", o.StartURLs)
	s.sitemaps = parse("sitemap", o.Sitemaps)
	for i, re := range o.Follow {
		if re == nil {
			errs = append(errs, fmt.Errorf("follow pattern %d is nil", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("site: source %q: %w", o.Source, err)
	}
	return s, nil
}

func (s *settings) allowHost(h string) {
	h = strings.ToLower(h)
	for _, have := range s.hosts {
		if have == h {
			return
		}
	}
	s.hosts = append(s.hosts, h)
}

func (s *settings) hostAllowed(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	for _, have := range s.hosts {
		if have == h {
			return true
		}
	}
	return false
}

func (s *settings) follows(abs string) bool {
	for _, re := range s.Follow {
		if re.MatchString(abs) {
			return true
		}
	}
	return false
}

// parseHTTPURL parses an absolute http(s) URL and drops its fragment.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errInvalidURL // not err: it quotes the URL, password included
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errInvalidURL
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}
