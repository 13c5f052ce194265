package site

import (
	"context"
	"errors"
	"net/http"

	"github.com/gocolly/colly/v2"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/weburl"
)

// Fetch fetches one article page the way Crawl does (robots.txt, user
// agent, body cap, timeout, bounded redirects, raw capture), to re-fetch
// an article for revisions. It ignores opts.Visited and does not follow
// links. opts.Delay is not applied: a single request has nothing to space,
// so callers re-fetching many pages of one site must space the calls.
//
// On a 2xx it returns the Page and nil. On any other status it returns the
// Page (Status, Header and Body set) and an *Error with that Status: for a
// 404 or 410, errors.Is(err, ErrGone) holds. Without a response the Page
// is zero and the *Error says why (ErrDisallowed when robots.txt forbids
// the URL, which is then never requested).
func Fetch(ctx context.Context, opts Options, rawURL string) (Page, error) {
	s, err := opts.settings()
	if err != nil {
		return Page{}, err
	}
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return Page{}, &Error{Source: s.Source, URL: weburl.Redact(rawURL), Err: err}
	}
	s.allowHost(u.Hostname())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rt := newPassTransport(ctx, s)
	c, err := newCollector(ctx, s, rt, 0, 1, nil)
	if err != nil {
		return Page{}, err
	}
	t := &task{tag: "fetch", url: u.String(), key: normalize(u), kind: kindArticle}
	fail := func(err error) *Error {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		if isRobotsBlock(err) {
			if e := rt.robotsUnavailable(s.Source, t.url); e != nil {
				return e
			}
			if !errors.Is(err, ErrDisallowed) {
				err = ErrDisallowed
			}
		}
		return &Error{Source: s.Source, URL: weburl.Redact(t.url), Err: stripURLError(err)}
	}

	var (
		cp    *capture
		cbErr error
	)
	c.OnRequest(func(r *colly.Request) {
		r.Headers.Set(tagHeader, t.tag)
		r.Headers.Set("Accept", accept)
	})
	c.OnResponse(func(*colly.Response) { cp = rt.take(t.tag) })
	c.OnError(func(_ *colly.Response, err error) { cbErr = err })
	err = c.Visit(t.url) // synchronous: the collector is not Async
	switch {
	case cp != nil:
	case cbErr != nil:
		return Page{}, fail(cbErr)
	case err != nil:
		return Page{}, fail(err)
	default:
		return Page{}, fail(errors.New("response not captured"))
	}

	page := pageOf(t, cp)
	if cp.status >= 200 && cp.status < 300 {
		return page, nil
	}
	e := &Error{Source: s.Source, URL: weburl.Redact(t.url), Status: cp.status}
	if cp.status == http.StatusTooManyRequests || cp.status == http.StatusServiceUnavailable {
		e.RetryAfter = crawler.ParseRetryAfter(cp.header.Get("Retry-After"), s.Now())
	}
	return page, e
}
