package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/gocolly/colly/v2/storage"

	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/weburl"
)

// Page is one article page as fetched: the evidence of what the site
// served.
type Page struct {
	URL      string // the article URL requested (password redacted)
	FinalURL string // after redirects
	Status   int
	Header   http.Header
	// Body is the body as received, after content decoding (gzip) but
	// before any charset conversion: the bytes colly read are a copy.
	Body      []byte
	SHA256    [32]byte  // of Body
	FetchedAt time.Time // when Body was read to the end (Options.Now)
	// FromSitemap is set when the URL was queued from a sitemap (a URL
	// both linked and listed is queued by whichever is read first);
	// SitemapPublished is then its news:publication_date, else its
	// lastmod, in UTC (zero if none).
	FromSitemap      bool
	SitemapPublished time.Time
	// Depth is the number of links from a start page (1 for pages the
	// start pages link to and for sitemap entries).
	Depth int
}

// Stats describe one pass.
type Stats struct {
	Fetched        int // responses received: start pages, sitemaps and articles (robots.txt not counted)
	Articles       int // article pages passed to onPage
	SkippedVisited int // article URLs not requested because Visited has them
	Disallowed     int // URLs robots.txt forbids, never requested
	QueueDrops     int // URLs dropped because the queue was full
	Deferred       int // article URLs not examined because MaxPages was reached
	ErrorCount     int
	Errors         []error // the first maxStatErrors errors, each an *Error
}

const maxStatErrors = 100

type kind int

const (
	kindStart kind = iota
	kindSitemap
	kindArticle
)

// task is one URL to fetch. done and status are written by colly's
// callbacks and read by the worker after Do returns: all in one goroutine.
type task struct {
	tag         string
	url         string
	key         string
	kind        kind
	seed        bool
	depth       int
	fromSitemap bool
	published   time.Time

	done   bool
	status int
}

const taskCtxKey = "silencewatch.task"

func taskOf(ctx *colly.Context) *task {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.GetAny(taskCtxKey).(*task)
	return t
}

// accept prefers HTML and sitemaps.
const accept = "text/html,application/xhtml+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"

