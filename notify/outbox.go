package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/silencewatch/silencewatch/backoff"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/store"
)

// OutboxStore is what delivery needs of the store.
type OutboxStore interface {
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]store.Alert, error)
	MarkAlertAttemptIn(ctx context.Context, id int64, threadTS string, at time.Time) error
	MarkAlertDelivered(ctx context.Context, id int64, d store.Delivery, at time.Time) error
	MarkAlertRetry(ctx context.Context, id int64, errText string, next time.Time) error
	MarkAlertFailed(ctx context.Context, id int64, errText string, at time.Time) error
	ThreadRoot(ctx context.Context, channel string, findingID, alertID int64) (store.Thread, bool, error)
	ThreadSources(ctx context.Context, channel, rootTS string) ([]string, error)
	Verdict(ctx context.Context, findingID int64) (store.Verdict, bool, error)
	PendingRefreshes(ctx context.Context) ([]store.Alert, error)
	MarkRefreshed(ctx context.Context, id, seq int64) error
	OpenDigest(ctx context.Context, channel string) (store.Digest, bool, error)
	StartDigest(ctx context.Context, channel string, waiting int, at time.Time) (int64, error)
	RetryDigest(ctx context.Context, id int64, at time.Time) error
	MarkDigestPosted(ctx context.Context, id int64, ts string, at time.Time) error
	CloseDigest(ctx context.Context, channel string, at time.Time) error
}

// historyMargin widens every look back in a channel before an attempt's
// time: our clock and Slack's may differ. Message keys are unique, so a
// wider look finds nothing it should not.
const historyMargin = time.Minute

// Outbox delivers the alerts queued in the store: exactly once per
// finding and channel, paced per channel, in threads for follow-ups and
// syndicated copies, and in digests when a channel is flooded. Nothing is
// dropped: a rate limit is waited out, a transient failure retried with
// backoff, a permanent one kept as failed and logged loudly. Every ts a
// later step depends on (an alert's, a digest summary's) is in the store
// before that step, and every attempt is recorded before it starts, so
// that after a crash the attempt is looked for in the channel, or in its
// thread, instead of posted twice.
type Outbox struct {
	Store  OutboxStore
	Sender Sender
	Clock  clock.Clock
	Logger *slog.Logger
	// Pace is the minimum gap between Slack's answer to one message and
	// the next message to the same channel (Slack allows about one per
	// second).
	Pace            time.Duration
	DigestThreshold int
	DigestInterval  time.Duration
	DigestBatch     int
	Interactive     bool // add verdict buttons to alerts
	// OnDelivered and OnFailed count outcomes (metrics); optional.
	OnDelivered func(n int)
	OnFailed    func(n int)
	// Metrics counts failed steps; optional.
	Metrics *Metrics
	Rand    func() float64

	mu         sync.Mutex
	lastAnswer map[string]time.Time
	holds      map[string]hold // channels backing off after a failed look or edit
	wake       chan struct{}
	channelsMu map[string]*sync.Mutex // one delivery at a time per channel
}

// hold is a channel's backoff: no delivery to it before until.
type hold struct {
	fails int
	until time.Time
}

