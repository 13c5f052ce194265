package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
	"github.com/silencewatch/silencewatch/crawler/site"
	"github.com/silencewatch/silencewatch/store"
	"github.com/silencewatch/silencewatch/weburl"
)

// siteOptions are the polite crawl settings for a source's pages.
func (m *Monitor) siteOptions(src config.Source) site.Options {
	c := m.opts.Config.Crawler
	ua := "silencewatch/0.1"
	if c.ContactURL != "" {
		ua += " (+" + c.ContactURL + ")"
	}
	delay := c.PerHostDelay
	if delay == 0 {
		delay = -1 // site's "no delay"
	}
	return site.Options{
		Source: src.Name, StartURLs: src.StartURLs, Follow: src.Follow, MaxDepth: src.MaxDepth, Sitemaps: src.Sitemaps,
		UserAgent: ua, Parallelism: c.PerHostConcurrency, Delay: delay, Timeout: c.Timeout, MaxBodyBytes: c.MaxBodyBytes,
		MaxPages: src.MaxPages, Visited: m.opts.Store, Now: m.opts.Clock.Now, Transport: m.opts.Fetcher.Transport(),
	}
}

// errLinkHost refuses an item link on a host that is not the source's: a
// feed must not be able to make us fetch (and keep, and quote) anyone
// else's pages.
var errLinkHost = errors.New("link is not on the source's hosts")

// linkAllowed reports whether an item link of src may be fetched: its host
// shares a registrable domain (example.co.uk, lemonde.fr) with the
// source's URL or start URLs, or is listed in link_hosts.
func linkAllowed(src config.Source, link string) error {
	u, err := url.Parse(link)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("%w: %s is not an absolute URL", errLinkHost, weburl.Redact(link))
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range src.LinkHosts {
		if strings.EqualFold(h, host) {
			return nil
		}
	}
	want := registrable(host)
	for _, own := range append([]string{src.URL}, src.StartURLs...) {
		if ou, err := url.Parse(own); err == nil && registrable(strings.ToLower(ou.Hostname())) == want {
			return nil
		}
	}
	return fmt.Errorf("%w: %s (add the host to the source's link_hosts to allow it)", errLinkHost, host)
}

