// Package relay finds who relayed whom: when an outlet's article reuses a
// passage of another outlet's earlier article, it records an edge between
// the two, with the spans in both. It owns a rolling index of the recent
// articles of every outlet (a sliding time window), built with the leak
// detector's winnowed fingerprints and passage alignment (package
// rules/leak: the articles are its documents), and the spread of a leak
// over outlets and tiers (spread.go), with its exports (graph.go, svg.go).
//
// It fetches, stores and delivers nothing: callers give it articles and
// store the edges it returns.
package relay

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/rules/leak"
)

// Defaults of Options.
const (
	DefaultWindow     = 72 * time.Hour
	DefaultMinWords   = 12
	DefaultMaxDocFreq = 100
	DefaultMaxAligned = 16
	DefaultLevel0     = 16
	DefaultFanout     = 8
)

// Options configure an Index. Zero values take the defaults.
type Options struct {
	// Window is how far apart in time two articles may be and still be
	// matched (72 h).
	Window time.Duration
	// MinWords is the shortest passage (document words) that makes an
	// edge (12).
	MinWords int
	// MaxDocFreq: a fingerprint held by more recent articles than this is
	// treated as boilerplate (outlets' footers, stock phrases) and seeds
	// nothing (100). A passage relayed by more outlets than this within
	// the window stops yielding edges in the level that holds them all.
	MaxDocFreq int
	// Level0 and Fanout shape the index's levels: level i holds up to
	// Level0×Fanout^i articles (16, 8).
	Level0, Fanout int
	// MaxAligned bounds, per level, the earlier articles an article is
	// aligned with word by word, those sharing most fingerprints first
	// (16): an edge names one source per passage, and a wire story
	// carried by dozens of outlets would otherwise cost one alignment per
	// copy.
	MaxAligned int
	// Workers bounds the goroutines fingerprinting a level (0: GOMAXPROCS).
	Workers int
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MinWords <= 0 {
		o.MinWords = DefaultMinWords
	}
	if o.MaxDocFreq <= 0 {
		o.MaxDocFreq = DefaultMaxDocFreq
	}
	if o.MaxAligned <= 0 {
		o.MaxAligned = DefaultMaxAligned
	}
	if o.Level0 <= 0 {
		o.Level0 = DefaultLevel0
	}
	if o.Fanout < 2 {
		o.Fanout = DefaultFanout
	}
	return o
}

// Article is one article version as relay detection sees it.
type Article struct {
	VersionID int64
	ArticleID int64  // 0 when unknown (the store fills it in from the version)
	Outlet    string // the configured source
	// Key identifies the article within its outlet (its URL or GUID): a
	// new version replaces the older one in the index.
	Key string
	// At is when the article appeared (see Time).
	At       time.Time
	Segments []article.Segment
}

// Time is when an article appeared, for ordering relays: the outlet's
// claimed publication time when it has one that is not after our first
// sighting, else the first sighting (a claimed time in the future of our
// clock is not believed).
func Time(a *article.Article) time.Time {
	if !a.PublishedAt.IsZero() && (a.FirstSeenAt.IsZero() || !a.PublishedAt.After(a.FirstSeenAt)) {
		return a.PublishedAt
	}
	return a.FirstSeenAt
}

// FromArticle builds the relay view of a stored article version.
func FromArticle(versionID, articleID int64, a *article.Article) Article {
	key := a.URL
	if key == "" {
		key = a.GUID
	}
	return Article{VersionID: versionID, ArticleID: articleID, Outlet: a.Source, Key: key, At: Time(a), Segments: a.Segments()}
}

// Ref names one end of an edge.
type Ref struct {
	VersionID int64     `json:"version_id"`
	ArticleID int64     `json:"article_id,omitempty"`
	Outlet    string    `json:"outlet"`
	At        time.Time `json:"at"`
}

// Span is a byte range of one field's original text.
type Span struct {
	Field article.Field `json:"field"`
	Start int           `json:"start"`
	End   int           `json:"end"`
}

// Edge says To reuses Words words of From (Matched of them identical
// after normalisation), From having appeared no later than To.
type Edge struct {
	From     Ref  `json:"from"`
	To       Ref  `json:"to"`
	Words    int  `json:"words"`
	Matched  int  `json:"matched"`
	FromSpan Span `json:"from_span"`
	ToSpan   Span `json:"to_span"`
	// DetectedAt is when the edge was found (set by whoever stores it).
	DetectedAt time.Time `json:"detected_at,omitzero"`
}

// Index is the rolling index of recent articles. It is safe for
// concurrent use; calls are serialised.
type Index struct {
	mu     sync.Mutex
	opts   Options
	lopts  leak.Options
	levels []*level
	docs   map[string]*entry // by document ID
	byKey  map[string]string // outlet + key → document ID of its latest version
	newest time.Time
}

type level struct {
	docs []leak.Document
	ix   *leak.Index
}