func (o *Outbox) init() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastAnswer == nil {
		o.lastAnswer, o.holds = map[string]time.Time{}, map[string]hold{}
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

// DeliverDue makes one pass over the due alerts and the alerts waiting
// for an edit, channels in parallel.
func (o *Outbox) DeliverDue(ctx context.Context) {
	o.init()
	due, err := o.Store.DueAlerts(ctx, o.Clock.Now(), 0)
	if err != nil {
		if ctx.Err() == nil {
			o.Logger.Error("reading the outbox", "err", err)
			o.Metrics.storeError(err)
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
	stale, err := o.Store.PendingRefreshes(ctx)
	if err != nil && ctx.Err() == nil {
		o.Logger.Error("reading the alerts waiting for an edit", "err", err)
		o.Metrics.storeError(err)
	}
	for _, a := range stale {
		if _, ok := byChannel[a.Channel]; !ok {
			order = append(order, a.Channel)
			byChannel[a.Channel] = nil
		}
	}
	var wg sync.WaitGroup
	for _, ch := range order {
		wg.Go(func() {
			lock := o.channelLock(ch)
			lock.Lock()
			defer lock.Unlock()
			o.deliverChannel(ctx, ch, byChannel[ch])
		})
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

func ids(alerts []store.Alert) []int64 {
	out := make([]int64, len(alerts))
	for i, a := range alerts {
		out[i] = a.ID
	}
	return out
}

func findingIDs(alerts []store.Alert) []int64 {
	out := make([]int64, len(alerts))
	for i, a := range alerts {
		out[i] = a.FindingID
	}
	return out
}

func asSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Kind: Transient, Err: err}
}

func (o *Outbox) deliverChannel(ctx context.Context, ch string, alerts []store.Alert) {
	if !o.ready(ch) {
		return
	}
	alerts, ok := o.reconcile(ctx, ch, alerts)
	if !ok {
		return
	}
	// A laundering alert is never folded into a digest line: in a flood
	// it is the message that matters most. It goes first, on its own.
	rest := alerts[:0:0]
	for _, a := range alerts {
		if !Laundering(a.Kind) {
			rest = append(rest, a)
		} else if !o.single(ctx, ch, a) {
			return
		}
	}
	alerts = rest
	if len(alerts) > 0 {
		d, open, err := o.Store.OpenDigest(ctx, ch)
		if err != nil {
			o.Logger.Error("reading the channel's digest", "channel", ch, "alerts", ids(alerts), "err", err)
			o.Metrics.storeError(err)
			return
		}
		switch {
		case len(alerts) > o.DigestThreshold || (open && len(alerts) > 1) || (open && d.TS == ""):
			// A summary whose outcome is unknown stays in digest mode: it
			// is looked for, and its thread filled, before anything else.
			if !o.digest(ctx, ch, alerts, d, open) {
				return
			}
		default:
			if open {
				if err := o.Store.CloseDigest(record(ctx), ch, o.Clock.Now()); err != nil {
					o.Logger.Error("recording that the flood drained", "channel", ch, "err", err)
					o.Metrics.storeError(err)
					return
				}
			}
			for _, a := range alerts {
				if !o.single(ctx, ch, a) {
					return
				}
			}
		}
	}
	o.refresh(ctx, ch)
}

// ready reports whether the channel is out of its backoff.
func (o *Outbox) ready(ch string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.Clock.Now().Before(o.holds[ch].until)
}

// backOff holds the channel after a failed step (a look in its history,
// an edit, a digest summary): exponentially longer each time, at least
// Retry-After, at most five minutes. It returns the wait.
func (o *Outbox) backOff(ch string, err error) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	h := o.holds[ch]
	h.fails++
	wait := backoff.Delay(h.fails, time.Second, 5*time.Minute, o.Rand)
	if se := asSendError(err); se.Kind == RateLimited && se.RetryAfter > wait {
		wait = se.RetryAfter
	}
	h.until = o.Clock.Now().Add(wait)
	o.holds[ch] = h
	return wait
}

func (o *Outbox) backOffOver(ch string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.holds, ch)
}

// look lists what silencewatch posted in the channel (threadTS "") or in a
// thread since an attempt. ok false: the channel is held back and the
// pass must stop; posted nil with ok: nothing can be seen, send again.
func (o *Outbox) look(ctx context.Context, ch, threadTS string, since time.Time, what string, alertIDs []int64) (posted []Posted, ok bool) {
	posted, err := o.Sender.Recent(ctx, ch, threadTS, since.Add(-historyMargin))
	if err == nil {
		return posted, true
	}
	o.Metrics.deliveryError("history", err)
	se := asSendError(err)
	switch {
	case errors.Is(err, ErrCannotLook):
		o.Logger.Warn("cannot check whether earlier attempts reached the channel; they are sent again and may show twice",
			"channel", ch, "what", what, "alerts", alertIDs)
		return nil, true
	case se.Kind == Permanent:
		// Holding the alerts until the history can be read could mean
		// never: a duplicate is better than a lost alert.
		o.Logger.Error("cannot read the channel's history to check earlier attempts (give the bot channels:history and groups:history, and invite it to the channel); sending them again, they may show twice",
			"channel", ch, "thread", threadTS, "what", what, "alerts", alertIDs, "err", err)
		return nil, true
	}
	wait := o.backOff(ch, err)
	o.Logger.Warn("checking earlier attempts failed; will check again", "channel", ch, "thread", threadTS,
		"what", what, "alerts", alertIDs, "err", err, "retry_in", wait)
	return nil, false
}

// reconcile finds alerts whose earlier attempt may have reached Slack
// although its answer was lost (a timeout, a crash), in the channel or in
// the thread the attempt was posted under, and records them as delivered
// instead of posting them again. It returns the rest, and false when the
// channel must wait (Slack could not be read).
func (o *Outbox) reconcile(ctx context.Context, ch string, alerts []store.Alert) ([]store.Alert, bool) {
	since := map[string]time.Time{} // thread ("" for the channel) → earliest attempt
	byThread := map[string][]int64{}
	for _, a := range alerts {
		if a.AttemptAt.IsZero() {
			continue
		}
		th := a.AttemptThreadTS
		if cur, ok := since[th]; !ok || a.AttemptAt.Before(cur) {
			since[th] = a.AttemptAt
		}
		byThread[th] = append(byThread[th], a.ID)
	}
	if len(since) == 0 {
		return alerts, true
	}
	threads := make([]string, 0, len(since))
	for th := range since {
		threads = append(threads, th)
	}
	slices.Sort(threads)
	found := map[int64]Posted{}
	for _, th := range threads {
		posted, ok := o.look(ctx, ch, th, since[th], "alerts", byThread[th])
		if !ok {
			return nil, false
		}
		for _, p := range posted {
			for _, id := range p.AlertIDs {
				found[id] = p
			}
		}
	}
	o.backOffOver(ch)
	var rest []store.Alert
	for _, a := range alerts {
		p, ok := found[a.ID]
		if !ok {
			rest = append(rest, a)
			continue
		}
		d := store.Delivery{TS: p.TS, ThreadTS: p.ThreadTS, Digest: strings.HasPrefix(p.Key, "batch:")}
		if p.ThreadTS != "" && !d.Digest {
			d.RefreshRoot = o.staleRoot(ctx, ch, a, p.ThreadTS)
		}
		if err := o.Store.MarkAlertDelivered(record(ctx), a.ID, d, o.Clock.Now()); err != nil {
			o.Logger.Error("recording an alert found in the channel; will look again", "alert", a.ID, "finding", a.FindingID, "err", err)
			o.Metrics.storeError(err)
			return nil, false
		}
		o.Logger.Info("alert had reached the channel although its answer was lost; not posting it again",
			"alert", a.ID, "finding", a.FindingID, "channel", ch, "ts", p.TS, "thread", p.ThreadTS)
		o.delivered(1)
	}
	return rest, true
}

// staleRoot returns the root alert a reply found in thread threadTS makes
// stale (a syndicated copy changes its outlet count), 0 for none.
func (o *Outbox) staleRoot(ctx context.Context, ch string, a store.Alert, threadTS string) int64 {
	if a.Kind != "" && a.Kind != "finding" {
		return 0
	}
	th, ok, err := o.Store.ThreadRoot(ctx, ch, a.FindingID, a.ID)
	if err != nil {
		o.Logger.Error("looking up the alert's thread", "alert", a.ID, "finding", a.FindingID, "err", err)
		o.Metrics.storeError(err)
		return 0
	}
	if !ok || th.SameArticle || th.RootTS != threadTS {
		return 0
	}
	return th.RootAlertID
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
			o.Logger.Error("looking up the alert's thread", "alert", a.ID, "finding", a.FindingID, "err", err)
			o.Metrics.storeError(err)
			return false
		}
	}
	d := store.Delivery{}
	switch {
	case a.Kind != "" && a.Kind != "finding":
		m = ArticleEvent(&a)
		if threaded && !Laundering(a.Kind) {
			m.ThreadTS = th.RootTS
		}
	case threaded:
		m = FollowUp(&a.Finding, th)
		m.ThreadTS = th.RootTS
		if !th.SameArticle {
			d.RefreshRoot = th.RootAlertID // "same story at N outlets"
		}
	default:
		m = Alert(&a.Finding, o.Interactive, nil, nil)
	}
	m.Key = alertKey(a.ID)
	d.ThreadTS = m.ThreadTS
	_, ok := o.send(ctx, ch, []store.Alert{a}, m, d)
	return ok
}

