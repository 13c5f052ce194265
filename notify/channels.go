package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/silencewatch/silencewatch/backoff"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
)

// ChannelStore keeps the Slack ids of configured channels across
// restarts.
type ChannelStore interface {
	ChannelIDs(ctx context.Context) (map[string]string, error)
	SaveChannelID(ctx context.Context, name, id string, at time.Time) error
}

// Destination is a configured channel and the config keys naming it.
type Destination struct {
	Channel string
	Where   string // "slack.channel", "slack.routes[1].channel", …
}

// Destinations lists the channels alerts can go to: the default one and
// every route's, each once.
func Destinations(cfg config.Slack) []Destination {
	var out []Destination
	add := func(ch, where string) {
		for i := range out {
			if out[i].Channel == ch {
				out[i].Where += ", " + where
				return
			}
		}
		out = append(out, Destination{Channel: ch, Where: where})
	}
	if cfg.Channel != "" {
		add(cfg.Channel, "slack.channel")
	}
	for i, r := range cfg.Routes {
		add(r.Channel, fmt.Sprintf("slack.routes[%d].channel", i))
	}
	return out
}

// ChannelError is a configured channel Slack says cannot be used.
type ChannelError struct {
	Destination
	Reason string
}

func (e *ChannelError) Error() string {
	return fmt.Sprintf("notify: %s: Slack channel %q %s", e.Where, e.Channel, e.Reason)
}

// LookupChannels asks Slack, once, for the id of every destination:
// conversations.list (public and private channels, every page) for
// names, conversations.info for ids. A channel Slack does not know, or
// the bot is not in, is a *ChannelError (joined, one per channel); a
// failed call is a *SendError.
func (s *Slack) LookupChannels(ctx context.Context, dests []Destination) (map[string]string, error) {
	out := map[string]string{}
	var byName map[string]slack.Channel
	var errs []error
	for _, d := range dests {
		if IsChannelID(d.Channel) {
			ch, err := s.client.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: d.Channel})
			var se slack.SlackErrorResponse
			switch {
			case errors.As(err, &se) && se.Err == "channel_not_found":
				errs = append(errs, &ChannelError{d, "not found (is the id right, and is the bot in it?)"})
				continue
			case err != nil:
				return nil, classify(err, s.token)
			}
			if err := usable(d, *ch); err != nil {
				errs = append(errs, err)
				continue
			}
			out[d.Channel] = ch.ID
			continue
		}
		if byName == nil {
			var err error
			if byName, err = s.listChannels(ctx); err != nil {
				return nil, err
			}
		}
		ch, ok := byName[strings.TrimPrefix(d.Channel, "#")]
		if !ok {
			errs = append(errs, &ChannelError{d, "not found among the channels the bot can see (invite the bot to a private channel; archived channels do not count)"})
			continue
		}
		if err := usable(d, ch); err != nil {
			errs = append(errs, err)
			continue
		}
		out[d.Channel] = ch.ID
	}
	return out, errors.Join(errs...)
}

func usable(d Destination, ch slack.Channel) error {
	switch {
	case ch.IsArchived:
		return &ChannelError{d, "is archived"}
	case !ch.IsMember:
		return &ChannelError{d, "does not have the bot as a member (/invite the app): it could not read the channel back to avoid duplicates"}
	}
	return nil
}

func (s *Slack) listChannels(ctx context.Context) (map[string]slack.Channel, error) {
	out := map[string]slack.Channel{}
	cursor := ""
	for {
		chans, next, err := s.client.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 200, Cursor: cursor,
		})
		if err != nil {
			return nil, classify(err, s.token)
		}
		for _, ch := range chans {
			out[ch.Name] = ch
		}
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// Resolver learns the ids of the configured channels at start-up and
// keeps them in the store.
type Resolver struct {
	Slack  *Slack
	Store  ChannelStore
	Clock  clock.Clock
	Logger *slog.Logger
	// Metrics counts failed look-ups; optional.
	Metrics *Metrics
	// Rand is for backoff jitter; default math/rand/v2.
	Rand func() float64
}

// Resolve gives the sender the id of every destination. The ids stored
// by an earlier run are used at once; Slack is asked too, and its answer
// wins (and is stored). When Slack says a channel cannot be used, Resolve
// fails with that *ChannelError: retrying will not help. When Slack
// cannot be reached: if every destination has a stored id, Resolve goes
// on with those; otherwise it retries with backoff (honouring
// Retry-After, at most a minute apart) until Slack answers or ctx ends.
func (r *Resolver) Resolve(ctx context.Context, dests []Destination) error {
	stored, err := r.Store.ChannelIDs(ctx)
	if err != nil {
		return err
	}
	known := true
	for _, d := range dests {
		if id, ok := stored[d.Channel]; ok {
			r.Slack.SetChannelID(d.Channel, id)
		} else if !IsChannelID(d.Channel) {
			known = false
		}
	}
	for attempt := 1; ; attempt++ {
		ids, err := r.Slack.LookupChannels(ctx, dests)
		var ce *ChannelError
		var se *SendError
		switch {
		case err == nil:
			return r.save(ctx, dests, stored, ids)
		case errors.As(err, &ce):
			r.Metrics.deliveryError("resolve", err)
			return err
		case errors.As(err, &se) && se.Kind == Permanent:
			r.Metrics.deliveryError("resolve", err)
			return fmt.Errorf("notify: resolving Slack channels %s: %w", names(dests), err)
		case ctx.Err() != nil:
			return ctx.Err()
		}
		r.Metrics.deliveryError("resolve", err)
		if known {
			r.Logger.Warn("cannot reach Slack to check the channels; using the ids stored by the last run", "channels", names(dests), "err", err)
			return nil
		}
		wait := backoff.Delay(attempt, time.Second, time.Minute, r.Rand)
		if se != nil && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		r.Logger.Warn("cannot reach Slack to resolve channel names to ids; delivery waits, retrying", "channels", names(dests), "err", err, "attempt", attempt, "retry_in", wait)
		t := r.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

func (r *Resolver) save(ctx context.Context, dests []Destination, stored, ids map[string]string) error {
	for _, d := range dests {
		id := ids[d.Channel]
		r.Slack.SetChannelID(d.Channel, id)
		if stored[d.Channel] == id {
			continue
		}
		if old := stored[d.Channel]; old != "" {
			r.Logger.Warn("channel name now names another channel; using the new one", "channel", d.Channel, "old_id", old, "id", id)
		}
		if err := r.Store.SaveChannelID(ctx, d.Channel, id, r.Clock.Now()); err != nil {
			return err
		}
		r.Logger.Info("channel resolved", "channel", d.Channel, "id", id)
	}
	return nil
}

func names(dests []Destination) string {
	var out []string
	for _, d := range dests {
		out = append(out, d.Channel)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// CheckChannels asks Slack once whether every configured channel can be
// used, for validate; it stores nothing.
func CheckChannels(ctx context.Context, cfg config.Slack, httpClient *http.Client) error {
	if !cfg.Token.IsSet() {
		return nil
	}
	s := NewSlack(cfg.Token, cfg.APIURL, httpClient)
	_, err := s.LookupChannels(ctx, Destinations(cfg))
	return err
}
