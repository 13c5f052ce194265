package site

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
)

var (
	// ErrGone matches (errors.Is) an *Error whose status is 404 or 410:
	// the article is no longer there.
	ErrGone = errors.New("site: page gone")
	// ErrDisallowed matches (errors.Is) an *Error for a URL that the
	// site's robots.txt forbids us to fetch, directly or through a redirect.
	// Such a URL was never requested.
	ErrDisallowed = errors.New("site: disallowed by robots.txt")
	// ErrTooLarge matches (errors.Is) an *Error for a body longer than
	// Options.MaxBodyBytes. The body is never truncated silently.
	ErrTooLarge = errors.New("site: body too large")
	// errTooManyRedirects is returned by the redirect policy.
	errTooManyRedirects = errors.New("site: too many redirects")
)

// Error is the error type of this package for one URL: every error in
// Stats.Errors is an *Error, and so is every error Fetch returns. URL never
// carries a password.
type Error struct {
	Source     string
	URL        string
	Status     int           // HTTP status when the server answered with a non-2xx; else 0
	RetryAfter time.Duration // from Retry-After on 429 and 503; 0 if absent
	Err        error         // the cause when Status is 0
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("site: ")
	if e.Source != "" {
		fmt.Fprintf(&b, "source %q: ", e.Source)
	}
	b.WriteString(e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
		if text := http.StatusText(e.Status); text != "" {
			b.WriteString(" " + text)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "site: "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrGone) true for a 404 or 410.
func (e *Error) Is(target error) bool {
	return target == ErrGone && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// Retryable reports whether the same request is worth repeating after a
// backoff: network errors and timeouts, 408, 429 and 5xx. A 4xx, a URL
// robots.txt forbids, an oversized body or a redirect loop will fail the
// same way until someone changes something.
func (e *Error) Retryable() bool {
	if e.Status != 0 {
		return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
	}
	switch {
	case errors.Is(e.Err, ErrDisallowed), errors.Is(e.Err, ErrTooLarge),
		errors.Is(e.Err, errTooManyRedirects), errors.Is(e.Err, errInvalidURL):
		return false
	}
	return true
}

var errInvalidURL = errors.New("site: invalid URL: want an absolute http or https URL")

// stripURLError drops net/http's *url.Error wrapper: Error already names
// the (redacted) URL, and the wrapper would repeat it unredacted.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ErrOffSite is wrapped when a page redirected to a host the source may not
// fetch (colly's forbidden domain): the redirect is not followed.
var ErrOffSite = colly.ErrForbiddenDomain