// refresh edits the channel's sent alerts marked stale: the outlet count
// of a syndicated story, a verdict. A rate limit is waited out and the
// edit sent again; a transient failure leaves it marked, for a later pass.
func (o *Outbox) refresh(ctx context.Context, ch string) {
	stale, err := o.Store.PendingRefreshes(ctx)
	if err != nil {
		if ctx.Err() == nil {
			o.Logger.Error("reading the alerts waiting for an edit", "channel", ch, "err", err)
			o.Metrics.storeError(err)
		}
		return
	}
	for _, root := range stale {
		if root.Channel != ch {
			continue
		}
		outlets, err := o.Store.ThreadSources(ctx, ch, root.MessageTS)
		if err != nil {
			o.Logger.Error("counting the story's outlets", "alert", root.ID, "finding", root.FindingID, "err", err)
			o.Metrics.storeError(err)
			return
		}
		var verdict *store.Verdict
		v, found, err := o.Store.Verdict(ctx, root.FindingID)
		if err != nil {
			o.Logger.Error("reading the finding's verdict", "alert", root.ID, "finding", root.FindingID, "err", err)
			o.Metrics.storeError(err)
			return
		}
		if found {
			verdict = &v
		}
		m := Alert(&root.Finding, o.Interactive, verdict, outlets)
		m.Key = alertKey(root.ID)
	edit:
		for {
			if ctx.Err() != nil {
				return
			}
			o.pace(ctx, ch)
			err := o.Sender.Update(ctx, ch, root.MessageTS, m)
			o.answered(ch)
			if err == nil {
				if err := o.Store.MarkRefreshed(record(ctx), root.ID, root.RefreshSeq); err != nil {
					o.Logger.Error("recording an edited alert; it will be edited again", "alert", root.ID, "finding", root.FindingID, "err", err)
					o.Metrics.storeError(err)
				}
				break
			}
			o.Metrics.deliveryError("update", err)
			se := asSendError(err)
			switch se.Kind {
			case RateLimited:
				wait := max(se.RetryAfter, o.Pace)
				o.Logger.Info("edit rate limited; waiting", "channel", ch, "alert", root.ID, "finding", root.FindingID, "retry_after", wait)
				o.sleep(ctx, wait)
			case Permanent:
				o.Logger.Error("cannot edit the alert; its outlet count or verdict stays as it was", "channel", ch,
					"alert", root.ID, "finding", root.FindingID, "ts", root.MessageTS, "err", err)
				if err := o.Store.MarkRefreshed(record(ctx), root.ID, root.RefreshSeq); err != nil {
					o.Logger.Error("recording an edit given up", "alert", root.ID, "finding", root.FindingID, "err", err)
					o.Metrics.storeError(err)
				}
				break edit
			default:
				wait := o.backOff(ch, err)
				o.Logger.Warn("editing the alert failed; will retry", "channel", ch, "alert", root.ID, "finding", root.FindingID, "err", err, "retry_in", wait)
				return
			}
		}
	}
}

