package crawler

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies a failure so callers can decide without reading
// messages.
type ErrorKind int

const (
	// KindNetwork: the exchange failed below HTTP (DNS, refused, reset,
	// TLS, corrupt encoding) or was cancelled by the caller. Retryable.
	KindNetwork ErrorKind = iota + 1
	// KindTimeout: the request, including reading the body, ran out of
	// time. Retryable.
	KindTimeout
	// KindTooLarge: the body, after decoding, exceeds the configured cap.
	KindTooLarge
	// KindTooManyRedirects: more redirects than the configured maximum.
	KindTooManyRedirects
	// KindHTTPStatus: the server answered with a status other than 2xx or
	// 304. Status says which; 429, 408 and 5xx are retryable.
	KindHTTPStatus
	// KindParse: a URL or a response body could not be parsed.
	KindParse
	// KindBlocked: the URL, or a redirect from it, resolved to an address
	// the guard refuses (loopback, private, link-local...), or to a host
	// the source may not make us fetch. Not retryable.
	KindBlocked
)

// String returns a short, stable name fit for logs and metric labels.
func (k ErrorKind) String() string {
	switch k {
	case KindNetwork:
		return "network"
	case KindTimeout:
		return "timeout"
	case KindTooLarge:
		return "too_large"
	case KindTooManyRedirects:
		return "too_many_redirects"
	case KindHTTPStatus:
		return "http_status"
	case KindParse:
		return "parse"
	case KindBlocked:
		return "blocked"
	}
	return "unknown"
}

// FetchError is the one error type of this package, returned by Fetch and
// ParseFeed. URL never carries credentials (weburl.Redact).
// ParseFeed does not know the source name and leaves Source empty; a
// caller may fill it in before logging.
type FetchError struct {
	Source     string
	URL        string
	Kind       ErrorKind
	Status     int           // HTTP status for KindHTTPStatus, else 0
	RetryAfter time.Duration // from Retry-After on 429 and 503; 0 if absent
	Err        error
}

func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("crawler: ")
	if e.Source != "" {
		fmt.Fprintf(&b, "source %q (%s): ", e.Source, e.URL)
	} else {
		fmt.Fprintf(&b, "%s: ", e.URL)
	}
	switch e.Kind {
	case KindHTTPStatus:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if text := http.StatusText(e.Status); text != "" {
			b.WriteString(" " + text)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
		}
		return b.String()
	case KindNetwork:
		b.WriteString("network error: ")
	case KindTimeout:
		b.WriteString("timeout: ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

func (e *FetchError) Unwrap() error { return e.Err }

// Retryable reports whether the failure is likely transient, so the same
// request is worth repeating after a backoff: network errors, timeouts,
// 408, 429 and 5xx. Client errors such as 401, 403, 404 and 410, oversized
// bodies, redirect loops and unparsable content will fail the same way
// again until someone changes something.
func (e *FetchError) Retryable() bool {
	switch e.Kind {
	case KindNetwork, KindTimeout:
		return true
	case KindHTTPStatus:
		return e.Status == http.StatusRequestTimeout ||
			e.Status == http.StatusTooManyRequests ||
			e.Status >= 500
	}
	return false
}

// Gone reports a 410: the publisher says the resource is gone for good, a
// fact worth recording rather than retrying.
func (e *FetchError) Gone() bool {
	return e.Kind == KindHTTPStatus && e.Status == http.StatusGone
}

// ParseRetryAfter reads a Retry-After value, either delay-seconds or an
// HTTP date, relative to now. Unparsable or past values give 0.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Clamp absurd values instead of overflowing.
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// errTooManyRedirects is returned by the client's CheckRedirect.
var errTooManyRedirects = errors.New("too many redirects")