type entry struct {
	ref  Ref
	key  string
	segs []segment
	gone bool // replaced by a newer version, or expired: not matched
}

// segment locates a field in the joined text of an article.
type segment struct {
	field      article.Field
	start, end int
}

// New returns an empty index.
func New(opts Options) *Index {
	opts = opts.withDefaults()
	return &Index{
		opts: opts,
		lopts: leak.Options{
			MaxDocFreq: opts.MaxDocFreq,
			MaxDocFrac: 1e-9, // the bound is MaxDocFreq, whatever the window holds
			MinWords:   opts.MinWords,
			Workers:    opts.Workers,
			QuotesOnly: true,
			MaxAligned: opts.MaxAligned,
		},
		docs:  map[string]*entry{},
		byKey: map[string]string{},
	}
}

// Options returns the resolved options.
func (x *Index) Options() Options { return x.opts }

// docID is the document ID of a version: its id, zero-padded so that the
// leak index's "earliest ID on ties" is the earliest stored version.
func docID(versionID int64) string { return fmt.Sprintf("%012d", versionID) }

// join concatenates the segments, a blank line between them.
func join(segs []article.Segment) (string, []segment) {
	var b strings.Builder
	out := make([]segment, 0, len(segs))
	for i, s := range segs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		start := b.Len()
		b.WriteString(s.Text)
		out = append(out, segment{s.Field, start, b.Len()})
	}
	return b.String(), out
}

// span maps a byte range of the joined text back to its field (the field
// the range starts in; the end is clipped to that field).
func span(segs []segment, start, end int) Span {
	for _, s := range segs {
		if start < s.end || s == segs[len(segs)-1] {
			st := max(0, start-s.start)
			en := min(end, s.end) - s.start
			return Span{Field: s.field, Start: st, End: max(st, en)}
		}
	}
	return Span{}
}

// Observe matches a against the recent articles of other outlets, then
// adds it to the index. It returns one edge per passage of a (or of an
// earlier article: a may be the older one when it is seen late) of at
// least MinWords words shared with another outlet's article within the
// window, in a's text order.
func (x *Index) Observe(a Article) []Edge {
	x.mu.Lock()
	defer x.mu.Unlock()
	text, segs := join(a.Segments)
	edges := x.match(a, text, segs)
	x.add(a, text, segs)
	return edges
}

// Match is Observe without adding a to the index.
func (x *Index) Match(a Article) []Edge {
	x.mu.Lock()
	defer x.mu.Unlock()
	text, segs := join(a.Segments)
	return x.match(a, text, segs)
}

// Add adds articles to the index without matching them: what a restart
// reloads from the store. Several articles at once are indexed in one
// build.
func (x *Index) Add(as ...Article) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(as) == 1 {
		text, segs := join(as[0].Segments)
		x.add(as[0], text, segs)
		return
	}
	var docs []leak.Document
	for _, a := range as {
		text, segs := join(a.Segments)
		if d, ok := x.register(a, text, segs); ok {
			docs = append(docs, d)
		}
	}
	// Into the first level with room for them all, merging what is below.
	i := 0
	for x.capacity(i) < len(docs) {
		i++
	}
	x.ensureLevel(i)
	for j := 0; j < i; j++ {
		docs = append(docs, x.levels[j].docs...)
		x.levels[j].docs, x.levels[j].ix = nil, nil
	}
	x.levels[i].docs = append(x.levels[i].docs, docs...)
	x.rebuild(i)
	x.cascade()
}

// register records a's entry and returns its document; false when a has
// no text.
func (x *Index) register(a Article, text string, segs []segment) (leak.Document, bool) {
	if strings.TrimSpace(text) == "" {
		return leak.Document{}, false
	}
	id := docID(a.VersionID)
	if _, dup := x.docs[id]; dup {
		return leak.Document{}, false
	}
	k := a.Outlet + "\x00" + a.Key
	if old, ok := x.byKey[k]; ok && a.Key != "" {
		if e := x.docs[old]; e != nil {
			if e.ref.At.After(a.At) && e.ref.VersionID > a.VersionID {
				// An older version seen after a newer one: keep the newer.
				return leak.Document{}, false
			}
			e.gone = true
		}
	}
	if a.Key != "" {
		x.byKey[k] = id
	}
	x.docs[id] = &entry{ref: Ref{VersionID: a.VersionID, ArticleID: a.ArticleID, Outlet: a.Outlet, At: a.At}, key: k, segs: segs}
	if a.At.After(x.newest) {
		x.newest = a.At
	}
	return leak.Document{ID: id, Kind: "article", Subject: a.Outlet, Date: a.At, Text: text, QuoteStart: len(text), SHA256: id}, true
}

func (x *Index) add(a Article, text string, segs []segment) {
	d, ok := x.register(a, text, segs)
	if !ok {
		return
	}
	x.ensureLevel(0)
	x.levels[0].docs = append(x.levels[0].docs, d)
	x.rebuild(0)
	x.cascade()
}

