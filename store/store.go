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
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/rules"
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
	Finding   rules.Finding
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
type Route func(f *rules.Finding) []string

// To routes every finding to the same channels.
func To(channels ...string) Route {
	return func(*rules.Finding) []string { return channels }
}

// Store is the durable record.
type Store interface {
	// SourceState returns the saved state of a source; found is false
	// when the source has never been polled.
	SourceState(ctx context.Context, name string) (st SourceState, found bool, err error)
	// SaveSourceState writes a source's state in one statement: the whole
	// cost of a poll answered 304.
	SaveSourceState(ctx context.Context, st SourceState) error
	AddEvent(ctx context.Context, e Event) error
	Events(ctx context.Context, source string) ([]Event, error)

	// SaveArticle records an article seen at fetch.FetchedAt. It is
	// deduplicated by GUID, else by normalised URL, within its source. A
	// version is added only when the text changed; the first-seen time
	// stays that of the first version.
	SaveArticle(ctx context.Context, a *article.Article, fetch Fetch) (SaveResult, error)
	// SeenUnchanged tells, for each article, the id of its stored article
	// when SaveArticle would write nothing for it (with onlyNew: when it
	// is stored at all), else 0; it only reads. TouchArticles then records
	// those sightings in one transaction.
	SeenUnchanged(ctx context.Context, source string, as []*article.Article, onlyNew bool) ([]int64, error)
	TouchArticles(ctx context.Context, ids []int64, at time.Time) error
	// UnevaluatedVersions lists versions saved but not yet evaluated (a
	// crash between saving and evaluating), oldest first.
	UnevaluatedVersions(ctx context.Context) ([]Version, error)
	// SaveFindings records the findings of one version's evaluation, marks
	// the version evaluated, and queues one alert per finding and channel,
	// all in one transaction. Saving the same version's findings twice is
	// a no-op.
	SaveFindings(ctx context.Context, versionID int64, findings []rules.Finding, route Route, at time.Time) ([]StoredFinding, error)
	Findings(ctx context.Context) ([]StoredFinding, error)
	FindingByID(ctx context.Context, id int64) (StoredFinding, error)

	// DueAlerts returns pending alerts whose next try is at or before now,
	// oldest first.
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]Alert, error)
	MarkAlertSent(ctx context.Context, id int64, messageTS string, at time.Time) error
	MarkAlertDelivered(ctx context.Context, id int64, d Delivery, at time.Time) error
	// MarkAlertAttempt records that a send starts; see Alert.AttemptAt.
	MarkAlertAttempt(ctx context.Context, id int64, at time.Time) error
	ThreadRoot(ctx context.Context, channel string, findingID, alertID int64) (Thread, bool, error)
	ThreadSources(ctx context.Context, channel, rootTS string) ([]string, error)
	// SetVerdict records a verdict: kept in the history, and the latest
	// one returned by Verdict.
	SetVerdict(ctx context.Context, findingID int64, v Verdict) error
	Verdict(ctx context.Context, findingID int64) (Verdict, bool, error)
	VerdictHistory(ctx context.Context, findingID int64) ([]Verdict, error)

	// Delivery state that must survive a crash.
	ChannelIDs(ctx context.Context) (map[string]string, error)
	SaveChannelID(ctx context.Context, name, id string, at time.Time) error
	MarkAlertAttemptIn(ctx context.Context, id int64, threadTS string, at time.Time) error
	PendingRefreshes(ctx context.Context) ([]Alert, error)
	MarkRefreshed(ctx context.Context, id, seq int64) error
	RefreshFinding(ctx context.Context, findingID int64) (int, error)
	OpenDigest(ctx context.Context, channel string) (Digest, bool, error)
	StartDigest(ctx context.Context, channel string, waiting int, at time.Time) (int64, error)
	RetryDigest(ctx context.Context, id int64, at time.Time) error
	MarkDigestPosted(ctx context.Context, id int64, ts string, at time.Time) error
	CloseDigest(ctx context.Context, channel string, at time.Time) error

	// Evidence and revisions.
	SaveResponse(ctx context.Context, r Response) (int64, error)
	ResponseByID(ctx context.Context, id int64) (Response, error)
	VersionInfo(ctx context.Context, versionID int64) (VersionInfo, error)
	PruneResponses(ctx context.Context, cutoff time.Time) (int, error)
	IsVisited(ctx context.Context, source, key string) (bool, error)
	MarkVisited(ctx context.Context, source, key string, at time.Time) error
	RevisitCandidates(ctx context.Context, source string, recentSince, fetchedBefore time.Time, limit int) ([]Version, error)
	TouchArticle(ctx context.Context, articleID int64, at time.Time) error
	VersionFlagged(ctx context.Context, versionID int64) (bool, error)
	ArticleGone(ctx context.Context, articleID int64, detail string, at time.Time) (bool, error)
	ArticleEvents(ctx context.Context, articleID int64) ([]ArticleEvent, error)
	QueueArticleAlert(ctx context.Context, articleID int64, kind, detail, key string, at time.Time) (int, error)

	// Leak indexes.
	LeakIndex(ctx context.Context, leak string) (key string, blob []byte, stats string, found bool, err error)
	SaveLeakIndex(ctx context.Context, leak, key string, blob []byte, stats string, at time.Time) error
	// MarkAlertRetry records a failed attempt and when to try again.
	MarkAlertRetry(ctx context.Context, id int64, errText string, next time.Time) error
	// MarkAlertFailed records a permanent failure; the alert stays visible.
	MarkAlertFailed(ctx context.Context, id int64, errText string, at time.Time) error
	Alerts(ctx context.Context) ([]Alert, error)
	AlertByID(ctx context.Context, id int64) (Alert, error)

	Close() error
}
