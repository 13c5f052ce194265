package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/store"
)

// OutboxStore is what delivery needs of the store.
type OutboxStore interface {
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]store.Alert, error)
	MarkAlertAttempt(ctx context.Context, id int64, at time.Time) error
	MarkAlertDelivered(ctx context.Context, id int64, d store.Delivery, at time.Time) error
	MarkAlertRetry(ctx context.Context, id int64, errText string, next time.Time) error
	MarkAlertFailed(ctx context.Context, id int64, errText string, at time.Time) error
	ThreadRoot(ctx context.Context, channel string, findingID, alertID int64) (store.Thread, bool, error)
	ThreadSources(ctx context.Context, channel, rootTS string) ([]string, error)
	AlertByID(ctx context.Context, id int64) (store.Alert, error)
	Verdict(ctx context.Context, findingID int64) (store.Verdict, bool, error)
}

// Outbox delivers the alerts queued in the store: exactly once per
// finding and channel, paced per channel, in threads for follow-ups and
// syndicated copies, and in digests when a channel is flooded. Nothing is
// dropped: a rate limit is waited out, a transient failure retried with
// backoff, a permanent one kept as failed and logged loudly.
type Outbox struct {
	Store  OutboxStore
	Sender Sender
	Clock  clock.Clock
	Logger *slog.Logger
	// Pace is the minimum gap between two messages to one channel (Slack
	// allows about one per second).
	Pace            time.Duration
	DigestThreshold int
	DigestInterval  time.Duration
	DigestBatch     int
	Interactive     bool // add verdict buttons to alerts
	// OnDelivered and OnFailed count outcomes (metrics); optional.
	OnDelivered func(n int)
	OnFailed    func(n int)
	Rand        func() float64

	mu         sync.Mutex
	lastSend   map[string]time.Time
	digestTS   map[string]string // the open digest thread per channel
	digestAt   map[string]time.Time
	wake       chan struct{}
	channelsMu map[string]*sync.Mutex // one delivery at a time per channel
}

func (o *Outbox) init() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastSend == nil {
		o.lastSend, o.digestTS, o.digestAt = map[string]time.Time{}, map[string]string{}, map[string]time.Time{}
		o.channelsMu = map[string]*sync.Mutex{}
		o.wake = make(chan struct{}, 1)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.DigestThreshold <= 0 {
		o.DigestThreshold = 20
	}
	if o.DigestBatch <= 0 {
		o.DigestBatch = 40
	}
	if o.DigestInterval <= 0 {
		o.DigestInterval = time.Minute
	}
}

// Wake asks for a delivery pass now (new alerts were queued).
func (o *Outbox) Wake() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled, then makes one last pass.
func (o *Outbox) Run(ctx context.Context, every time.Duration) {
	o.init()
	for {
		o.DeliverDue(ctx)
		t := o.Clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			o.DeliverDue(drain)
			cancel()
			return
		case <-o.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// DeliverDue makes one pass over the due alerts, channels in parallel.
func (o *Outbox) DeliverDue(ctx context.Context) {
	o.init()
	due, err := o.Store.DueAlerts(ctx, o.Clock.Now(), 0)
	if err != nil {
		if ctx.Err() == nil {
			o.Logger.Error("reading the outbox", "err", err)
		}
		return
	}
	byChannel := map[string][]store.Alert{}
	var order []string
	for _, a := range due {
		if _, ok := byChannel[a.Channel]; !ok {
			order = append(order, a.Channel)
		}
		byChannel[a.Channel] = append(byChannel[a.Channel], a)
	}
	var wg sync.WaitGroup
	for _, ch := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lock := o.channelLock(ch)
			lock.Lock()
			defer lock.Unlock()
			o.deliverChannel(ctx, ch, byChannel[ch])
		}()
	}
	wg.Wait()
}

