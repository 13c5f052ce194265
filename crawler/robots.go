package crawler

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// How long a robots.txt answer is reused. Google keeps one up to a day; an
// hour follows a site's changes within a silence window. A failure (no
// answer at all) is retried sooner.
const (
	RobotsTTL      = time.Hour
	robotsErrorTTL = time.Minute
)

// RobotsFile is one host's robots.txt answer as received.
type RobotsFile struct {
	Status int
	Header http.Header
	Body   []byte
	Err    error // the exchange failed; Status, Header and Body are empty
}

// RobotsCache keeps each host's robots.txt for RobotsTTL, across passes,
// page fetches and sources, so a site is asked for it once an hour rather
// than once a page. Concurrent lookups of one host wait for the first.
type RobotsCache struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*robotsEntry // "scheme://host" → entry
	sweepAt int
}

type robotsEntry struct {
	done    chan struct{}
	file    RobotsFile
	expires time.Time // set before done is closed
}

// NewRobotsCache returns an empty cache on the clock now.
func NewRobotsCache(now func() time.Time) *RobotsCache {
	if now == nil {
		now = time.Now
	}
	return &RobotsCache{now: now, entries: make(map[string]*robotsEntry), sweepAt: 64}
}

// Get returns the robots.txt of key ("scheme://host"), calling fetch when
// none is cached or it has expired. A fetch cut short by its context is
// not cached, so one cancelled crawl does not deny the others.
func (c *RobotsCache) Get(ctx context.Context, key string, fetch func() RobotsFile) (RobotsFile, error) {
	c.mu.Lock()
	e := c.entries[key]
	if e != nil {
		select {
		case <-e.done:
			if !c.now().Before(e.expires) {
				e = nil // expired: fetch again
			}
		default: // in flight: wait for it below
		}
	}
	first := e == nil
	if first {
		c.sweepLocked()
		e = &robotsEntry{done: make(chan struct{})}
		c.entries[key] = e
	}
	c.mu.Unlock()

	if first {
		e.file = fetch()
		ttl := RobotsTTL
		if e.file.Err != nil {
			ttl = robotsErrorTTL
		}
		e.expires = c.now().Add(ttl)
		if errors.Is(e.file.Err, context.Canceled) || errors.Is(e.file.Err, context.DeadlineExceeded) {
			c.mu.Lock()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		close(e.done)
		return e.file, nil
	}
	select {
	case <-e.done:
		return e.file, nil
	case <-ctx.Done():
		return RobotsFile{}, ctx.Err()
	}
}

// Peek returns key's cached answer if one has arrived and not expired.
func (c *RobotsCache) Peek(key string) (RobotsFile, bool) {
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e == nil {
		return RobotsFile{}, false
	}
	select {
	case <-e.done:
		return e.file, c.now().Before(e.expires)
	default:
		return RobotsFile{}, false
	}
}

// sweepLocked drops expired entries once the map has doubled, keeping the
// cost amortised constant per new host.
func (c *RobotsCache) sweepLocked() {
	if len(c.entries) < c.sweepAt {
		return
	}
	now := c.now()
	for k, e := range c.entries {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
	c.sweepAt = max(64, 2*len(c.entries))
}
