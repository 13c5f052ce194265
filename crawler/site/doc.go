// Package site owns sources of kind `site`: news sites without feeds,
// crawled with github.com/gocolly/colly/v2. One Crawl call is one pass:
// the start (section) pages and the sitemaps (sitemap indexes, gzipped
// sitemaps and Google News sitemaps) are fetched every pass; links
// matching the article patterns, up to a depth, and the URLs the sitemaps
// list are the articles, fetched once: a persistent Visited set (the
// project's store) remembers them across passes and restarts. Fetch
// re-fetches one article on purpose, for revisions, and tells a page that
// is gone (ErrGone).
//
// Every page is fetched politely (robots.txt honoured, also for redirect
// hops; our User-Agent; per-source parallelism and delay through one colly
// LimitRule; Crawl-delay respected; bounded bodies, redirects, queue and
// pages per pass) and kept as evidence: the bytes as received, headers,
// fetch time and SHA-256, captured by a wrapping RoundTripper before colly
// converts the charset.
//
// Bounds. The queue is a channel of at most MaxQueue URLs drained by
// Parallelism workers that call colly synchronously: no goroutine per
// discovered link, whatever colly's LimitRule is doing. A pass requests at
// most MaxPages articles (newest sitemap entries first), at most 50
// sitemaps, and keeps in memory only the URLs it has seen, dropped when it
// ends; the visited set that outlives a pass is in the store.
//
// It does not schedule, parse articles or extract text: the scheduler
// calls Crawl once per poll and backs off on its error as for a feed, and
// the pages go to the extraction package.
package site
