// Package monitor owns the running pipeline: it schedules every source,
// polls it, stores what it finds, evaluates each new article or version
// against the rules, records the findings with their alerts in the
// outbox, and delivers the outbox through a notifier. A restart resumes
// from the store.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/calendar"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/crawler/site"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// Delivery is how findings reach people: the channels a finding is routed
// to when it is queued, and the outbox that delivers what is queued.
type Delivery interface {
	Channels(f *finding.Finding, src config.Source) []string
	// Wake asks for delivery now: alerts were queued.
	Wake()
	// Run delivers until ctx is cancelled, then makes a last pass.
	Run(ctx context.Context)
	// DeliverDue makes one delivery pass.
	DeliverDue(ctx context.Context)
	// SourceFailing reports a source that keeps failing.
	SourceFailing(ctx context.Context, source, detail string, failures int)
}

// Options wires a Monitor.
type Options struct {
	Config   *config.Config
	Store    Record
	Engine   *rules.Engine
	Fetcher  *crawler.Fetcher
	Delivery Delivery
	Clock    clock.Clock
	Logger   *slog.Logger
	Metrics  *Metrics
	// Rand returns a float in [0, 1) for jitter; default math/rand/v2.
	Rand func() float64
	// Relay, when set, is shown each version once its findings are saved
	// (relay detection between outlets). Its errors are logged and
	// counted; they never stop the pipeline.
	Relay Relay
	// OnDispatch, when set, is told how late each poll Run starts was
	// (a benchmark's lag percentiles).
	OnDispatch func(source string, lag time.Duration)
}

// Relay observes evaluated versions, with the findings stored for them
// (none for most): package relay's index, with the store of its edges
// and the laundering alerts, behind app's adapter.
type Relay interface {
	Observe(ctx context.Context, versionID int64, a *article.Article, findings []store.StoredFinding) error
}

// Monitor is the pipeline.
type Monitor struct {
	opts     Options
	sources  map[string]*config.Source // into opts.Config.Sources
	cadences map[string]*crawler.Cadence
	// checks says which polls are full GETs that check a feed's
	// validators.
	checks *crawler.Checks
	mu     sync.Mutex
	bodies map[string]lastBody // last full body per source: lying validators, unchanged bodies (unchanged.go)
	// cycle counts what PollOnce did; nil while running as a daemon.
	cycle *Cycle
	// engine is the rule set in force: opts.Engine, then what Reload gave.
	engine atomic.Pointer[rules.Engine]
	// unevaluated: an evaluation failed, and left stored versions
	// unevaluated (see evaluateAll).
	unevaluated atomic.Bool
	// states holds the sources' states while Run runs (see states.go);
	// nil otherwise, when every state is read from and written to the
	// store at once.
	states *stateCache
}

// Cycle is what one poll cycle (PollOnce) did.
type Cycle struct {
	Sources     int // polled
	Failed      int // the poll failed
	NotModified int // the feed answered 304 or was unchanged
	Items       int // items (or pages) seen
	NewItems    int // never seen before
	Findings    int // findings raised by the versions evaluated
}

// String reads as a sentence: what was polled and found.
func (c Cycle) String() string {
	return fmt.Sprintf("polled %d sources (%d failed, %d not modified): %d items, %d new; %d findings",
		c.Sources, c.Failed, c.NotModified, c.Items, c.NewItems, c.Findings)
}

func (m *Monitor) count(f func(c *Cycle)) {
	m.mu.Lock()
	if m.cycle != nil {
		f(m.cycle)
	}
	m.mu.Unlock()
}

// VerifyEvery is how many conditional polls pass between two full GETs
// that check a feed's validators are honest. Each source's first check
// after a start falls on a poll fixed by its name (crawler.Checks), so
// that sources started together do not all check in the same minute.
const VerifyEvery = 12

// New builds a Monitor; it does nothing until Run.
func New(opts Options) *Monitor {
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	m := &Monitor{opts: opts, sources: map[string]*config.Source{}, cadences: map[string]*crawler.Cadence{},
		checks: &crawler.Checks{Every: VerifyEvery}, bodies: map[string]lastBody{}}
	m.engine.Store(opts.Engine)
	windows := opts.Engine.Calendar().Windows()
	// Sources in the same zones share one list of spans: a list is about
	// 1.5 KB with the example calendar, and feeds number in thousands.
	spans := map[string][]crawler.Span{}
	for i := range opts.Config.Sources {
		s := &opts.Config.Sources[i]
		m.sources[s.Name] = s
		key := strings.Join(s.Zones, "\x00")
		sp, ok := spans[key]
		if !ok {
			sp = spansFor(s.Zones, windows)
			spans[key] = sp
		}
		m.cadences[s.Name] = cadenceFor(*s, sp)
	}
	return m
}

