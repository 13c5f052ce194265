package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/extract"
	"github.com/silencewatch/silencewatch/crawler/site"
	"github.com/silencewatch/silencewatch/store"
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
		MaxPages: src.MaxPages, Visited: m.opts.Store, Now: m.opts.Clock.Now, Transport: m.opts.Transport,
	}
}

// pollSite crawls a source without a feed: one pass over its section
// pages and sitemaps, every new article page stored, extracted and
// evaluated.
func (m *Monitor) pollSite(ctx context.Context, name string, st *store.SourceState, out *crawler.Outcome) error {
	src := m.sources[name]
	var firstErr error
	stats, err := site.Crawl(ctx, m.siteOptions(src), func(p site.Page) {
		out.Items++
		saved, err := m.savePage(ctx, src, p, extract.Feed{PublishedAt: p.SitemapPublished}, nil)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		if saved.New {
			out.NewItems++
			m.opts.Metrics.items.WithLabelValues(name, "new").Inc()
		}
	})
	if err != nil {
		return err
	}
	if stats.ErrorCount > 0 && stats.Fetched == 0 {
		// Nothing answered: the source is failing, back off like a feed.
		return fmt.Errorf("monitor: source %q: %w", name, errors.Join(stats.Errors...))
	}
	for _, e := range stats.Errors {
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
// the page cannot be had, the teaser is evaluated instead.
func (m *Monitor) fullText(ctx context.Context, src config.Source, a *article.Article, feedVersion int64) error {
	log := m.opts.Logger.With("source", src.Name, "url", a.URL)
	p, err := site.Fetch(ctx, m.siteOptions(src), a.URL)
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
	log.Warn("full text unavailable; evaluating the feed's text", "err", err)
	return m.evaluate(ctx, feedVersion, a)
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
			if src.RevisitEvery <= 0 || (src.Kind != "site" && !src.FetchFullText) || !m.cadences[name].Silent(now) {
				continue
			}
			m.revisit(ctx, src, now)
		}
		t := m.opts.Clock.NewTimer(revisitEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
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
			log.Error("recording a deletion", "err", err)
			return
		}
		if first {
			log.Info("article deleted", "url", v.Article.URL, "status", p.Status)
			if n, err := m.opts.Store.QueueArticleAlert(ctx, v.ArticleID, "deleted", detail, "gone", at); err != nil {
				log.Error("queueing a deletion alert", "err", err)
			} else if n > 0 {
				m.opts.Delivery.Wake()
			}
		}
		return
	case err != nil:
		log.Warn("revisiting an article failed", "url", v.Article.URL, "err", err)
		m.opts.Store.TouchArticle(ctx, v.ArticleID, at)
		return
	}
	before := v.Article
	feed := extract.Feed{Title: before.Title, Content: before.Content, PublishedAt: before.PublishedAt}
	saved, err := m.savePage(ctx, src, p, feed, &before)
	if err != nil {
		log.Warn("storing a revisited article", "err", err)
		return
	}
	if !saved.Changed {
		return
	}
	// A flagged article whose new version no longer matches: the edit
	// removed what was flagged, which staff must hear about.
	still, err := m.opts.Store.VersionFlagged(ctx, saved.VersionID)
	if err != nil || still {
		return
	}
	info, err := m.opts.Store.VersionInfo(ctx, saved.VersionID)
	if err != nil {
		return
	}
	key := fmt.Sprintf("v%d", saved.Version)
	if n, err := m.opts.Store.QueueArticleAlert(ctx, saved.ArticleID, "edited", info.Diff, key, at); err == nil && n > 0 {
		m.opts.Delivery.Wake()
	}
}
