package monitor

import (
	"context"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
)

// deliverLoop delivers due alerts until ctx is cancelled. An alert is
// marked sent only after the notifier accepted it; a retryable failure is
// tried again after a backoff, a permanent one is kept as failed.
func (m *Monitor) deliverLoop(ctx context.Context) {
	for {
		m.deliverDue(ctx)
		t := m.opts.Clock.NewTimer(m.opts.OutboxEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			// One last pass, so alerts found just before shutdown go out.
			drain, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			m.deliverDue(drain)
			cancel()
			return
		case <-m.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

func (m *Monitor) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		now := m.opts.Clock.Now()
		due, err := m.opts.Store.DueAlerts(ctx, now, 100)
		if err != nil {
			m.opts.Logger.Error("reading the outbox", "err", err)
			return
		}
		m.opts.Metrics.outboxPending.Set(float64(len(due)))
		if len(due) == 0 {
			return
		}
		// Once the notifier has answered, its answer is recorded whatever
		// happens to ctx: an alert delivered but not marked sent would be
		// delivered again.
		record := context.WithoutCancel(ctx)
		for _, a := range due {
			if ctx.Err() != nil {
				return
			}
			id, retry, err := m.opts.Notifier.Deliver(ctx, a)
			at := m.opts.Clock.Now()
			switch {
			case err == nil:
				if err := m.opts.Store.MarkAlertSent(record, a.ID, id, at); err != nil {
					m.opts.Logger.Error("recording a delivered alert", "alert", a.ID, "err", err)
					return
				}
				m.opts.Metrics.alertsSent.Inc()
			case retry:
				next := at.Add(crawler.Backoff(a.Attempts+1, time.Second, 5*time.Minute, m.opts.Rand))
				m.opts.Logger.Warn("alert delivery failed; will retry", "alert", a.ID, "channel", a.Channel, "err", err, "next_try", next)
				if err := m.opts.Store.MarkAlertRetry(record, a.ID, err.Error(), next); err != nil {
					m.opts.Logger.Error("recording an alert retry", "alert", a.ID, "err", err)
					return
				}
			default:
				m.opts.Logger.Error("ALERT NOT DELIVERED: permanent failure; the alert is kept as failed", "alert", a.ID, "channel", a.Channel, "err", err)
				m.opts.Metrics.alertsFailed.Inc()
				if err := m.opts.Store.MarkAlertFailed(record, a.ID, err.Error(), at); err != nil {
					m.opts.Logger.Error("recording a failed alert", "alert", a.ID, "err", err)
					return
				}
			}
		}
	}
}
