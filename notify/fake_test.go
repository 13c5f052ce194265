package notify

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/notify/slackfake"
)

// newFake starts a Slack fake with the channels the tests use (#alerts,
// #flood; #unknown does not exist) and one post per interval per channel
// (negative: no limit).
func newFake(t *testing.T, interval time.Duration) *slackfake.Server {
	t.Helper()
	f := slackfake.Start(slackfake.Options{Interval: interval})
	t.Cleanup(f.Close)
	f.AddChannel("alerts", false)
	f.AddChannel("flood", true)
	return f
}

// channelOf returns a fake channel's id.
func channelOf(t *testing.T, f *slackfake.Server, name string) string {
	t.Helper()
	s := NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil)
	ids, err := s.LookupChannels(context.Background(), []Destination{{Channel: name, Where: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return ids[name]
}

// slackSender makes a bot-token sender for the fake and resolves the
// channels through the store, as the daemon does at start-up.
func slackSender(t *testing.T, f *slackfake.Server, st ChannelStore, timeout time.Duration, channels ...string) *Slack {
	t.Helper()
	s := NewSlack(config.NewSecret(f.Token(), "test"), f.URL, &http.Client{Timeout: timeout})
	if len(channels) == 0 {
		channels = []string{"#alerts"}
	}
	var dests []Destination
	for _, ch := range channels {
		dests = append(dests, Destination{Channel: ch, Where: "test"})
	}
	r := &Resolver{Slack: s, Store: st, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler), Rand: func() float64 { return 0 }}
	if err := r.Resolve(context.Background(), dests); err != nil {
		t.Fatal(err)
	}
	return s
}

// alertCounts says how many messages, in every channel, carried each
// alert id.
func alertCounts(f *slackfake.Server) map[int64]int {
	out := map[int64]int{}
	for _, m := range f.AllMessages() {
		for _, id := range parseIDs(m.Key()) {
			out[id]++
		}
	}
	return out
}

// waitFake waits for cond on the fake's state, failing after 20 s.
func waitFake(t *testing.T, f *slackfake.Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
