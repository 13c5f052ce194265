package notify

import (
	"context"
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
}

// Options builds a Notifier.
type Options struct {
	Config  config.Slack
	Store   OutboxStore
	Clock   clock.Clock
	Logger  *slog.Logger
	Console io.Writer    // where alerts print without Slack
	HTTP    *http.Client // Slack's HTTP client; nil for a default
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
		sender = &Console{W: o.Console}
		channel = ConsoleChannel
		// A terminal has no rate limit and no thread to put details in.
		threshold, pace = int(^uint(0)>>1), 0
	}
	routes := cfg.Routes
	if !cfg.Token.IsSet() {
		routes = nil // one destination only
	}
	return &Notifier{
		Router: Router{Routes: routes, Default: channel},
		Outbox: &Outbox{
			Store: o.Store, Sender: sender, Clock: o.Clock, Logger: o.Logger,
			Pace: pace, DigestThreshold: threshold, DigestInterval: cfg.DigestInterval, DigestBatch: cfg.DigestBatch,
			Interactive: cfg.Interactive(),
		},
		Every: time.Second,
	}
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