// source is the configured source name, or the zero Source when the
// config has none by that name (a version stored before a reload).
func (m *Monitor) source(name string) config.Source {
	if s := m.sources[name]; s != nil {
		return *s
	}
	return config.Source{}
}

func cadenceFor(s config.Source, spans []crawler.Span) *crawler.Cadence {
	c := &crawler.Cadence{Schedule: s.Schedule, Every: s.Every, SilenceEvery: s.SilenceEvery,
		Preroll: s.Preroll, MinEvery: s.MinEvery, MaxEvery: s.MaxEvery, Windows: spans}
	if c.Schedule == nil {
		c.Schedule = cron.Every(s.Every)
	}
	return c
}

// spansFor lists the windows that bind a source in zones (any zone when
// none is given): every guidance window, and the others of its zones.
func spansFor(zones []string, windows []calendar.Window) []crawler.Span {
	var out []crawler.Span
	for _, w := range windows {
		if w.Kind == calendar.KindGuidance || len(zones) == 0 || slices.Contains(zones, w.Zone) {
			out = append(out, crawler.Span{Start: w.Start, End: w.End})
		}
	}
	return slices.Clip(out)
}

// schedulerTick batches Run's wake-ups (crawler.Scheduler.Tick): a poll
// starts at most this late, against a cadence of 30 s at the least.
const schedulerTick = 50 * time.Millisecond

// Run starts the pipeline and blocks until ctx is cancelled and in-flight
// work has finished.
func (m *Monitor) Run(ctx context.Context) error {
	if err := m.recover(ctx); err != nil {
		return err
	}
	// Batching is for the wall clock: on a clock thousands of times
	// faster (the demo's), a 50 ms tick or a 1 s flush would wake the
	// process thousands of times a second of real time.
	batch := true
	if c, ok := m.opts.Clock.(interface{ Speed() float64 }); ok && c.Speed() > 1 {
		batch = false
	}
	if batch {
		m.states = newStateCache(m.opts.Store)
		defer func() { m.states = nil }()
	}
	due, err := m.firstDue(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		m.opts.Delivery.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		m.pruneLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		m.revisitLoop(ctx)
	}()
	sched := &crawler.Scheduler{
		Clock: m.opts.Clock, Workers: m.opts.Config.Crawler.Workers, Poll: m.poll, Grace: 5 * time.Second,
		OnDispatch: func(source string, lag time.Duration, waiting int) {
			m.opts.Metrics.sources.set(source, seriesLag, lag.Seconds())
			m.opts.Metrics.queueDepth.Set(float64(waiting))
			if m.opts.OnDispatch != nil {
				m.opts.OnDispatch(source, lag)
			}
		},
	}
	var flusher sync.WaitGroup
	stopFlush := func() {}
	if batch {
		sched.Tick = schedulerTick
		var flushCtx context.Context
		flushCtx, stopFlush = context.WithCancel(context.WithoutCancel(ctx))
		flusher.Go(func() { m.states.run(flushCtx, m.opts.Clock, m.opts.Logger, m.opts.Metrics.evaluateErrors.Inc) })
		flusher.Go(func() { m.indexLoop(flushCtx) })
	}
	m.opts.Logger.Info("monitor started", "sources", len(due), "workers", sched.Workers)
	sched.Run(ctx, due)
	// No poll runs any more: write what is buffered.
	stopFlush()
	flusher.Wait()
	if m.states != nil {
		if err := m.states.flush(context.WithoutCancel(ctx)); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			m.opts.Logger.Error("saving source states at shutdown", "err", err)
		}
	}
	m.indexText(context.WithoutCancel(ctx))
	wg.Wait()
	m.opts.Logger.Info("monitor stopped")
	return nil
}

// indexEvery is how often the versions stored since are added to the
// full-text index (see store.DB.IndexText): often enough that the queue
// stays short, seldom enough that each batch is worth its commit.
const indexEvery = 10 * time.Second