// Crawl makes one pass over a site: it fetches the start pages and
// sitemaps, follows links matching opts.Follow up to opts.MaxDepth and the
// URLs sitemaps list, and calls onPage for every article page fetched with
// a 2xx (never for start pages or sitemaps). onPage is never called
// concurrently and never after Crawl returns. When it returns nil the
// article is marked in opts.Visited under NormalizeURL of its URL; an
// article already there is not requested again (Fetch re-fetches one on
// purpose). When it returns an error the page is not marked, so the next
// pass fetches it again, and the error is in Stats.Errors.
//
// Politeness: robots.txt is honoured (from the Transport's cache, shared by
// every pass and fetch, also for redirect hops), requests carry
// opts.UserAgent, go through the Transport's address guard and per-host
// limit, at most Parallelism are in flight, each slot pauses Delay (raised
// to the site's Crawl-delay) after each response, and bodies, redirects and
// time are bounded.
//
// The pass ends when no URL is left, MaxPages articles were requested, or
// ctx ends. Errors on single URLs are in Stats.Errors; Crawl itself
// returns an error when the options are invalid, when ctx ended (wrapping
// ctx.Err()), when the site answered 429 or 503 (an *Error with its
// RetryAfter: the pass stops at once), or when no start page or sitemap
// could be fetched (the first such *Error). The caller backs off on it as
// for a failing feed.
func Crawl(ctx context.Context, opts Options, onPage func(Page) error) (Stats, error) {
	s, err := opts.settings()
	if err != nil {
		return Stats{}, err
	}
	if s.Visited == nil {
		return Stats{}, fmt.Errorf("site: source %q: Options.Visited is nil", s.Source)
	}
	if len(s.starts)+len(s.sitemaps) == 0 {
		return Stats{}, fmt.Errorf("site: source %q: no start URL and no sitemap", s.Source)
	}
	if onPage == nil {
		onPage = func(Page) error { return nil }
	}

	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	p := &pass{
		s:      s,
		ctx:    pctx,
		cancel: cancel,
		rt:     newPassTransport(pctx, s),
		onPage: onPage,
		seen:   make(map[string]struct{}),
	}

	// Read each host's robots.txt first: its Crawl-delay sets the
	// LimitRule, and colly's own check is then answered from memory.
	delay := s.Delay
	checked := map[string]bool{}
	for _, u := range append(append([]*url.URL{}, s.starts...), s.sitemaps...) {
		if h := u.Scheme + "://" + u.Host; !checked[h] {
			checked[h] = true
			delay = max(delay, p.rt.crawlDelay(pctx, u))
		}
	}
	// colly's visited set is per pass: start pages and sitemaps are fetched
	// again next pass; the persistent set is s.Visited, for articles only.
	store := NewCollyStorage(pctx, NewMemoryVisited(), s.Source, s.Now)
	if p.c, err = newCollector(pctx, s, p.rt, delay, s.Parallelism, store); err != nil {
		return Stats{}, err
	}
	p.c.OnRequest(p.onRequest)
	p.c.OnResponse(p.onResponse)
	p.c.OnError(p.onError)
	p.c.OnHTML("a[href]", p.onLink)

	var seeds []*task
	for _, u := range s.starts {
		if t := p.seedTask(u, kindStart); t != nil {
			seeds = append(seeds, t)
		}
	}
	for _, u := range s.sitemaps {
		if t := p.seedTask(u, kindSitemap); t != nil {
			seeds = append(seeds, t)
			p.sitemaps++
		}
	}
	// Seeds never count against MaxQueue: they are what the pass is for.
	p.queue = make(chan *task, s.MaxQueue+len(seeds))
	p.pending.Store(int64(len(seeds)))
	for _, t := range seeds {
		p.queue <- t
	}

	var wg sync.WaitGroup
	for range s.Parallelism {
		wg.Go(p.worker)
	}
	wg.Wait()

	p.pageMu.Lock()
	p.closed = true
	p.pageMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return p.stats, fmt.Errorf("site: source %q: pass interrupted: %w", s.Source, ctx.Err())
	case p.backoff != nil:
		return p.stats, p.backoff
	case p.seedsOK == 0 && p.seedErr != nil:
		return p.stats, p.seedErr
	case p.seedsOK == 0:
		return p.stats, fmt.Errorf("site: source %q: no start page or sitemap could be fetched", s.Source)
	}
	return p.stats, nil
}

// newCollector configures a collector for one pass (store != nil) or one
// Fetch (store == nil: no visited set, no LimitRule). Fields are set after
// NewCollector, which applies COLLY_* environment variables: a stray
// COLLY_IGNORE_ROBOTSTXT must not turn robots.txt off.
func newCollector(ctx context.Context, s *settings, rt *passTransport, delay time.Duration, parallelism int, store storage.Storage) (*colly.Collector, error) {
	c := colly.NewCollector()
	c.UserAgent = s.UserAgent
	c.Headers = nil
	c.IgnoreRobotsTxt = false
	c.Async = false // our workers are the concurrency: Async starts a goroutine per Visit
	c.DetectCharset = true
	c.ParseHTTPErrorResponse = true // statuses are judged in OnResponse, with the capture
	c.MaxBodySize = int(min(s.MaxBodyBytes+1, math.MaxInt32))
	c.MaxDepth = s.MaxDepth + 1 // colly counts the start page as depth 1
	c.MaxRequests = 0
	c.AllowedDomains = append([]string(nil), s.hosts...)
	c.DisallowedDomains = nil
	c.URLFilters, c.DisallowedURLFilters = nil, nil
	c.CacheDir = ""
	c.CheckHead = false
	c.TraceHTTP = false
	c.Context = ctx
	c.WithTransport(rt)
	c.SetRequestTimeout(s.Timeout)
	c.SetRedirectHandler(rt.redirectPolicy)
	if store == nil {
		c.AllowURLRevisit = true
		return c, nil
	}
	c.AllowURLRevisit = false
	if err := c.SetStorage(store); err != nil {
		return nil, fmt.Errorf("site: source %q: visited store: %w", s.Source, err)
	}
	// One rule per collector (a rule shared between collectors deadlocks);
	// "*" matches every host, so Parallelism and Delay hold for the source
	// as a whole, which is per domain for a single-host source.
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: parallelism, Delay: delay, RandomDelay: 0}); err != nil {
		return nil, fmt.Errorf("site: source %q: limit rule: %w", s.Source, err)
	}
	return c, nil
}

