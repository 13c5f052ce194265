package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/store"
)

// VerdictStore is what recording a verdict needs of the store.
type VerdictStore interface {
	SetVerdict(ctx context.Context, findingID int64, v store.Verdict) error
	FindingByID(ctx context.Context, id int64) (store.StoredFinding, error)
}

// Verdicts records staff's verdicts from the alert buttons ("Confirm",
// "False positive", "Acknowledge"), with the Slack user and time, and
// edits the alert to show who decided what.
type Verdicts struct {
	Store  VerdictStore
	Sender Sender
	Clock  clock.Clock
	Logger *slog.Logger
}

var verdictActions = map[string]bool{ActionConfirm: true, ActionFalsePositive: true, ActionAcknowledge: true}

// Handle processes one interaction; actions that are not verdicts are
// ignored.
func (v *Verdicts) Handle(ctx context.Context, cb slack.InteractionCallback) error {
	for _, act := range cb.ActionCallback.BlockActions {
		if act.BlockID != verdictBlockID || !verdictActions[act.ActionID] {
			continue
		}
		id, err := strconv.ParseInt(act.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("notify: verdict button with value %q: %w", act.Value, err)
		}
		verdict := store.Verdict{Verdict: act.ActionID, User: cb.User.ID, At: v.Clock.Now()}
		if err := v.Store.SetVerdict(ctx, id, verdict); err != nil {
			return err
		}
		sf, err := v.Store.FindingByID(ctx, id)
		if err != nil {
			return err
		}
		v.Logger.Info("verdict recorded", "finding", id, "verdict", verdict.Verdict, "user", verdict.User)
		m := Alert(&sf, true, &verdict, nil)
		if err := v.Sender.Update(ctx, cb.Channel.ID, cb.Message.Timestamp, m); err != nil {
			return fmt.Errorf("notify: showing the verdict on the alert: %w", err)
		}
	}
	return nil
}

// RunSocketMode connects to Slack with the app-level token (no public URL
// needed) and handles button presses until ctx is cancelled.
func RunSocketMode(ctx context.Context, appToken config.Secret, bot *Slack, handler *Verdicts, apiURL string, logger *slog.Logger) error {
	opts := []slack.Option{slack.OptionAppLevelToken(appToken.Reveal())}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(withSlash(apiURL)))
	}
	api := slack.New(bot.token.Reveal(), opts...)
	client := socketmode.New(api)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				switch evt.Type {
				case socketmode.EventTypeConnected:
					logger.Info("Socket Mode connected: verdict buttons active")
				case socketmode.EventTypeInteractive:
					if evt.Request != nil {
						client.Ack(*evt.Request)
					}
					if cb, ok := evt.Data.(slack.InteractionCallback); ok {
						if err := handler.Handle(ctx, cb); err != nil {
							logger.Error("handling a verdict", "err", scrub(err, appToken, bot.token))
						}
					}
				}
			}
		}
	}()
	if err := client.RunContext(ctx); err != nil && ctx.Err() == nil {
		return scrub(err, appToken, bot.token)
	}
	return nil
}

func withSlash(u string) string {
	if u != "" && u[len(u)-1] != '/' {
		return u + "/"
	}
	return u
}
