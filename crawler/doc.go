// Package crawler owns getting publications off the network: it fetches
// feeds and pages politely (one shared HTTP transport, conditional GET,
// per-host limits, bounded bodies and timeouts) and turns the responses into
// article.Article values with plain-text fields.
//
// It does not schedule anything: a scheduler calls Fetcher.Fetch, then
// ParseFeed or ParsePage on the body, and uses FetchError.Retryable and
// Backoff to decide when to try a failing source again.
//
// Every error this package returns is a *FetchError, so callers decide on
// Kind, Status and Retryable rather than on message text.
package crawler