// pass is the state of one Crawl.
type pass struct {
	s      *settings
	ctx    context.Context
	cancel context.CancelCauseFunc
	rt     *passTransport
	c      *colly.Collector
	onPage func(Page) error

	queue   chan *task
	pending atomic.Int64 // tasks queued or running; the pass ends at 0
	nextTag atomic.Uint64

	mu             sync.Mutex
	stats          Stats
	seen           map[string]struct{} // normalised URLs queued or judged this pass
	articlesQueued int
	sitemaps       int
	seedsOK        int
	seedErr        *Error
	backoff        *Error

	pageMu sync.Mutex // serialises onPage
	closed bool       // guarded by pageMu
}

func (p *pass) newTask(u *url.URL, k kind, depth int) *task {
	return &task{
		tag:   strconv.FormatUint(p.nextTag.Add(1), 10),
		url:   u.String(),
		key:   normalize(u),
		kind:  k,
		depth: depth,
	}
}

func (p *pass) seedTask(u *url.URL, k kind) *task {
	t := p.newTask(u, k, 0)
	if _, dup := p.seen[t.key]; dup {
		return nil
	}
	p.seen[t.key] = struct{}{}
	t.seed = true
	return t
}

// enqueue never blocks: a full queue drops t, and the caller counts it.
func (p *pass) enqueue(t *task) bool {
	if len(p.queue) >= p.s.MaxQueue {
		return false
	}
	p.pending.Add(1)
	select {
	case p.queue <- t:
		return true
	default:
		p.pending.Add(-1)
		return false
	}
}

// worker runs tasks until none is queued or running. Tasks are only
// queued by a running task (or before the workers start), so once pending
// reaches 0 nobody can send, and the queue is closed.
func (p *pass) worker() {
	for t := range p.queue {
		p.run(t)
		if p.pending.Add(-1) == 0 {
			close(p.queue)
		}
	}
}

func (p *pass) run(t *task) {
	if p.ctx.Err() != nil {
		return // cancelled: drain
	}
	// A colly.Request keeps its Depth (Collector.Visit always uses 1), so
	// colly's MaxDepth holds; UnmarshalRequest is the public way to build
	// one bound to the collector.
	raw, err := json.Marshal(struct {
		URL    string
		Method string
		Depth  int
	}{t.url, http.MethodGet, t.depth + 1})
	if err != nil {
		p.fail(t, err)
		return
	}
	req, err := p.c.UnmarshalRequest(raw)
	if err != nil {
		p.fail(t, err)
		return
	}
	req.Ctx.Put(taskCtxKey, t)
	err = req.Do() // synchronous: the collector is not Async
	if t.done || err == nil {
		return // the callbacks have judged it
	}
	var again *colly.AlreadyVisitedError
	switch {
	case errors.As(err, &again): // requested earlier this pass under another spelling
	case isRobotsBlock(err):
		p.disallowed(t)
	default:
		p.fail(t, err)
	}
}

func (p *pass) onRequest(r *colly.Request) {
	if t := taskOf(r.Ctx); t != nil {
		r.Headers.Set(tagHeader, t.tag)
		r.Headers.Set("Accept", accept)
	}
}