// indexLoop adds stored versions to the full-text index every indexEvery.
// A search indexes what is queued first, so this only keeps searches
// quick; it runs on the wall clock only, like the state cache's flush.
func (m *Monitor) indexLoop(ctx context.Context) {
	for m.sleep(ctx, indexEvery) {
		m.indexText(ctx)
	}
}

// sleep waits d on the monitor's clock; false when ctx ended first.
func (m *Monitor) sleep(ctx context.Context, d time.Duration) bool {
	t := m.opts.Clock.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-t.C():
		return true
	}
}

func (m *Monitor) indexText(ctx context.Context) {
	if _, err := m.opts.Store.IndexText(ctx); err != nil && ctx.Err() == nil {
		m.opts.Metrics.evaluateErrors.Inc()
		m.opts.Logger.Error("adding stored versions to the full-text index", "err", err)
	}
}

// recover evaluates versions a crash left stored but unevaluated, so no
// article is lost and none is evaluated twice.
func (m *Monitor) recover(ctx context.Context) error {
	pending, err := m.opts.Store.UnevaluatedVersions(ctx)
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	var errs []error // one version that cannot be recorded does not hold up the others
	for _, v := range pending {
		if err := m.evaluate(ctx, v.VersionID, &v.Article); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(pending) > 0 {
		m.opts.Logger.Info("evaluated versions left by the previous run", "versions", len(pending))
	}
	return nil
}

// firstDue reads each source's saved next poll. Sources never polled, and
// sources overdue after a restart, are spread over their interval, each at
// a phase fixed by its name, rather than fetched all at once.
func (m *Monitor) firstDue(ctx context.Context) (map[string]time.Time, error) {
	now := m.opts.Clock.Now()
	due := map[string]time.Time{}
	for name, src := range m.sources {
		st, found, err := m.opts.Store.SourceState(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("monitor: %w", err)
		}
		if found && m.states != nil {
			m.states.remember(st)
		}
		spread := src.Every
		silent := m.cadences[name].Silent(now)
		if silent || spread == 0 {
			spread = src.SilenceEvery
		}
		// A first full fetch costs many 304s: many at once are spread
		// further when asked, but never past a window's cadence.
		if !found && !silent {
			spread = max(spread, m.opts.Config.Crawler.FirstPollSpread)
		}
		switch {
		case !found || st.NextPollAt.IsZero() || st.NextPollAt.Before(now):
			due[name] = m.cadences[name].FirstPoll(name, now, spread)
		default:
			due[name] = st.NextPollAt
		}
	}
	return due, nil
}

// poll fetches one source, records the outcome and returns its next due
// time. Errors are recorded, never returned: one broken source must not
// stop the others.
func (m *Monitor) poll(ctx context.Context, name string) time.Time {
	m.retryEvaluation(ctx)
	if c := m.states; c != nil {
		if st, ok := c.state(name); ok {
			return m.pollFrom(ctx, name, st, nil, c, false, true)
		}
		st, _, err := m.opts.Store.SourceState(ctx, name)
		return m.pollFrom(ctx, name, st, err, c, true, true)
	}
	st, _, err := m.opts.Store.SourceState(ctx, name)
	return m.pollFrom(ctx, name, st, err, nil, true, true)
}

// pollFrom is poll from the source's state as read from the store (and
// the error reading it, logged here), or from states without its
// LastItems (items false). The new state goes through states, or
// straight to the store when states is nil. reuse says that a body
// identical to the last one this process ingested for the source may be
// taken as unchanged (unchanged.go): false when another process may have
// polled the source since.
func (m *Monitor) pollFrom(ctx context.Context, name string, st store.SourceState, err error, states *stateCache, items, reuse bool) time.Time {
	src := m.source(name)
	// The logger with the source's name is made when first used: most
	// polls log nothing, and making it costs 7 allocations.
	var logger *slog.Logger
	log := func() *slog.Logger {
		if logger == nil {
			logger = m.opts.Logger.With("source", name)
		}
		return logger
	}
	if err != nil {
		m.opts.Metrics.evaluateErrors.Inc()
		log().Error("reading source state", "err", err)
	}
	st.Name, st.URL = name, src.URL
	prev := st
	// loadItems reads LastItems where the cache left them, in the store.
	loadItems := func() {
		if items {
			return
		}
		items = true
		li, err := states.items(ctx, name)
		if err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			log().Error("reading source state", "err", err)
		}
		st.LastItems, prev.LastItems = li, li
	}
	save := func(next store.SourceState) error {
		if states == nil {
			return m.saveState(ctx, log(), next)
		}
		if !items && !onlyTimesMoved(prev, next) {
			loadItems() // written in full: with the items as they were
			next.LastItems = st.LastItems
		}
		if err := states.save(ctx, next, prev); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			log().Error("saving source state", "err", err)
			return err
		}
		return nil
	}

	conditional := !st.ConditionalOff && m.checks.Conditional(name)
	var res *crawler.FetchResult
	out := crawler.Outcome{}
	if src.Kind == "site" {
		res = &crawler.FetchResult{}
		err = m.pollSite(ctx, name, &st, &out)
	} else {
		req := crawler.FetchRequest{Source: name, URL: src.URL, ETag: st.ETag, LastModified: st.LastModified, Conditional: conditional}
		if src.Username != "" {
			req.Username, req.Password = src.Username, src.Password
		}
		res, err = m.opts.Fetcher.Fetch(ctx, req)
	}
	at := m.opts.Clock.Now()
	st.LastPollAt = at
	out.At = at

	// unchanged: a full response taken as a 304 (unchanged.go); done:
	// one ingested with nothing left for a later poll.
	var unchanged, done bool
	var key uint64
	if err == nil && src.Kind != "site" && !res.NotModified {
		key = ingestKey(&src, res)
		if unchanged = m.sawBody(ctx, name, &st, res, conditional, reuse, key); !unchanged {
			loadItems()
			var pending bool
			pending, err = m.ingest(ctx, name, &st, res, &out)
			done = err == nil && !pending && reuse
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		// Shutting down: not the source's fault; poll again soon after restart.
		st.NextPollAt = at
		save(st)
		return at
	case err != nil:
		m.failed(ctx, log(), &st, err, &out)
	default:
		switch {
		case res.NotModified:
			out.NotModified = true
			m.opts.Metrics.sources.add(name, seriesFetches, "not_modified", 1)
			m.checks.NotModified(name)
		case unchanged:
			out.NotModified = true
			m.opts.Metrics.sources.add(name, seriesFetches, "unchanged", 1)
		default:
			m.opts.Metrics.sources.add(name, seriesFetches, "ok", 1)
		}
		if st.Failures >= m.opts.Config.Crawler.FailureReportAfter {
			m.event(ctx, log(), store.Event{Source: name, Kind: "recovered", Detail: fmt.Sprintf("after %d failed polls", st.Failures), At: at})
		}
		st.Failures = 0
		st.LastSuccessAt = at
		st.ETag, st.LastModified = res.ETag, res.LastModified
	}
	m.opts.Metrics.sources.set(name, seriesFailures, float64(st.Failures))
	m.count(func(c *Cycle) {
		c.Sources++
		if out.Failures > 0 {
			c.Failed++
		}
		if out.NotModified {
			c.NotModified++
		}
		c.Items += out.Items
		c.NewItems += out.NewItems
	})
	st.NextPollAt, st.Interval = m.cadences[name].Next(st.Interval, out, m.opts.Rand)
	if save(st) == nil && done {
		m.ingested(name, res, key)
	}
	return st.NextPollAt
}