func (o *Outbox) channelLock(ch string) *sync.Mutex {
	o.mu.Lock()
	defer o.mu.Unlock()
	l, ok := o.channelsMu[ch]
	if !ok {
		l = &sync.Mutex{}
		o.channelsMu[ch] = l
	}
	return l
}

// record writes outcomes even when ctx is cancelled: an alert delivered
// but not recorded as such would be delivered again.
func record(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (o *Outbox) deliverChannel(ctx context.Context, ch string, alerts []store.Alert) {
	alerts = o.reconcile(ctx, ch, alerts)
	if len(alerts) == 0 {
		return
	}
	o.mu.Lock()
	open := o.digestTS[ch] != ""
	o.mu.Unlock()
	if len(alerts) > o.DigestThreshold || (open && len(alerts) > 1) {
		o.digest(ctx, ch, alerts)
		return
	}
	o.mu.Lock()
	delete(o.digestTS, ch) // the flood has drained
	o.mu.Unlock()
	for _, a := range alerts {
		if !o.single(ctx, ch, a) {
			return
		}
	}
}

// reconcile finds alerts whose earlier attempt may have reached Slack
// although its answer was lost (a timeout, a crash), and records them as
// delivered instead of posting them again. It returns the rest.
func (o *Outbox) reconcile(ctx context.Context, ch string, alerts []store.Alert) []store.Alert {
	var since time.Time
	for _, a := range alerts {
		if !a.AttemptAt.IsZero() && (since.IsZero() || a.AttemptAt.Before(since)) {
			since = a.AttemptAt
		}
	}
	if since.IsZero() {
		return alerts
	}
	posted, err := o.Sender.Recent(ctx, ch, since.Add(-time.Minute))
	var se *SendError
	switch {
	case errors.Is(err, ErrCannotLook):
		o.Logger.Warn("cannot check whether earlier attempts reached the channel; they are sent again and may show twice", "channel", ch)
		return alerts
	case errors.As(err, &se) && se.Kind == Permanent:
		// Holding the alerts until the history can be read could mean
		// never: a duplicate is better than a lost alert.
		o.Logger.Error("cannot read the channel's history to check earlier attempts (give the bot channels:history and groups:history, and configure channels by id); sending them again, they may show twice",
			"channel", ch, "err", err)
		return alerts
	case err != nil:
		o.Logger.Warn("checking earlier attempts failed; will check again", "channel", ch, "err", err)
		return nil // never risk a duplicate: retry the whole channel on the next pass
	}
	found := map[int64]Posted{}
	for _, p := range posted {
		for _, id := range p.AlertIDs {
			found[id] = p
		}
	}
	var rest []store.Alert
	for _, a := range alerts {
		p, ok := found[a.ID]
		if !ok {
			rest = append(rest, a)
			continue
		}
		d := store.Delivery{TS: p.TS, ThreadTS: p.ThreadTS, Digest: len(p.AlertIDs) > 1}
		if err := o.Store.MarkAlertDelivered(record(ctx), a.ID, d, o.Clock.Now()); err != nil {
			o.Logger.Error("recording an alert found in the channel", "alert", a.ID, "err", err)
			continue
		}
		o.Logger.Info("alert had reached the channel although its answer was lost; not posting it again", "alert", a.ID, "channel", ch, "ts", p.TS)
		o.delivered(1)
	}
	return rest
}

// single delivers one alert: a new message, or a reply in the thread of
// the article's (or the story's) first alert. It returns false when the
// channel should be left for this pass (Slack is failing).
func (o *Outbox) single(ctx context.Context, ch string, a store.Alert) bool {
	var m Message
	var th store.Thread
	threaded := false
	if o.Sender.Threads() {
		var err error
		th, threaded, err = o.Store.ThreadRoot(ctx, ch, a.FindingID, a.ID)
		if err != nil {
			o.Logger.Error("looking up the alert's thread", "alert", a.ID, "err", err)
			return false
		}
	}
	switch {
	case a.Kind != "" && a.Kind != "finding":
		m = ArticleEvent(&a)
		if threaded {
			m.ThreadTS = th.RootTS
		}
	case threaded:
		m = FollowUp(&a.Finding, !th.SameArticle)
		m.ThreadTS = th.RootTS
	default:
		m = Alert(&a.Finding, o.Interactive, nil, nil)
	}
	m.Key = alertKey(a.ID)
	ts, ok := o.send(ctx, ch, []store.Alert{a}, m)
	if !ok {
		return false
	}
	if ts == "" {
		return true // failed permanently, recorded; go on with the others
	}
	if threaded && !th.SameArticle && (a.Kind == "" || a.Kind == "finding") {
		o.updateRoot(ctx, ch, th)
	}
	return true
}

// updateRoot re-renders a story's first alert with the outlets that
// carried it.
func (o *Outbox) updateRoot(ctx context.Context, ch string, th store.Thread) {
	root, err := o.Store.AlertByID(ctx, th.RootAlertID)
	if err != nil {
		o.Logger.Error("reading the thread's first alert", "alert", th.RootAlertID, "err", err)
		return
	}
	outlets, err := o.Store.ThreadSources(ctx, ch, th.RootTS)
	if err != nil {
		o.Logger.Error("counting the story's outlets", "err", err)
		return
	}
	var verdict *store.Verdict
	if v, found, err := o.Store.Verdict(ctx, root.FindingID); err == nil && found {
		verdict = &v
	}
	m := Alert(&root.Finding, o.Interactive, verdict, outlets)
	o.pace(ctx, ch)
	if err := o.Sender.Update(ctx, ch, th.RootTS, m); err != nil {
		// The replies are delivered; a stale count on the first message
		// is not worth a retry loop.
		o.Logger.Warn("updating the story's first alert with its outlets", "channel", ch, "err", err)
	}
}

// digest posts (at most once per interval) a summary of the backlog, then
// lists every waiting finding in its thread, DigestBatch per message.
func (o *Outbox) digest(ctx context.Context, ch string, alerts []store.Alert) {
	now := o.Clock.Now()
	o.mu.Lock()
	ts, at := o.digestTS[ch], o.digestAt[ch]
	o.mu.Unlock()
	if ts == "" || now.Sub(at) >= o.DigestInterval || !o.Sender.Threads() {
		m := Digest(ch, alerts, o.DigestBatch)
		m.Key = fmt.Sprintf("digest:%d", alerts[0].ID)
		o.pace(ctx, ch)
		posted, err := o.Sender.Post(ctx, ch, m)
		for err != nil {
			var se *SendError
			if !errors.As(err, &se) || se.Kind != RateLimited || ctx.Err() != nil {
				o.Logger.Warn("posting a digest failed; will retry", "channel", ch, "err", err)
				return
			}
			o.sleep(ctx, se.RetryAfter)
			posted, err = o.Sender.Post(ctx, ch, m)
		}
		ts = posted
		o.mu.Lock()
		o.digestTS[ch], o.digestAt[ch] = ts, o.Clock.Now()
		o.mu.Unlock()
		o.Logger.Info("channel flooded: digest mode", "channel", ch, "waiting", len(alerts))
	}
	for start := 0; start < len(alerts); start += o.DigestBatch {
		batch := alerts[start:min(start+o.DigestBatch, len(alerts))]
		ids := make([]int64, len(batch))
		for i, a := range batch {
			ids[i] = a.ID
		}
		m := DigestBatch(batch)
		m.Key = batchKey(ids)
		if o.Sender.Threads() {
			m.ThreadTS = ts
		}
		if replyTS, ok := o.send(ctx, ch, batch, m); !ok {
			return
		} else if replyTS == "" {
			continue
		}
		o.mu.Lock()
		since := o.Clock.Now().Sub(o.digestAt[ch])
		o.mu.Unlock()
		if since >= o.DigestInterval && start+o.DigestBatch < len(alerts) {
			// The flood goes on: a fresh summary of what is left.
			o.digest(ctx, ch, alerts[start+o.DigestBatch:])
			return
		}
	}
}

// send posts m for the alerts it carries and records the outcome. It
// returns the message ts ("" when the alerts failed permanently) and
// false when delivery to this channel should stop for this pass.
func (o *Outbox) send(ctx context.Context, ch string, alerts []store.Alert, m Message) (string, bool) {
	for {
		if ctx.Err() != nil {
			return "", false
		}
		o.pace(ctx, ch)
		at := o.Clock.Now()
		for _, a := range alerts {
			if err := o.Store.MarkAlertAttempt(record(ctx), a.ID, at); err != nil {
				o.Logger.Error("recording a send attempt", "alert", a.ID, "err", err)
				return "", false
			}
		}
		ts, err := o.Sender.Post(ctx, ch, m)
		now := o.Clock.Now()
		if err == nil {
			for _, a := range alerts {
				d := store.Delivery{TS: ts, ThreadTS: m.ThreadTS, Digest: len(alerts) > 1}
				if err := o.Store.MarkAlertDelivered(record(ctx), a.ID, d, now); err != nil {
					o.Logger.Error("recording a delivered alert", "alert", a.ID, "err", err)
				}
			}
			o.delivered(len(alerts))
			return ts, true
		}
		var se *SendError
		if !errors.As(err, &se) {
			se = &SendError{Kind: Transient, Err: err}
		}
		switch se.Kind {
		case RateLimited:
			// Wait as asked and send again: a rate limit never drops an alert.
			wait := max(se.RetryAfter, o.Pace)
			o.Logger.Info("rate limited; waiting", "channel", ch, "retry_after", wait)
			o.sleep(ctx, wait)
			continue
		case Permanent:
			for _, a := range alerts {
				o.Logger.Error("ALERT NOT DELIVERED: Slack refused it and retrying cannot help; the alert is kept as failed",
					"alert", a.ID, "channel", ch, "err", err)
				if err := o.Store.MarkAlertFailed(record(ctx), a.ID, err.Error(), now); err != nil {
					o.Logger.Error("recording a failed alert", "alert", a.ID, "err", err)
				}
			}
			if o.OnFailed != nil {
				o.OnFailed(len(alerts))
			}
			return "", true
		default:
			next := now.Add(crawler.Backoff(alerts[0].Attempts+1, time.Second, 5*time.Minute, o.Rand))
			o.Logger.Warn("alert delivery failed; will retry", "channel", ch, "alerts", len(alerts), "err", err, "next_try", next)
			for _, a := range alerts {
				if err := o.Store.MarkAlertRetry(record(ctx), a.ID, err.Error(), next); err != nil {
					o.Logger.Error("recording an alert retry", "alert", a.ID, "err", err)
				}
			}
			return "", false
		}
	}
}

func (o *Outbox) delivered(n int) {
	if o.OnDelivered != nil {
		o.OnDelivered(n)
	}
}

// pace waits until the channel's last message is Pace old.
func (o *Outbox) pace(ctx context.Context, ch string) {
	o.mu.Lock()
	wait := o.lastSend[ch].Add(o.Pace).Sub(o.Clock.Now())
	o.mu.Unlock()
	if wait > 0 {
		o.sleep(ctx, wait)
	}
	o.mu.Lock()
	o.lastSend[ch] = o.Clock.Now()
	o.mu.Unlock()
}

func (o *Outbox) sleep(ctx context.Context, d time.Duration) {
	t := o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// SourceFailing tells the default channel that a source keeps failing.
// It is best effort: the failure is also logged and counted.
func (o *Outbox) SourceFailing(ctx context.Context, channel, source, detail string, failures int) {
	o.init()
	lock := o.channelLock(channel)
	lock.Lock()
	defer lock.Unlock()
	o.pace(ctx, channel)
	if _, err := o.Sender.Post(ctx, channel, Health(source, detail, failures)); err != nil {
		o.Logger.Warn("could not post the source-health alert", "source", source, "err", err)
	}
}