// registrable is host's registrable domain, or host itself when it has
// none (an IP address, localhost).
func registrable(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// refused records a page fetch the address guard or the link check
// refused: an outlet tried to make us fetch something we must not, which
// an operator should see in the source's events, not only in a log.
func (m *Monitor) refused(ctx context.Context, log *slog.Logger, src config.Source, link string, err error, at time.Time) {
	m.opts.Metrics.pageErrors.WithLabelValues("refused").Inc()
	log.Warn("page fetch refused", "url", weburl.Redact(link), "err", err)
	m.event(ctx, log, store.Event{Source: src.Name, Kind: "fetch-refused", At: at,
		Detail: fmt.Sprintf("%s: %v", weburl.Redact(link), err)})
}

// isRefusal reports an error that is a refusal rather than a failure.
func isRefusal(err error) bool {
	return errors.Is(err, errLinkHost) || errors.Is(err, crawler.ErrBlockedAddress) || errors.Is(err, site.ErrOffSite)
}

// pollSite crawls a source without a feed: one pass over its section
// pages and sitemaps, every new article page stored, extracted and
// evaluated.
func (m *Monitor) pollSite(ctx context.Context, name string, st *store.SourceState, out *crawler.Outcome) error {
	src := m.source(name)
	var firstErr error
	stats, err := site.Crawl(ctx, m.siteOptions(src), func(p site.Page) error {
		out.Items++
		saved, err := m.savePage(ctx, src, p, extract.Feed{PublishedAt: p.SitemapPublished}, nil)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return err // not marked visited: fetched again next pass
		}
		if saved.New {
			out.NewItems++
			m.opts.Metrics.sources.add(name, seriesItems, "new", 1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if stats.ErrorCount > 0 && stats.Fetched == 0 {
		// Nothing answered: the source is failing, back off like a feed.
		return fmt.Errorf("monitor: source %q: %w", name, errors.Join(stats.Errors...))
	}
	for _, e := range stats.Errors {
		var se *site.Error
		if isRefusal(e) && errors.As(e, &se) {
			m.refused(ctx, m.opts.Logger.With("source", name), src, se.URL, e, m.opts.Clock.Now())
			continue
		}
		m.opts.Logger.Warn("site crawl", "source", name, "err", e)
	}
	return firstErr
}

// savePage keeps a fetched page as evidence, extracts its article (with
// what the feed said, if anything), stores it and evaluates it when new
// or changed. base carries the feed item's identity (source, GUID) when
// the page is a feed item's full text.
func (m *Monitor) savePage(ctx context.Context, src config.Source, p site.Page, feed extract.Feed, base *article.Article) (store.SaveResult, error) {
	respID, err := m.opts.Store.SaveResponse(ctx, store.Response{Source: src.Name, Kind: "page", URL: p.URL, FinalURL: p.FinalURL,
		RequestHeader: http.Header{"User-Agent": {m.siteOptions(src).UserAgent}}, Status: p.Status, Header: p.Header,
		Body: p.Body, SHA256: p.SHA256, FetchedAt: p.FetchedAt})
	if err != nil {
		return store.SaveResult{}, err
	}
	res, err := extract.Extract(p.Body, p.Header.Get("Content-Type"), p.FinalURL, feed)
	if err != nil {
		return store.SaveResult{}, fmt.Errorf("monitor: source %q: %s: %w", src.Name, p.URL, err)
	}
	a := article.Article{Source: src.Name, SourceURL: p.URL, URL: p.URL, GUID: p.URL, FirstSeenAt: p.FetchedAt}
	if base != nil {
		a = *base
	}
	a.Content = res.Text
	if res.Title != "" && a.Title == "" {
		a.Title = res.Title
	}
	if a.Language == "" {
		a.Language = res.Language
	}
	if a.Language == "" {
		a.Language = src.Language
	}
	// The feed's date wins; a page found by crawling has only its own.
	timesFrom := extract.FromFeed
	if a.PublishedAt.IsZero() {
		a.PublishedAt, timesFrom = res.PublishedAt, res.PublishedFrom
	}
	if !res.ModifiedAt.IsZero() {
		a.UpdatedAt = res.ModifiedAt
	}
	saved, err := m.opts.Store.SaveArticle(ctx, &a, store.Fetch{URL: p.FinalURL, SHA256: p.SHA256, FetchedAt: p.FetchedAt,
		ResponseID: respID, Extractor: res.Extractor, TimesFrom: timesFrom})
	if err != nil {
		return saved, fmt.Errorf("monitor: source %q: %w", src.Name, err)
	}
	if saved.Changed {
		if err := m.evaluate(ctx, saved.VersionID, &a); err != nil {
			return saved, err
		}
	}
	return saved, nil
}

// fullText fetches a new feed item's page and stores its extracted text as
// the article's next version; the feed's teaser version is recorded as
// evaluated without findings, so only the full text raises alerts. When
// the page cannot be had (or may not be fetched), the teaser is evaluated
// instead: no item goes unjudged.
func (m *Monitor) fullText(ctx context.Context, src config.Source, a *article.Article, feedVersion int64) error {
	log := m.opts.Logger.With("source", src.Name, "url", weburl.Redact(a.URL))
	err := linkAllowed(src, a.URL)
	var p site.Page
	if err == nil {
		p, err = site.Fetch(ctx, m.siteOptions(src), a.URL)
	}
	if err == nil {
		feed := extract.Feed{Title: a.Title, Content: a.Content, PublishedAt: a.PublishedAt, UpdatedAt: a.UpdatedAt}
		if feed.Content == "" {
			feed.Content = a.Summary
		}
		page := *a
		if _, err = m.savePage(ctx, src, p, feed, &page); err == nil {
			_, err = m.opts.Store.SaveFindings(ctx, feedVersion, nil, nil, m.opts.Clock.Now())
			return err
		}
	}
	if isRefusal(err) {
		m.refused(ctx, log, src, a.URL, err, m.opts.Clock.Now())
	} else {
		m.opts.Metrics.pageErrors.WithLabelValues("full_text").Inc()
		log.Warn("full text unavailable; evaluating the feed's text", "err", err)
	}
	return m.evaluate(ctx, feedVersion, a)
}

// fullTextJob is a new item whose page is to be fetched.
type fullTextJob struct {
	article     article.Article
	feedVersion int64
}

// fullTexts fetches the pages of a poll's new items, at most
// crawler.max_full_text_per_poll of them, a few at a time (the
// Transport's per-host limit keeps each host's share polite). Items past
// the cap are evaluated on the feed's text now rather than late. It
// returns the first store error.
func (m *Monitor) fullTexts(ctx context.Context, log *slog.Logger, src config.Source, jobs []fullTextJob) error {
	limit := m.opts.Config.Crawler.MaxFullTextPerPoll
	if len(jobs) > limit {
		log.Warn("more new items than full-text fetches allowed per poll; the rest are judged on the feed's text",
			"new", len(jobs), "max_full_text_per_poll", limit)
		for i := range jobs[limit:] {
			j := &jobs[limit+i]
			m.opts.Metrics.pageErrors.WithLabelValues("full_text_capped").Inc()
			if err := m.evaluate(ctx, j.feedVersion, &j.article); err != nil {
				return err
			}
		}
		jobs = jobs[:limit]
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan *fullTextJob)
	)
	for range min(len(jobs), max(m.opts.Config.Crawler.PerHostConcurrency, 1)) {
		wg.Go(func() {
			for j := range next {
				if err := m.fullText(ctx, src, &j.article, j.feedVersion); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- &jobs[i]
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// revisitEvery is how often the revisit loop looks for articles to fetch
// again.
const revisitEvery = time.Minute

// revisitLoop fetches flagged and recent articles again while their
// source is inside a window, so edits and deletions during the silence
// are recorded and, for flagged articles, alerted in the finding's thread.
func (m *Monitor) revisitLoop(ctx context.Context) {
	for {
		now := m.opts.Clock.Now()
		for name, src := range m.sources {
			if ctx.Err() != nil {
				return
			}
			if !revisits(src.RevisitEvery, src.Kind, src.FetchFullText) || !m.cadences[name].Silent(now) {
				continue
			}
			m.revisit(ctx, *src, now)
		}
		if !m.sleep(ctx, revisitEvery) {
			return
		}
	}
}

func (m *Monitor) revisit(ctx context.Context, src config.Source, now time.Time) {
	log := m.opts.Logger.With("source", src.Name)
	cands, err := m.opts.Store.RevisitCandidates(ctx, src.Name, now.Add(-src.RevisitRecent), now.Add(-src.RevisitEvery), 20)
	if err != nil {
		log.Error("listing articles to revisit", "err", err)
		return
	}
	for _, v := range cands {
		if ctx.Err() != nil {
			return
		}
		m.revisitOne(ctx, log, src, v)
	}
}

func (m *Monitor) revisitOne(ctx context.Context, log *slog.Logger, src config.Source, v store.Version) {
	p, err := site.Fetch(ctx, m.siteOptions(src), v.Article.URL)
	at := m.opts.Clock.Now()
	switch {
	case errors.Is(err, site.ErrGone):
		detail := fmt.Sprintf("HTTP %d at %s", p.Status, at.UTC().Format(time.RFC3339))
		first, err := m.opts.Store.ArticleGone(ctx, v.ArticleID, detail, at)
		if err != nil {
			m.opts.Metrics.pageErrors.WithLabelValues("store").Inc()
			log.Error("recording a deletion", "article", v.ArticleID, "err", err)
			return
		}
		if first {
			log.Info("article deleted", "url", weburl.Redact(v.Article.URL), "status", p.Status)
			if n, err := m.opts.Store.QueueArticleAlert(ctx, v.ArticleID, "deleted", detail, "gone", at); err != nil {
				m.opts.Metrics.pageErrors.WithLabelValues("edit_alert").Inc()
				log.Error("queueing a deletion alert", "article", v.ArticleID, "err", err)
			} else if n > 0 {
				m.opts.Delivery.Wake()
			}
		}
		return
	case err != nil:
		if isRefusal(err) {
			m.refused(ctx, log, src, v.Article.URL, err, at)
		} else {
			m.opts.Metrics.pageErrors.WithLabelValues("revisit").Inc()
			log.Warn("revisiting an article failed", "article", v.ArticleID, "url", weburl.Redact(v.Article.URL), "err", err)
		}
		if err := m.opts.Store.TouchArticle(ctx, v.ArticleID, at); err != nil {
			m.opts.Metrics.pageErrors.WithLabelValues("store").Inc()
			log.Error("recording a revisit", "article", v.ArticleID, "err", err)
		}
		return
	}
	before := v.Article
	feed := extract.Feed{Title: before.Title, Content: before.Content, PublishedAt: before.PublishedAt}
	saved, err := m.savePage(ctx, src, p, feed, &before)
	if err != nil {
		m.opts.Metrics.pageErrors.WithLabelValues("revisit").Inc()
		log.Error("storing a revisited article", "article", v.ArticleID, "err", err)
		return
	}
	if !saved.Changed {
		return
	}
	// A flagged article whose new version no longer matches: the edit
	// removed what was flagged, which staff must hear about. A failure
	// here is logged and counted; the next revisit finds no change to
	// compare, so it is not retried by itself.
	fail := func(what string, err error) {
		m.opts.Metrics.pageErrors.WithLabelValues("edit_alert").Inc()
		log.Error(what, "article", v.ArticleID, "version", saved.VersionID, "err", err)
	}
	still, err := m.opts.Store.VersionFlagged(ctx, saved.VersionID)
	if err != nil {
		fail("checking whether an edited article is still flagged", err)
		return
	}
	if still {
		return
	}
	info, err := m.opts.Store.VersionInfo(ctx, saved.VersionID)
	if err != nil {
		fail("reading an edited article's diff", err)
		return
	}
	key := fmt.Sprintf("v%d", saved.Version)
	n, err := m.opts.Store.QueueArticleAlert(ctx, saved.ArticleID, "edited", info.Diff, key, at)
	if err != nil {
		fail("queueing an \"edited, flagged text removed\" alert", err)
		return
	}
	if n > 0 {
		m.opts.Delivery.Wake()
	}
}