func (x *Index) capacity(i int) int {
	c := x.opts.Level0
	for range i {
		c *= x.opts.Fanout
	}
	return c
}

func (x *Index) ensureLevel(i int) {
	for len(x.levels) <= i {
		x.levels = append(x.levels, &level{})
	}
}

// cascade merges every level over its capacity into the next one.
func (x *Index) cascade() {
	for i := 0; i < len(x.levels); i++ {
		if len(x.levels[i].docs) <= x.capacity(i) {
			continue
		}
		x.ensureLevel(i + 1)
		next := x.levels[i+1]
		next.docs = append(next.docs, x.levels[i].docs...)
		x.levels[i].docs, x.levels[i].ix = nil, nil
		x.rebuild(i + 1)
	}
}

// rebuild drops the level's replaced and expired articles and indexes the
// rest, reusing the fingerprints of those the level held before.
func (x *Index) rebuild(i int) {
	l := x.levels[i]
	cutoff := x.newest.Add(-x.opts.Window)
	kept := l.docs[:0]
	for _, d := range l.docs {
		e := x.docs[d.ID]
		if e == nil {
			continue
		}
		if e.ref.At.Before(cutoff) {
			e.gone = true
		}
		if e.gone {
			delete(x.docs, d.ID)
			if x.byKey[e.key] == d.ID {
				delete(x.byKey, e.key)
			}
			continue
		}
		kept = append(kept, d)
	}
	clear(l.docs[len(kept):])
	l.docs = kept
	if len(kept) == 0 {
		l.ix = nil
		return
	}
	l.ix = leak.Update(l.ix, kept, x.lopts)
}

// candidate is a passage of the article being matched.
type candidate struct {
	p leak.Passage
	e *entry
}

func (x *Index) match(a Article, text string, segs []segment) []Edge {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	self := docID(a.VersionID)
	var cands []candidate
	for _, l := range x.levels {
		if l.ix == nil {
			continue
		}
		for _, p := range l.ix.Quotes(text, x.opts.MinWords) {
			e := x.docs[p.DocID]
			if e == nil || e.gone || p.DocID == self || e.ref.Outlet == a.Outlet {
				continue
			}
			if d := a.At.Sub(e.ref.At); d > x.opts.Window || d < -x.opts.Window {
				continue
			}
			cands = append(cands, candidate{p, e})
		}
	}
	// Passages of several levels over the same words: the one matching
	// most words, then the earliest article, wins.
	slices.SortStableFunc(cands, func(p, q candidate) int {
		if c := cmp.Compare(q.p.Matched, p.p.Matched); c != 0 {
			return c
		}
		if c := cmp.Compare(q.p.Words, p.p.Words); c != 0 {
			return c
		}
		if c := p.e.ref.At.Compare(q.e.ref.At); c != 0 {
			return c
		}
		return cmp.Compare(p.e.ref.VersionID, q.e.ref.VersionID)
	})
	var kept []candidate
	for _, c := range cands {
		if !slices.ContainsFunc(kept, func(k candidate) bool {
			return c.p.ArticleStart < k.p.ArticleEnd && k.p.ArticleStart < c.p.ArticleEnd
		}) {
			kept = append(kept, c)
		}
	}
	slices.SortFunc(kept, func(p, q candidate) int { return cmp.Compare(p.p.ArticleStart, q.p.ArticleStart) })
	me := Ref{VersionID: a.VersionID, ArticleID: a.ArticleID, Outlet: a.Outlet, At: a.At}
	out := make([]Edge, 0, len(kept))
	for _, c := range kept {
		mine := span(segs, c.p.ArticleStart, c.p.ArticleEnd)
		theirs := span(c.e.segs, c.p.DocStart, c.p.DocEnd)
		e := Edge{From: c.e.ref, To: me, Words: c.p.Words, Matched: c.p.Matched, FromSpan: theirs, ToSpan: mine}
		if c.e.ref.At.After(a.At) {
			e.From, e.To, e.FromSpan, e.ToSpan = me, c.e.ref, mine, theirs
		}
		out = append(out, e)
	}
	return out
}

// Stats describes the index.
type Stats struct {
	Articles int   // matched against (replaced and expired ones excluded)
	Levels   []int // articles held per level, expired ones not yet dropped included
	Bytes    int   // approximate memory held by the levels' indexes
}

// Stats reports the size of the index.
func (x *Index) Stats() Stats {
	x.mu.Lock()
	defer x.mu.Unlock()
	var s Stats
	for _, e := range x.docs {
		if !e.gone {
			s.Articles++
		}
	}
	for _, l := range x.levels {
		s.Levels = append(s.Levels, len(l.docs))
		if l.ix != nil {
			s.Bytes += l.ix.Stats().Bytes
		}
	}
	s.Bytes += len(x.docs) * 160
	return s
}
