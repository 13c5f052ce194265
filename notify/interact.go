package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/silencewatch/silencewatch/backoff"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/store"
)

// VerdictStore is what recording a verdict needs of the store.
type VerdictStore interface {
	// SetVerdict appends to the finding's verdict history; the latest
	// verdict is what alerts and exports show.
	SetVerdict(ctx context.Context, findingID int64, v store.Verdict) error
	// RefreshFinding marks the finding's alerts for an edit.
	RefreshFinding(ctx context.Context, findingID int64) (int, error)
}

// Responder tells one user something only they see.
type Responder interface {
	Ephemeral(ctx context.Context, channelID, user, text string) error
}

// Verdicts records staff's verdicts from the alert buttons ("Confirm",
// "False positive", "Acknowledge") with the Slack user, their team and the
// time, keeping every verdict; the alert is then edited (by the outbox,
// paced and retried like any edit) to show the latest. With an allow-list
// only the users it names, or members of the user groups it names, may
// record a verdict; anyone else gets an ephemeral reply saying why.
type Verdicts struct {
	Store VerdictStore
	Reply Responder  // for refusals; *Slack
	Allow *AllowList // nil: whoever can see the alert
	// Wake asks the outbox to edit the alert now; optional.
	Wake    func()
	Clock   clock.Clock
	Logger  *slog.Logger
	Metrics *Metrics
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
			v.Metrics.verdict("error")
			return fmt.Errorf("notify: verdict button with value %q: %w", act.Value, err)
		}
		user, team := cb.User.ID, cb.User.TeamID
		if team == "" {
			team = cb.Team.ID
		}
		log := v.Logger.With("finding", id, "verdict", act.ActionID, "user", user, "team", team, "channel", cb.Channel.ID)
		if v.Allow != nil {
			ok, err := v.Allow.Permits(ctx, user)
			if !ok {
				v.refuse(ctx, log, cb.Channel.ID, user, err)
				continue
			}
		}
		verdict := store.Verdict{Verdict: act.ActionID, User: user, Team: team, At: v.Clock.Now()}
		if err := v.Store.SetVerdict(ctx, id, verdict); err != nil {
			v.Metrics.verdict("error")
			return err
		}
		v.Metrics.verdict("recorded")
		log.Info("verdict recorded")
		if _, err := v.Store.RefreshFinding(ctx, id); err != nil {
			v.Metrics.storeError(err)
			return fmt.Errorf("notify: showing the verdict on the alert: %w", err)
		}
		if v.Wake != nil {
			v.Wake()
		}
	}
	return nil
}

func (v *Verdicts) refuse(ctx context.Context, log *slog.Logger, channelID, user string, checkErr error) {
	v.Metrics.verdict("refused")
	why := "only the people and user groups listed in silencewatch's slack.verdict_allow may record verdicts on alerts."
	if checkErr != nil {
		why = "your membership of the user groups allowed to record verdicts could not be checked; try again in a minute."
		log = log.With("err", checkErr)
	}
	log.Warn("verdict refused: user not allowed", "reason", why)
	if v.Reply == nil {
		return
	}
	if err := v.Reply.Ephemeral(ctx, channelID, user, "Your verdict was not recorded: "+why); err != nil {
		v.Metrics.deliveryError("verdict", err)
		log.Error("telling the user their verdict was refused", "reply_err", err)
	}
}

// AllowList is who may record verdicts: user ids (U…, W…) and the members
// of user groups (S…), fetched with usergroups.users.list and cached for
// TTL.
type AllowList struct {
	users  map[string]bool
	groups []string
	// Members lists a group's members; *Slack.GroupMembers.
	Members func(ctx context.Context, group string) ([]string, error)
	TTL     time.Duration
	Clock   clock.Clock

	mu    sync.Mutex
	cache map[string]cachedGroup
}

type cachedGroup struct {
	members map[string]bool
	at      time.Time
}

// DefaultGroupTTL is how long a user group's membership is trusted.
const DefaultGroupTTL = 5 * time.Minute

// NewAllowList makes an allow-list of user and user-group ids; nil when
// ids is empty (no restriction).
func NewAllowList(ids []string, members func(ctx context.Context, group string) ([]string, error), clk clock.Clock) *AllowList {
	if len(ids) == 0 {
		return nil
	}
	a := &AllowList{users: map[string]bool{}, Members: members, TTL: DefaultGroupTTL, Clock: clk, cache: map[string]cachedGroup{}}
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			a.groups = append(a.groups, id)
		} else {
			a.users[id] = true
		}
	}
	slices.Sort(a.groups)
	return a
}

// Permits reports whether user may record a verdict. A group whose
// members cannot be fetched counts with its last known members, if any;
// err says why a user was refused when a group could not be checked.
func (a *AllowList) Permits(ctx context.Context, user string) (bool, error) {
	if a.users[user] {
		return true, nil
	}
	var firstErr error
	for _, g := range a.groups {
		members, err := a.members(ctx, g)
		if members[user] {
			return true, nil
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return false, firstErr
}

func (a *AllowList) members(ctx context.Context, group string) (map[string]bool, error) {
	now := a.Clock.Now()
	a.mu.Lock()
	c, ok := a.cache[group]
	a.mu.Unlock()
	if ok && now.Sub(c.at) < a.TTL {
		return c.members, nil
	}
	list, err := a.Members(ctx, group)
	if err != nil {
		return c.members, fmt.Errorf("notify: members of user group %s: %w", group, err)
	}
	c = cachedGroup{members: map[string]bool{}, at: now}
	for _, u := range list {
		c.members[u] = true
	}
	a.mu.Lock()
	a.cache[group] = c
	a.mu.Unlock()
	return c.members, nil
}

// RunSocketMode connects to Slack with the app-level token (no public URL
// needed) and handles button presses until ctx is cancelled, reconnecting
// with backoff when the connection fails. It returns only once the event
// loop has stopped and any verdict being recorded is written: the caller
// may close the store then.
func RunSocketMode(ctx context.Context, appToken config.Secret, bot *Slack, handler *Verdicts, apiURL string, logger *slog.Logger) error {
	opts := []slack.Option{slack.OptionAppLevelToken(appToken.Reveal())}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(withSlash(apiURL)))
	}
	api := slack.New(bot.token.Reveal(), opts...)
	for attempt := 1; ; attempt++ {
		started := time.Now()
		err := socketOnce(ctx, api, handler, logger, appToken, bot.token)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			attempt = 1 // it was connected a while: start the backoff over
		}
		err = scrub(err, appToken, bot.token)
		handler.Metrics.deliveryError("socket_mode", err)
		wait := backoff.Delay(attempt, time.Second, time.Minute, nil)
		logger.Error("Socket Mode disconnected: verdict buttons inactive until it reconnects", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// socketOnce runs one Socket Mode client until it fails or ctx ends, and
// waits for its event loop.
func socketOnce(ctx context.Context, api *slack.Client, handler *Verdicts, logger *slog.Logger, secrets ...config.Secret) error {
	client := socketmode.New(api)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-runCtx.Done():
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
						// A press being recorded is finished even when
						// stopping: it was acknowledged.
						if err := handler.Handle(context.WithoutCancel(runCtx), cb); err != nil {
							logger.Error("handling a verdict", "user", cb.User.ID, "err", scrub(err, secrets...))
						}
					}
				}
			}
		}
	})
	err := client.RunContext(runCtx) // never nil: the context's error when stopped
	cancel()
	wg.Wait()
	return err
}

func withSlash(u string) string {
	if u != "" && u[len(u)-1] != '/' {
		return u + "/"
	}
	return u
}