func (m *Monitor) saveState(ctx context.Context, log *slog.Logger, st store.SourceState) error {
	if err := m.opts.Store.SaveSourceState(ctx, st); err != nil {
		m.opts.Metrics.evaluateErrors.Inc()
		log.Error("saving source state", "err", err)
		return err
	}
	return nil
}

func (m *Monitor) failed(ctx context.Context, log *slog.Logger, st *store.SourceState, err error, out *crawler.Outcome) {
	st.Failures++
	out.Failures = st.Failures
	kind := "error"
	var fe *crawler.FetchError
	var se *site.Error
	switch {
	case errors.As(err, &fe):
		kind = fe.Kind.String()
		out.RetryAfter = fe.RetryAfter
	case errors.As(err, &se):
		// A site that answers 429 or 503 with Retry-After is heard too.
		out.RetryAfter = se.RetryAfter
	}
	m.opts.Metrics.sources.add(st.Name, seriesFetches, kind, 1)
	log.Warn("poll failed", "err", err, "consecutive_failures", st.Failures)
	if st.Failures == m.opts.Config.Crawler.FailureReportAfter {
		log.Error("source failing", "err", err, "consecutive_failures", st.Failures)
		m.event(ctx, log, store.Event{Source: st.Name, Kind: "failing", Detail: err.Error(), At: out.At})
		m.opts.Delivery.SourceFailing(ctx, st.Name, err.Error(), st.Failures)
	}
}