func digestKey(id int64) string { return fmt.Sprintf("digest:%d", id) }

// digest posts (at most once per interval) a summary of the backlog, then
// lists every waiting finding in its thread, DigestBatch per message. d is
// the channel's open digest when open. It returns false when the channel
// should be left for this pass.
func (o *Outbox) digest(ctx context.Context, ch string, alerts []store.Alert, d store.Digest, open bool) bool {
	threads := o.Sender.Threads()
	if open && d.TS == "" {
		// The summary's answer was lost: it may be in the channel.
		posted, ok := o.look(ctx, ch, "", d.AttemptAt, digestKey(d.ID), nil)
		if !ok {
			return false
		}
		for _, p := range posted {
			if p.Key == digestKey(d.ID) {
				if err := o.Store.MarkDigestPosted(record(ctx), d.ID, p.TS, o.Clock.Now()); err != nil {
					o.Logger.Error("recording a digest summary found in the channel", "channel", ch, "digest", d.ID, "err", err)
					o.Metrics.storeError(err)
					return false
				}
				o.Logger.Info("digest summary had reached the channel although its answer was lost; not posting it again", "channel", ch, "digest", d.ID, "ts", p.TS)
				d.TS, d.PostedAt = p.TS, o.Clock.Now()
				break
			}
		}
	}
	if !open || d.TS == "" || o.Clock.Now().Sub(d.PostedAt) >= o.DigestInterval || !threads {
		var ok bool
		if d, ok = o.summary(ctx, ch, alerts, d, open && d.TS == ""); !ok {
			return false
		}
	}
	for start := 0; start < len(alerts); start += o.DigestBatch {
		batch := alerts[start:min(start+o.DigestBatch, len(alerts))]
		m := DigestBatch(batch)
		m.Key = batchKey(ids(batch))
		if threads {
			m.ThreadTS = d.TS
		}
		if _, ok := o.send(ctx, ch, batch, m, store.Delivery{ThreadTS: m.ThreadTS, Digest: true}); !ok {
			return false
		}
		if o.Clock.Now().Sub(d.PostedAt) >= o.DigestInterval && start+o.DigestBatch < len(alerts) {
			// The flood goes on: a fresh summary of what is left.
			return o.digest(ctx, ch, alerts[start+o.DigestBatch:], d, true)
		}
	}
	return true
}

