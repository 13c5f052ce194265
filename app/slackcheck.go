package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/notify"
)

// checkSlackChannels asks Slack, with the configured bot token, whether
// every channel alerts can go to exists and has the bot in it. It is what
// validate adds when a token is set (-offline skips it); run does the same
// at start-up and keeps the ids. It reports each problem with the channel
// and the config key naming it.
func checkSlackChannels(ctx context.Context, cfg config.Slack, transport http.RoundTripper, stderr io.Writer) bool {
	if !cfg.Token.IsSet() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := notify.CheckChannels(ctx, cfg, &http.Client{Timeout: 20 * time.Second, Transport: transport})
	if err == nil {
		return true
	}
	if printChannelErrors(stderr, err) {
		return false
	}
	fmt.Fprintf(stderr, "cannot check the Slack channels (use -offline to skip): %v\n", err)
	return false
}

// printChannelErrors prints each unusable channel on its own line and
// reports whether err had any.
func printChannelErrors(w io.Writer, err error) bool {
	var ce *notify.ChannelError
	if !errors.As(err, &ce) {
		return false
	}
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			fmt.Fprintln(w, e)
		}
	} else {
		fmt.Fprintln(w, err)
	}
	return true
}
