package monitor

import (
	"context"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/crawler/site"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// Record is what the pipeline asks of the store, by concern. *store.DB
// implements it; tests wrap it to inject failures.
type Record interface {
	sourceRecord
	articleRecord
	findingRecord
	evidenceRecord
	relayRecord
	site.Visited // a site crawl's visited pages
}

// sourceRecord: a source's polling state and its events.
type sourceRecord interface {
	SourceState(ctx context.Context, name string) (st store.SourceState, found bool, err error)
	SaveSourceState(ctx context.Context, st store.SourceState) error
	SaveSourceTimes(ctx context.Context, states []store.SourceState) error
	AddEvent(ctx context.Context, e store.Event) error
}

// articleRecord: articles and their versions, as seen and revisited.
type articleRecord interface {
	SaveArticle(ctx context.Context, a *article.Article, fetch store.Fetch) (store.SaveResult, error)
	SaveArticles(ctx context.Context, as []*article.Article, fetch store.Fetch, limit int) ([]store.SaveResult, error)
	SeenUnchanged(ctx context.Context, source string, as []*article.Article, onlyNew bool) ([]int64, error)
	TouchArticles(ctx context.Context, ids []int64, at time.Time) error
	TouchArticle(ctx context.Context, articleID int64, at time.Time) error
	ArticleGone(ctx context.Context, articleID int64, detail string, at time.Time) (bool, error)
	RevisitCandidates(ctx context.Context, source string, recentSince, fetchedBefore time.Time, limit int) ([]store.Version, error)
	VersionFlagged(ctx context.Context, versionID int64) (bool, error)
	VersionInfo(ctx context.Context, versionID int64) (store.VersionInfo, error)
	IndexText(ctx context.Context) (int, error)
}

// findingRecord: what evaluation writes, and the alerts it queues.
type findingRecord interface {
	UnevaluatedVersions(ctx context.Context) ([]store.Version, error)
	SaveFindings(ctx context.Context, versionID int64, findings []finding.Finding, route store.Route, at time.Time) ([]store.StoredFinding, error)
	MarkEvaluated(ctx context.Context, versionIDs []int64, at time.Time) error
	QueueArticleAlert(ctx context.Context, articleID int64, kind, detail, key string, at time.Time) (int, error)
}

// evidenceRecord: the raw responses kept as evidence.
type evidenceRecord interface {
	SaveResponse(ctx context.Context, r store.Response) (int64, error)
	PruneResponses(ctx context.Context, cutoff time.Time) (int, error)
}

// relayRecord: the log of versions shown to relay detection, which
// processes sharing a store read each other's versions from.
type relayRecord interface {
	PruneRelayObserved(ctx context.Context, cutoff time.Time) (int, error)
}

var _ Record = (*store.DB)(nil)