// summary posts a digest summary, recorded before it is posted and its ts
// after; again reuses d (whose earlier attempt was not found in Slack).
// A summary Slack refuses for good leaves the findings to be listed at
// the channel's top level.
func (o *Outbox) summary(ctx context.Context, ch string, alerts []store.Alert, d store.Digest, again bool) (store.Digest, bool) {
	now := o.Clock.Now()
	if again {
		if err := o.Store.RetryDigest(record(ctx), d.ID, now); err != nil {
			o.Logger.Error("recording a digest attempt", "channel", ch, "digest", d.ID, "err", err)
			o.Metrics.storeError(err)
			return d, false
		}
		d.AttemptAt = now
	} else {
		id, err := o.Store.StartDigest(record(ctx), ch, len(alerts), now)
		if err != nil {
			o.Logger.Error("recording a digest attempt", "channel", ch, "alerts", len(alerts), "err", err)
			o.Metrics.storeError(err)
			return d, false
		}
		d = store.Digest{ID: id, Channel: ch, Waiting: len(alerts), AttemptAt: now}
	}
	m := Digest(ch, alerts, o.DigestBatch)
	m.Key = digestKey(d.ID)
	for {
		if ctx.Err() != nil {
			return d, false
		}
		o.pace(ctx, ch)
		ts, err := o.Sender.Post(ctx, ch, m)
		o.answered(ch)
		if err == nil {
			if err := o.Store.MarkDigestPosted(record(ctx), d.ID, ts, o.Clock.Now()); err != nil {
				// The next pass finds the summary in the channel by its key.
				o.Logger.Error("recording a posted digest summary", "channel", ch, "digest", d.ID, "ts", ts, "err", err)
				o.Metrics.storeError(err)
				return d, false
			}
			d.TS, d.PostedAt = ts, o.Clock.Now()
			o.Logger.Info("channel flooded: digest mode", "channel", ch, "digest", d.ID, "waiting", len(alerts))
			return d, true
		}
		o.Metrics.deliveryError("digest", err)
		se := asSendError(err)
		switch se.Kind {
		case RateLimited:
			wait := max(se.RetryAfter, o.Pace)
			o.Logger.Info("rate limited; waiting", "channel", ch, "digest", d.ID, "retry_after", wait)
			o.sleep(ctx, wait)
		case Permanent:
			o.Logger.Error("Slack refused the digest summary; listing the findings at the channel's top level", "channel", ch, "digest", d.ID, "err", err)
			if err := o.Store.CloseDigest(record(ctx), ch, o.Clock.Now()); err != nil {
				o.Metrics.storeError(err)
				o.Logger.Error("closing a refused digest", "channel", ch, "digest", d.ID, "err", err)
				return d, false
			}
			d.TS = ""
			return d, true
		default:
			wait := o.backOff(ch, err)
			o.Logger.Warn("posting a digest summary failed; will look for it and retry", "channel", ch, "digest", d.ID,
				"alerts", len(alerts), "err", err, "retry_in", wait)
			return d, false
		}
	}
}

