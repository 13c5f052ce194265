package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
)

// ConsoleChannel is the channel alerts get when no Slack credentials are
// set.
const ConsoleChannel = "console"

// Notifier routes findings and runs the outbox that delivers them.
type Notifier struct {
	Router
	*Outbox
	// Every is how often the outbox looks for due alerts between wakes.
	Every time.Duration

	resolver *Resolver
	dests    []Destination
}

// Options builds a Notifier.
type Options struct {
	Config  config.Slack
	Store   OutboxStore
	Clock   clock.Clock
	Logger  *slog.Logger
	Console io.Writer    // where alerts print without Slack (a *ConsoleWriter for display options)
	HTTP    *http.Client // Slack's HTTP client; nil for a default
	// Channels keeps the channel ids; needed with a bot token.
	Channels ChannelStore
	Metrics  *Metrics // optional
}

// New picks the sender from the configuration: the bot token (threads,
// updates, exactly-once checks), else the webhook, else the console.
func New(o Options) *Notifier {
	cfg := o.Config
	var sender Sender
	channel := cfg.Channel
	threshold := cfg.DigestThreshold
	pace := cfg.Pace
	switch {
	case cfg.Token.IsSet():
		sender = NewSlack(cfg.Token, cfg.APIURL, o.HTTP)
	case cfg.WebhookURL.IsSet():
		sender = NewWebhook(cfg.WebhookURL, o.HTTP)
		if channel == "" {
			channel = "webhook"
		}
	default:
		sender = newConsole(o.Console)
		channel = ConsoleChannel
		// A terminal has no rate limit and no thread to put details in.
		threshold, pace = int(^uint(0)>>1), 0
	}
	routes := cfg.Routes
	if !cfg.Token.IsSet() {
		routes = nil // one destination only
	}
	n := &Notifier{
		Router: Router{Routes: routes, Default: channel},
		Outbox: &Outbox{
			Store: o.Store, Sender: sender, Clock: o.Clock, Logger: o.Logger,
			Pace: pace, DigestThreshold: threshold, DigestInterval: cfg.DigestInterval, DigestBatch: cfg.DigestBatch,
			Interactive: cfg.Interactive(), Metrics: o.Metrics,
		},
		Every: time.Second,
	}
	if bot, ok := sender.(*Slack); ok {
		n.resolver = &Resolver{Slack: bot, Store: o.Channels, Clock: o.Clock, Logger: o.Logger, Metrics: o.Metrics}
		n.dests = Destinations(cfg)
	}
	return n
}

// Start resolves the configured channels' names to ids (a bot token
// only), before anything is delivered: see Resolver.Resolve. An error
// names the channel and the config key; the daemon must not start.
func (n *Notifier) Start(ctx context.Context) error {
	if n.resolver == nil {
		return nil
	}
	if n.resolver.Store == nil {
		return errors.New("notify: a bot token needs a store for channel ids")
	}
	return n.resolver.Resolve(ctx, n.dests)
}

// Run delivers until ctx is cancelled.
func (n *Notifier) Run(ctx context.Context) { n.Outbox.Run(ctx, n.Every) }

// SourceFailing posts a source-health alert to the default channel.
func (n *Notifier) SourceFailing(ctx context.Context, source, detail string, failures int) {
	n.Outbox.SourceFailing(ctx, n.Default, source, detail, failures)
}

// Bot returns the bot-token sender, or nil when alerts go elsewhere.
func (n *Notifier) Bot() *Slack {
	s, _ := n.Outbox.Sender.(*Slack)
	return s
}