func (m *Monitor) event(ctx context.Context, log *slog.Logger, e store.Event) {
	if err := m.opts.Store.AddEvent(ctx, e); err != nil {
		m.opts.Metrics.evaluateErrors.Inc()
		log.Error("recording event", "kind", e.Kind, "err", err)
	}
}

// ingest parses a full response, stores every item and evaluates what is
// new or changed. pending says that items were left for a later poll
// (max_items_per_poll).
func (m *Monitor) ingest(ctx context.Context, name string, st *store.SourceState, res *crawler.FetchResult, out *crawler.Outcome) (pending bool, err error) {
	log := m.opts.Logger.With("source", name)
	feed, err := crawler.ParseFeed(res.Body, res.ContentType, res.FinalURL, res.FetchedAt, m.engine.Load().Location(name))
	if err != nil {
		var fe *crawler.FetchError
		if errors.As(err, &fe) {
			fe.Source = name
		}
		return false, err
	}
	src := m.source(name)
	// The feed as received is evidence for every item it carries.
	respID, err := m.opts.Store.SaveResponse(ctx, store.Response{Source: name, Kind: "feed", URL: src.URL,
		FinalURL: res.FinalURL, RequestHeader: res.RequestHeader, Proto: res.Proto, Status: res.Status,
		Header: res.Header, Body: res.Body, Gzipped: res.Gzipped, SHA256: res.SHA256, FetchedAt: res.FetchedAt})
	if err != nil {
		m.opts.Metrics.evaluateErrors.Inc()
		return false, fmt.Errorf("monitor: source %q: %w", name, err)
	}
	keys := make([]string, len(feed.Items))
	for i := range feed.Items {
		keys[i] = itemKey(&feed.Items[i])
	}
	var fullTexts []fullTextJob
	out.Items = len(feed.Items)
	// At most src.MaxItems new or changed items a poll, newest first: the
	// rest are neither stored nor touched, so they are still new to the
	// store and the next poll takes them.
	limit := src.MaxItems
	if limit <= 0 { // a Source not from the config loader: no cap
		limit = len(feed.Items)
	}
	order := pollOrder(feed.Items, limit)
	for i := range feed.Items {
		a := &feed.Items[i]
		a.Source = name
		if a.Language == "" {
			a.Language = src.Language
		}
	}
	// Past the cap, what is already stored unchanged is told apart in a
	// few batched reads and touched in one write, so a long feed costs
	// its new items, not one transaction per item it lists.
	var known []int64
	if len(feed.Items) > limit {
		all := make([]*article.Article, len(feed.Items))
		for i := range feed.Items {
			all[i] = &feed.Items[i]
		}
		if known, err = m.opts.Store.SeenUnchanged(ctx, name, all, src.FetchFullText); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			return false, fmt.Errorf("monitor: source %q: %w", name, err)
		}
	}
	var touch []int64
	batch := make([]*article.Article, 0, len(order))
	for _, i := range order {
		if known != nil && known[i] != 0 {
			touch = append(touch, known[i])
			m.opts.Metrics.sources.add(name, seriesItems, "seen", 1)
			continue
		}
		batch = append(batch, &feed.Items[i])
	}
	// The poll's items are stored in one transaction, up to the cap. For
	// a full-text source the feed only announces new items: the page's
	// text is the article, kept current by revisits.
	saved, saveErr := m.opts.Store.SaveArticles(ctx, batch, store.Fetch{URL: res.FinalURL, SHA256: res.SHA256, FetchedAt: res.FetchedAt,
		ResponseID: respID, Extractor: "feed", TimesFrom: "feed", OnlyNew: src.FetchFullText}, limit)
	deferred := len(batch) - len(saved)
	taken := 0
	var evaluate []storedVersion
	for j, r := range saved {
		a := batch[j]
		switch {
		case r.New && src.FetchFullText && a.URL != "":
			taken++
			out.NewItems++
			m.opts.Metrics.sources.add(name, seriesItems, "new", 1)
			fullTexts = append(fullTexts, fullTextJob{article: *a, feedVersion: r.VersionID})
		case r.New:
			taken++
			out.NewItems++
			m.opts.Metrics.sources.add(name, seriesItems, "new", 1)
			evaluate = append(evaluate, storedVersion{id: r.VersionID, article: a})
		case r.Changed:
			taken++
			m.opts.Metrics.sources.add(name, seriesItems, "changed", 1)
			evaluate = append(evaluate, storedVersion{id: r.VersionID, article: a})
		default:
			m.opts.Metrics.sources.add(name, seriesItems, "seen", 1)
		}
	}
	// What was stored is evaluated, and its pages fetched, even when the
	// next item could not be stored or another could not be evaluated:
	// seen again, those items would be taken as known.
	evalErr := m.evaluateAll(ctx, evaluate)
	pagesErr := m.fullTexts(ctx, log, src, fullTexts)
	if saveErr != nil {
		m.opts.Metrics.evaluateErrors.Inc()
		saveErr = fmt.Errorf("monitor: source %q: %w", name, saveErr)
	}
	if err := errors.Join(saveErr, evalErr, pagesErr); err != nil {
		return false, err
	}
	if len(touch) > 0 && !src.FetchFullText { // a full-text article's page was not fetched: see store.Fetch.OnlyNew
		if err := m.opts.Store.TouchArticles(ctx, touch, res.FetchedAt); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			return false, fmt.Errorf("monitor: source %q: %w", name, err)
		}
	}
	if deferred > 0 {
		// What is left is new or changed: poll again sooner.
		out.NewItems += deferred
		m.opts.Metrics.sources.add(name, seriesDeferred, "", float64(deferred))
		log.Warn("poll capped: items left for the next poll", "items", len(order), "taken", taken, "deferred", deferred, "max_items", limit)
	}
	if len(st.LastItems) > 0 && len(keys) > 0 && !overlaps(st.LastItems, keys) {
		m.event(ctx, log, store.Event{Source: name, Kind: "gap", At: res.FetchedAt,
			Detail: fmt.Sprintf("no item in common with the previous poll (%d items then, %d now): items may have scrolled off unseen", len(st.LastItems), len(keys))})
		log.Warn("possible gap: the feed shares no item with the previous poll")
	}
	// The newest keys are enough to tell a gap, and keep the source's
	// state row small whatever the feed's length.
	st.LastItems = make([]string, 0, min(len(order), limit))
	for _, i := range order[:min(len(order), limit)] {
		st.LastItems = append(st.LastItems, keys[i])
	}
	return deferred > 0, nil
}

