package site

import (
	"context"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gocolly/colly/v2/storage"

	"github.com/silencewatch/silencewatch/weburl"
)

// Visited is the persistent set of article URLs a source has fetched. The
// project's store implements it; keys are opaque strings of at most a few
// hundred bytes. Crawl uses NormalizeURL of the article URL as the key.
type Visited interface {
	IsVisited(ctx context.Context, source string, key string) (bool, error)
	MarkVisited(ctx context.Context, source string, key string, at time.Time) error
}

// MemoryVisited is an in-memory Visited, for tests and one-off runs. It
// only grows: a long-running process should use the store.
type MemoryVisited struct {
	mu   sync.Mutex
	keys map[string]map[string]time.Time // source → key → first marked
}

// NewMemoryVisited returns an empty MemoryVisited.
func NewMemoryVisited() *MemoryVisited {
	return &MemoryVisited{keys: make(map[string]map[string]time.Time)}
}

// IsVisited implements Visited.
func (m *MemoryVisited) IsVisited(_ context.Context, source, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.keys[source][key]
	return ok, nil
}

// MarkVisited implements Visited. The first time a key was marked is kept.
func (m *MemoryVisited) MarkVisited(_ context.Context, source, key string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.keys[source]
	if keys == nil {
		keys = make(map[string]time.Time)
		m.keys[source] = keys
	}
	if _, ok := keys[key]; !ok {
		keys[key] = at
	}
	return nil
}

// Keys returns the keys marked for source, in no particular order.
func (m *MemoryVisited) Keys(source string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.keys[source]))
	for k := range m.keys[source] {
		out = append(out, k)
	}
	return out
}

// CollyStorage adapts a Visited to colly's storage.Storage, so a collector
// keeps its visited set wherever the Visited keeps it.
//
// colly identifies a request by a 64-bit id, an FNV-64a hash of its
// normalised URL and body, and hands only that id to the storage; the
// adapter stores it under the key "colly:" followed by the id in decimal
// (the prefix keeps these keys apart from the URL keys Crawl stores).
// Cookies are kept in memory for the adapter's lifetime, never in the
// Visited.
//
// colly marks a request visited before sending it, so a request that then
// fails is not retried by a collector sharing the same Visited. That is why
// Crawl gives its collector a CollyStorage over a fresh MemoryVisited each
// pass (no URL requested twice within a pass; section pages fetched again
// next pass) and keeps the persistent article set itself, keyed by
// NormalizeURL and marked only after a successful fetch.
type CollyStorage struct {
	ctx    context.Context
	v      Visited
	source string
	now    func() time.Time
	jar    *cookiejar.Jar
}

var _ storage.Storage = (*CollyStorage)(nil)

// NewCollyStorage returns an adapter storing colly's request ids in v
// under source. ctx is passed to v, since colly's interface has none; now
// stamps MarkVisited (nil means time.Now).
func NewCollyStorage(ctx context.Context, v Visited, source string, now func() time.Time) *CollyStorage {
	if now == nil {
		now = time.Now
	}
	return &CollyStorage{ctx: ctx, v: v, source: source, now: now}
}

// Init implements storage.Storage.
func (s *CollyStorage) Init() error {
	if s.jar == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return err
		}
		s.jar = jar
	}
	return nil
}

// CollyKey is the Visited key CollyStorage uses for a colly request id.
func CollyKey(requestID uint64) string {
	return "colly:" + strconv.FormatUint(requestID, 10)
}

// Visited implements storage.Storage.
func (s *CollyStorage) Visited(requestID uint64) error {
	return s.v.MarkVisited(s.ctx, s.source, CollyKey(requestID), s.now())
}

// IsVisited implements storage.Storage.
func (s *CollyStorage) IsVisited(requestID uint64) (bool, error) {
	return s.v.IsVisited(s.ctx, s.source, CollyKey(requestID))
}

// Cookies implements storage.Storage.
func (s *CollyStorage) Cookies(u *url.URL) string {
	return storage.StringifyCookies(s.jar.Cookies(u))
}

// SetCookies implements storage.Storage.
func (s *CollyStorage) SetCookies(u *url.URL, cookies string) {
	s.jar.SetCookies(u, storage.UnstringifyCookies(cookies))
}

// normalize is the key an article URL is stored under in Visited, for a
// URL parseHTTPURL accepted: weburl.NormalizeURL, the rules the store's
// article key follows too.
func normalize(u *url.URL) string { return weburl.NormalizeURL(u) }