func (p *pass) onError(r *colly.Response, err error) {
	t := taskOf(r.Ctx)
	if t == nil {
		return
	}
	t.done = true
	p.rt.take(t.tag)
	if isRobotsBlock(err) {
		p.disallowed(t) // a redirect hop robots.txt forbids
		return
	}
	p.fail(t, err)
}

func (p *pass) onResponse(r *colly.Response) {
	t := taskOf(r.Ctx)
	if t == nil {
		return
	}
	t.done = true
	cp := p.rt.take(t.tag)
	p.mu.Lock()
	p.stats.Fetched++
	p.mu.Unlock()
	if cp == nil {
		p.fail(t, errors.New("response not captured"))
		return
	}
	t.status = cp.status
	switch {
	case cp.status >= 200 && cp.status < 300:
	case cp.status == http.StatusTooManyRequests || cp.status == http.StatusServiceUnavailable:
		e := p.errorFor(t, nil)
		e.Status = cp.status
		e.RetryAfter = crawler.ParseRetryAfter(cp.header.Get("Retry-After"), p.s.Now())
		p.record(t, e)
		p.mu.Lock()
		if p.backoff == nil {
			p.backoff = e
		}
		p.mu.Unlock()
		p.cancel(e) // the site asked us to slow down: stop the pass
		return
	default:
		e := p.errorFor(t, nil)
		e.Status = cp.status
		p.record(t, e)
		return
	}
	if t.seed {
		p.mu.Lock()
		p.seedsOK++
		p.mu.Unlock()
	}
	switch t.kind {
	case kindSitemap:
		p.sitemap(t, cp.body)
	case kindArticle:
		p.article(t, cp)
	}
}

func (p *pass) article(t *task, cp *capture) {
	page := pageOf(t, cp)
	p.pageMu.Lock()
	if p.closed {
		p.pageMu.Unlock()
		return
	}
	err := p.onPage(page)
	p.pageMu.Unlock()
	if err != nil {
		// Not marked visited: the next pass fetches it again.
		p.fail(t, fmt.Errorf("keeping the page: %w", err))
		return
	}
	p.mu.Lock()
	p.stats.Articles++
	p.mu.Unlock()
	// Marked after onPage, so a crash in between re-fetches rather than
	// loses the article; without the pass's cancellation, so a page handed
	// over is not fetched again next pass.
	if err := p.s.Visited.MarkVisited(context.WithoutCancel(p.ctx), p.s.Source, t.key, cp.at); err != nil {
		p.fail(t, fmt.Errorf("visited set: %w", err))
	}
}

func pageOf(t *task, cp *capture) Page {
	return Page{
		URL:              weburl.Redact(t.url),
		FinalURL:         cp.finalURL,
		Status:           cp.status,
		Header:           cp.header,
		Body:             cp.body,
		SHA256:           cp.sum,
		FetchedAt:        cp.at,
		FromSitemap:      t.fromSitemap,
		SitemapPublished: t.published,
		Depth:            t.depth,
	}
}

// onLink follows a link of a fetched start page or article.
func (p *pass) onLink(e *colly.HTMLElement) {
	t := taskOf(e.Request.Ctx)
	if t == nil || t.kind == kindSitemap || t.status < 200 || t.status > 299 || t.depth >= p.s.MaxDepth {
		return
	}
	if abs := e.Request.AbsoluteURL(e.Attr("href")); abs != "" {
		p.discover(abs, t.depth+1, false, time.Time{})
	}
}