func itemKey(a *article.Article) string {
	if a.GUID != "" {
		return a.GUID
	}
	return a.URL
}

func overlaps(a, b []string) bool {
	seen := make(map[string]bool, len(a))
	for _, k := range a {
		seen[k] = true
	}
	for _, k := range b {
		if seen[k] {
			return true
		}
	}
	return false
}

// evaluate runs the rules on a stored version and records its findings
// and their alerts in one step.
func (m *Monitor) evaluate(ctx context.Context, versionID int64, a *article.Article) error {
	return m.evaluateAll(ctx, []storedVersion{{id: versionID, article: a}})
}

// storedVersion is a version stored and not yet evaluated.
type storedVersion struct {
	id      int64
	article *article.Article
}

// evaluateAll evaluates a poll's stored versions. Each version with
// findings has them and its alerts recorded in a transaction of its own,
// first, as evaluate does; the versions without findings, most of them,
// are then marked evaluated in one statement. One failure does not keep
// the others from being recorded. A version left unevaluated by a failure
// is evaluated again before the next poll (and by the recovery at start,
// should the process die first): seen again unchanged, it would not be
// evaluated by a later ingest.
func (m *Monitor) evaluateAll(ctx context.Context, versions []storedVersion) error {
	if len(versions) == 0 {
		return nil
	}
	engine := m.engine.Load()
	found := make([][]finding.Finding, len(versions))
	stored := make([][]store.StoredFinding, len(versions))
	recorded := make([]bool, len(versions))
	var quiet []int64
	for i, v := range versions {
		if found[i] = engine.Evaluate(v.article); len(found[i]) == 0 {
			quiet = append(quiet, v.id)
		}
	}
	now := m.opts.Clock.Now()
	var errs []error
	total := 0
	for i, v := range versions {
		if len(found[i]) == 0 {
			continue
		}
		src := m.source(v.article.Source)
		route := func(f *finding.Finding) []string { return m.opts.Delivery.Channels(f, src) }
		var err error
		if stored[i], err = m.opts.Store.SaveFindings(ctx, v.id, found[i], route, now); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			errs = append(errs, fmt.Errorf("monitor: saving findings of version %d: %w", v.id, err))
			continue
		}
		recorded[i] = true
		total += len(found[i])
		for _, f := range found[i] {
			m.opts.Metrics.findings.WithLabelValues(f.Rule).Inc()
		}
	}
	if len(quiet) > 0 {
		if err := m.opts.Store.MarkEvaluated(ctx, quiet, now); err != nil {
			m.opts.Metrics.evaluateErrors.Inc()
			errs = append(errs, fmt.Errorf("monitor: marking %d versions evaluated: %w", len(quiet), err))
		} else {
			for i := range versions {
				recorded[i] = recorded[i] || len(found[i]) == 0
			}
		}
	}
	if r := m.opts.Relay; r != nil {
		for i, v := range versions {
			if !recorded[i] {
				continue // observed when it is evaluated again
			}
			if err := r.Observe(ctx, v.id, v.article, stored[i]); err != nil {
				// It may have been a crossing or velocity alert: an error.
				m.opts.Metrics.relayErrors.Inc()
				m.opts.Logger.Error("monitor: relay detection or its alerts failed", "version", v.id, "source", v.article.Source, "err", err)
			}
		}
	}
	m.count(func(c *Cycle) { c.Findings += total })
	if total > 0 {
		m.opts.Delivery.Wake()
	}
	if len(errs) > 0 {
		m.unevaluated.Store(true)
		return errors.Join(errs...)
	}
	return nil
}

