// Package store owns silencewatch's durable record: sources and their
// fetch state, articles and their versions with the hash and time of the
// bytes they came from, findings with their evidence, source events, and
// the alert outbox that makes delivery exactly-once. SQLite is the
// default; the Store interface is what a PostgreSQL implementation would
// satisfy.
//
// Every time is an argument: the store never reads the clock.
package store

import (
	"errors"
	"net/http"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/finding"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrNotPending is returned when an alert that is already sent or failed
// is marked again: delivery outcomes are final.
var ErrNotPending = errors.New("store: alert not pending")

// SourceState is a source's fetch state, kept across restarts so that a
// restart neither refetches everything nor forgets a failing source.
type SourceState struct {
	Name           string
	URL            string
	ETag           string
	LastModified   string
	ConditionalOff bool // validators proved unreliable: poll with full GETs
	Failures       int  // consecutive failed polls
	LastPollAt     time.Time
	LastSuccessAt  time.Time
	NextPollAt     time.Time
	Interval       time.Duration // current adaptive interval
	LastItems      []string      // item keys seen by the last successful full poll
}

// Event is something that happened to a source: a possible gap, a
// failure streak, a recovery.
type Event struct {
	Source string
	Kind   string // "gap", "failing", "recovered", "validators-unreliable"
	Detail string
	At     time.Time
}

// Fetch describes the response an article version came from.
type Fetch struct {
	URL        string
	SHA256     [32]byte // of the response body
	FetchedAt  time.Time
	ResponseID int64  // the stored response, 0 when not kept
	Extractor  string // what produced the text: "feed", "trafilatura", …
	TimesFrom  string // where the publication time came from
	// OnlyNew records a first sighting only: a known article is left as
	// it is (its page, not the feed's teaser, is its text).
	OnlyNew bool
}

// Response is a fetched HTTP response kept as evidence.
type Response struct {
	ID            int64
	Source        string
	Kind          string // "feed", "page", "sitemap"
	Method        string
	URL           string
	FinalURL      string
	RequestHeader http.Header
	Proto         string
	Status        int
	Header        http.Header
	// HeaderTruncated is how many bytes of the serialised headers the
	// store's cap (MaxHeaderBytes) dropped; 0 when they are complete. Read
	// back, such a Header also carries TruncatedHeader.
	HeaderTruncated int
	Body            []byte // raw, as received (decompressed transfer encoding); nil once pruned
	BodySize        int
	SHA256          [32]byte
	FetchedAt       time.Time
	Pruned          bool
}

// VersionInfo is a stored version's text and provenance.
type VersionInfo struct {
	VersionID, ArticleID int64
	Version              int
	Title, Summary       string
	Content              string
	Extractor, TimesFrom string
	Diff                 string
	ResponseID           int64 // 0 when the response was not kept
	FetchedAt            time.Time
}

// ArticleEvent is something that happened to an article: an edit of a
// flagged article, a deletion.
type ArticleEvent struct {
	ArticleID int64
	Kind      string
	Detail    string
	At        time.Time
}

// SaveResult says what SaveArticle did.
type SaveResult struct {
	ArticleID int64
	VersionID int64
	Version   int  // 1 for the first version
	New       bool // the article was not known
	Changed   bool // a new version was stored (true for a new article too)
}

// Version is a stored article version awaiting or past evaluation.
type Version struct {
	ArticleID int64
	VersionID int64
	Version   int
	Article   article.Article
}

// StoredFinding is a finding as recorded, tied to the version it was
// found in.
type StoredFinding struct {
	ID        int64
	VersionID int64
	ArticleID int64
	Finding   finding.Finding
	CreatedAt time.Time
}

// Alert is one finding to deliver to one channel.
type Alert struct {
	ID        int64
	FindingID int64
	Channel   string
	Key       string // idempotency key: finding id and channel
	Status    string // "pending", "sent", "failed"
	Kind      string // "finding", or an article event: "edited", "deleted"
	Detail    string // for article events
	Attempts  int
	LastError string
	MessageTS string
	ThreadTS  string    // the message it was posted under; "" at top level
	Digest    bool      // delivered as part of a digest
	AttemptAt time.Time // last send started; non-zero on a pending alert: outcome unknown
	// AttemptThreadTS is the thread the last attempt was posted under, ""
	// for the channel itself: where to look for it.
	AttemptThreadTS string
	// RefreshSeq is non-zero when the sent message must be edited (see
	// PendingRefreshes); MarkRefreshed takes it back.
	RefreshSeq int64
	NextTryAt  time.Time
	SentAt     time.Time
	Finding    StoredFinding
}

// Delivery is how an alert reached its channel.
type Delivery struct {
	TS       string // the message's Slack ts (or the notifier's id)
	ThreadTS string
	Digest   bool
	// RefreshRoot, when set, is a sent top-level alert this delivery makes
	// stale (a syndicated copy in its thread changes its outlet count): it
	// is marked for an edit in the same transaction.
	RefreshRoot int64
}

// Digest is a digest summary posted (or being posted) to a channel.
type Digest struct {
	ID        int64
	Channel   string
	Waiting   int
	TS        string    // "" until Slack's answer is recorded
	AttemptAt time.Time // last post started
	PostedAt  time.Time
}

// Thread is where a follow-up alert goes: under RootTS.
type Thread struct {
	RootAlertID int64
	RootTS      string
	SameArticle bool // false: a syndicated copy of the root's story
}

// Verdict is staff's judgement of a finding.
type Verdict struct {
	Verdict string // "confirmed", "false_positive", "acknowledged"
	User    string // Slack user id
	Team    string // the user's Slack team id ("" when unknown)
	At      time.Time
}

// Route names the channels a finding's alerts go to; nil queues none.
type Route func(f *finding.Finding) []string