// send posts m for the alerts it carries and records the outcome; d says
// where (ThreadTS), whether as a digest line, and which root it makes
// stale. It returns the message ts ("" when the alerts failed
// permanently) and false when delivery to this channel should stop for
// this pass (Slack is failing, or the outcome could not be recorded: the
// next pass finds the message in the channel).
func (o *Outbox) send(ctx context.Context, ch string, alerts []store.Alert, m Message, d store.Delivery) (string, bool) {
	for {
		if ctx.Err() != nil {
			return "", false
		}
		o.pace(ctx, ch)
		if ctx.Err() != nil {
			return "", false
		}
		at := o.Clock.Now()
		for _, a := range alerts {
			if err := o.Store.MarkAlertAttemptIn(record(ctx), a.ID, m.ThreadTS, at); err != nil {
				o.Logger.Error("recording a send attempt", "alert", a.ID, "finding", a.FindingID, "err", err)
				o.Metrics.storeError(err)
				return "", false
			}
		}
		ts, err := o.Sender.Post(ctx, ch, m)
		o.answered(ch)
		now := o.Clock.Now()
		if err == nil {
			recorded := 0
			for i, a := range alerts {
				dd := d
				dd.TS = ts
				if i > 0 {
					dd.RefreshRoot = 0
				}
				if err := o.Store.MarkAlertDelivered(record(ctx), a.ID, dd, now); err != nil {
					o.Logger.Error("recording a delivered alert; the next pass finds it in the channel", "alert", a.ID, "finding", a.FindingID, "ts", ts, "err", err)
					o.Metrics.storeError(err)
					continue
				}
				recorded++
			}
			o.delivered(recorded)
			if recorded < len(alerts) {
				return "", false
			}
			return ts, true
		}
		o.Metrics.deliveryError("post", err)
		se := asSendError(err)
		switch se.Kind {
		case RateLimited:
			// Wait as asked and send again: a rate limit never drops an alert.
			wait := max(se.RetryAfter, o.Pace)
			o.Logger.Info("rate limited; waiting", "channel", ch, "alerts", ids(alerts), "retry_after", wait)
			o.sleep(ctx, wait)
			continue
		case Permanent:
			for _, a := range alerts {
				o.Logger.Error("ALERT NOT DELIVERED: Slack refused it and retrying cannot help; the alert is kept as failed",
					"alert", a.ID, "finding", a.FindingID, "channel", ch, "err", err)
				if err := o.Store.MarkAlertFailed(record(ctx), a.ID, err.Error(), now); err != nil {
					o.Logger.Error("recording a failed alert", "alert", a.ID, "finding", a.FindingID, "err", err)
					o.Metrics.storeError(err)
				}
			}
			if o.OnFailed != nil {
				o.OnFailed(len(alerts))
			}
			return "", true
		default:
			next := now.Add(backoff.Delay(alerts[0].Attempts+1, time.Second, 5*time.Minute, o.Rand))
			o.Logger.Warn("alert delivery failed; will retry", "channel", ch, "alerts", ids(alerts), "findings", findingIDs(alerts),
				"err", err, "next_try", next)
			for _, a := range alerts {
				if err := o.Store.MarkAlertRetry(record(ctx), a.ID, err.Error(), next); err != nil {
					o.Logger.Error("recording an alert retry", "alert", a.ID, "finding", a.FindingID, "err", err)
					o.Metrics.storeError(err)
				}
			}
			return "", false
		}
	}
}

func (o *Outbox) delivered(n int) {
	if o.OnDelivered != nil && n > 0 {
		o.OnDelivered(n)
	}
}

// pace waits until Slack's answer to the channel's last message is Pace
// old: Slack counts from when it received a message, so counting from
// the answer keeps a gap of at least Pace on its side too.
func (o *Outbox) pace(ctx context.Context, ch string) {
	o.mu.Lock()
	wait := o.lastAnswer[ch].Add(o.Pace).Sub(o.Clock.Now())
	o.mu.Unlock()
	if wait > 0 {
		o.sleep(ctx, wait)
	}
}

// answered starts the channel's pace timer: Slack just answered.
func (o *Outbox) answered(ch string) {
	o.mu.Lock()
	o.lastAnswer[ch] = o.Clock.Now()
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
// It is best effort: a rate limit is waited out (three times at most),
// any other failure logged and counted.
func (o *Outbox) SourceFailing(ctx context.Context, channel, source, detail string, failures int) {
	o.init()
	lock := o.channelLock(channel)
	lock.Lock()
	defer lock.Unlock()
	for try := 1; ; try++ {
		o.pace(ctx, channel)
		_, err := o.Sender.Post(ctx, channel, Health(source, detail, failures))
		o.answered(channel)
		if err == nil {
			return
		}
		o.Metrics.deliveryError("health", err)
		if se := asSendError(err); se.Kind == RateLimited && try < 3 && ctx.Err() == nil {
			o.sleep(ctx, max(se.RetryAfter, o.Pace))
			continue
		}
		o.Logger.Warn("could not post the source-health alert", "channel", channel, "source", source, "err", err)
		return
	}
}