// retryEvaluation evaluates the versions a failed evaluation left, once
// one is known to have failed: what the recovery at start does.
func (m *Monitor) retryEvaluation(ctx context.Context) {
	if !m.unevaluated.CompareAndSwap(true, false) {
		return
	}
	if err := m.recover(ctx); err != nil {
		m.unevaluated.Store(true) // again before the next poll
		m.opts.Logger.Error("monitor: evaluating versions a failure left unevaluated", "err", err)
		return
	}
	m.opts.Logger.Info("monitor: evaluated the versions a failure had left unevaluated")
}

// PollOnce polls every source once on the worker pool, delivers the
// alerts found, and returns what it did: one full poll cycle.
func (m *Monitor) PollOnce(ctx context.Context) (Cycle, error) {
	m.mu.Lock()
	m.cycle = &Cycle{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.cycle = nil
		m.mu.Unlock()
	}()
	if err := m.recover(ctx); err != nil {
		return Cycle{}, err
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(m.opts.Config.Crawler.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range jobs {
				m.poll(ctx, name)
			}
		}()
	}
	for _, s := range m.opts.Config.Sources {
		select {
		case jobs <- s.Name:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	m.indexText(ctx)
	m.opts.Delivery.DeliverDue(ctx)
	m.mu.Lock()
	c := *m.cycle
	m.mu.Unlock()
	return c, ctx.Err()
}

// pruneEvery is how often old response bodies are dropped.
const pruneEvery = time.Hour

// pruneLoop keeps the store's size bounded: bodies of responses older
// than the retention that no flagged article depends on are dropped, and
// the relay log older than the relay window.
func (m *Monitor) pruneLoop(ctx context.Context) {
	for {
		m.prune(ctx)
		if !m.sleep(ctx, pruneEvery) {
			return
		}
	}
}

func (m *Monitor) prune(ctx context.Context) {
	cutoff := m.opts.Clock.Now().Add(-m.opts.Config.Evidence.Retention)
	if n, err := m.opts.Store.PruneResponses(ctx, cutoff); err != nil && ctx.Err() == nil {
		m.opts.Metrics.evaluateErrors.Inc()
		m.opts.Logger.Error("pruning old responses", "err", err)
	} else if n > 0 {
		m.opts.Logger.Info("pruned old response bodies", "responses", n)
	}
	// The relay log past the relay window: no process's index holds
	// those versions any more (it is written only by processes sharing a
	// store, and empty otherwise).
	if w := m.opts.Config.Relay.Window; w > 0 {
		if n, err := m.opts.Store.PruneRelayObserved(ctx, m.opts.Clock.Now().Add(-w)); err != nil && ctx.Err() == nil {
			m.opts.Metrics.evaluateErrors.Inc()
			m.opts.Logger.Error("pruning the relay log", "err", err)
		} else if n > 0 {
			m.opts.Logger.Info("pruned the relay log", "versions", n)
		}
	}
}
