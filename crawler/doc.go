// Package crawler owns getting publications off the network: it fetches
// feeds and pages politely (one shared HTTP transport, conditional GET,
// per-host limits, bounded bodies and timeouts) and turns the responses into
// article.Article values with plain-text fields.
//
// It also decides when: Cadence computes each source's next poll from its
// own last one (faster inside the windows, adaptive, backing off on
// failure), and Scheduler runs the polls on a bounded pool of workers. A
// poll calls Fetcher.Fetch, then ParseFeed on the body.
//
// Every error this package returns is a *FetchError, so callers decide on
// Kind, Status and Retryable rather than on message text.
package crawler