// sitemap queues what a fetched sitemap lists, newest first.
func (p *pass) sitemap(t *task, body []byte) {
	doc, err := parseSitemap(body, p.s.MaxBodyBytes)
	if err != nil {
		p.fail(t, err)
		return
	}
	if doc.Index {
		n := 0
		for _, e := range doc.Entries {
			if n == maxChildSitemaps {
				break
			}
			if p.discoverSitemap(e.Loc) {
				n++
			}
		}
		return
	}
	for i, e := range doc.Entries {
		if !p.discover(e.Loc, 1, true, e.Published) {
			p.mu.Lock()
			p.stats.Deferred += len(doc.Entries) - i - 1
			p.mu.Unlock()
			return
		}
	}
}

// discover queues an article URL unless it is off-site, not an article,
// too deep, already seen this pass or already in Visited. It returns false
// once MaxPages articles are queued.
func (p *pass) discover(raw string, depth int, fromSitemap bool, published time.Time) bool {
	u, err := parseHTTPURL(raw)
	if err != nil || !p.s.hostAllowed(u) || depth > p.s.MaxDepth {
		return true
	}
	if !fromSitemap && !p.s.follows(u.String()) {
		return true
	}
	t := p.newTask(u, kindArticle, depth)
	t.fromSitemap, t.published = fromSitemap, published

	p.mu.Lock()
	if _, ok := p.seen[t.key]; ok {
		p.mu.Unlock()
		return true
	}
	p.seen[t.key] = struct{}{}
	if p.articlesQueued >= p.s.MaxPages {
		p.stats.Deferred++
		p.mu.Unlock()
		return false
	}
	p.mu.Unlock()

	visited, err := p.s.Visited.IsVisited(p.ctx, p.s.Source, t.key)
	switch {
	case err != nil && p.ctx.Err() != nil:
		return false
	case err != nil:
		// Fetch anyway: in a compliance monitor, an article fetched twice
		// is better than one missed.
		p.fail(t, fmt.Errorf("visited set: %w", err))
	case visited:
		p.mu.Lock()
		p.stats.SkippedVisited++
		p.mu.Unlock()
		return true
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.articlesQueued >= p.s.MaxPages {
		p.stats.Deferred++
		return false
	}
	if !p.enqueue(t) {
		p.stats.QueueDrops++
		delete(p.seen, t.key) // another link to it may find room later
		return true
	}
	p.articlesQueued++
	return true
}

// discoverSitemap queues a sitemap an index lists.
func (p *pass) discoverSitemap(raw string) bool {
	u, err := parseHTTPURL(raw)
	if err != nil || !p.s.hostAllowed(u) {
		return false
	}
	t := p.newTask(u, kindSitemap, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.seen[t.key]; ok || p.sitemaps >= maxSitemapsPerPass {
		return false
	}
	if !p.enqueue(t) {
		p.stats.QueueDrops++
		return false
	}
	p.seen[t.key] = struct{}{}
	p.sitemaps++
	return true
}

func (p *pass) disallowed(t *task) {
	p.mu.Lock()
	p.stats.Disallowed++
	p.mu.Unlock()
	if !t.seed {
		return
	}
	if e := p.rt.robotsUnavailable(p.s.Source, t.url); e != nil {
		p.record(t, e)
		return
	}
	p.fail(t, ErrDisallowed) // a start page robots.txt forbids is a configuration error
}

func (p *pass) errorFor(t *task, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Source: p.s.Source, URL: weburl.Redact(t.url), Err: stripURLError(err)}
}

// fail records err for t, except the fallout of a cancelled pass.
func (p *pass) fail(t *task, err error) {
	if p.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return
	}
	p.record(t, p.errorFor(t, err))
}

func (p *pass) record(t *task, e *Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.ErrorCount++
	if len(p.stats.Errors) < maxStatErrors {
		p.stats.Errors = append(p.stats.Errors, e)
	}
	if t.seed && p.seedErr == nil {
		p.seedErr = e
	}
}

// isRobotsBlock reports whether err says robots.txt forbids the URL.
func isRobotsBlock(err error) bool {
	return errors.Is(err, ErrDisallowed) || errors.Is(err, colly.ErrRobotsTxtBlocked)
}
