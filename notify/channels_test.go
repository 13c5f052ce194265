package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/notify/slackfake"
)

func TestDestinations(t *testing.T) {
	got := Destinations(config.Slack{Channel: "#all", Routes: []config.Route{{Channel: "#crit"}, {Channel: "#all"}, {Channel: "C0FOREIGN1"}}})
	want := []Destination{{"#all", "slack.channel, slack.routes[1].channel"}, {"#crit", "slack.routes[0].channel"}, {"C0FOREIGN1", "slack.routes[2].channel"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestResolveChannels: names are found across pages of conversations.list
// (public and private channels), ids checked with conversations.info, and
// both kept in the store; a later start with Slack unreachable uses the
// stored ids.
func TestResolveChannels(t *testing.T) {
	f := slackfake.Start(slackfake.Options{Interval: -1, PageSize: 2})
	defer f.Close()
	for _, n := range []string{"a", "b", "c", "d"} {
		f.AddChannel(n, false)
	}
	secret := f.AddChannel("election-alerts", true) // a private channel, on the third page
	byID := f.AddChannel("foreign", false)
	st, _ := openStore(t)
	s := NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil)
	m := NewMetrics(prometheus.NewRegistry())
	r := &Resolver{Slack: s, Store: st, Clock: &fastClock{now: time.Now()}, Logger: slog.New(slog.DiscardHandler), Metrics: m, Rand: func() float64 { return 0 }}
	dests := []Destination{{"#election-alerts", "slack.channel"}, {byID, "slack.routes[0].channel"}}
	if err := r.Resolve(context.Background(), dests); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.ChannelID("#election-alerts"); id != secret {
		t.Errorf("resolved to %q, want %q", id, secret)
	}
	if f.Calls("conversations.list") != 3 || f.Calls("conversations.info") != 1 {
		t.Errorf("%d list pages, %d info calls", f.Calls("conversations.list"), f.Calls("conversations.info"))
	}
	ids, _ := st.ChannelIDs(context.Background())
	if ids["#election-alerts"] != secret || ids[byID] != byID {
		t.Errorf("stored %v", ids)
	}

	// Restart with Slack failing: the stored ids serve at once.
	f.SetScript(func(c slackfake.Call) slackfake.Action { return slackfake.Fail500 })
	s2 := NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil)
	r2 := *r
	r2.Slack = s2
	if err := r2.Resolve(context.Background(), dests); err != nil {
		t.Fatal(err)
	}
	if id, ok := s2.ChannelID("#election-alerts"); !ok || id != secret {
		t.Errorf("stored id not used: %q %v", id, ok)
	}
	if n := testutil.ToFloat64(m.errors.WithLabelValues("resolve", "transient")); n != 1 {
		t.Errorf("resolve errors counted: %v", n)
	}
}

// TestResolveRetriesTransientFailures: with no stored id, a Slack outage
// at start-up is retried with backoff until Slack answers.
func TestResolveRetriesTransientFailures(t *testing.T) {
	f := slackfake.Start(slackfake.Options{Interval: -1})
	defer f.Close()
	id := f.AddChannel("alerts", false)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		switch c.N {
		case 1:
			return slackfake.RateLimit
		case 2, 3:
			return slackfake.Fail500
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	clk := &fastClock{now: time.Now()}
	start := clk.Now()
	s := NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil)
	r := &Resolver{Slack: s, Store: st, Clock: clk, Logger: slog.New(slog.DiscardHandler), Rand: func() float64 { return 0 }}
	if err := r.Resolve(context.Background(), []Destination{{"#alerts", "slack.channel"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ChannelID("#alerts"); got != id {
		t.Errorf("resolved %q", got)
	}
	// Retry-After 1 s, then 1 s and 2 s of backoff (no jitter).
	if waited := clk.Now().Sub(start); waited != 4*time.Second {
		t.Errorf("waited %s between attempts, want 4s", waited)
	}
}

// TestResolveFailsClearly: a channel Slack does not list, an id it does
// not know, a channel the bot is not in and a bad token are errors that
// name the channel and its config key; nothing is retried.
func TestResolveFailsClearly(t *testing.T) {
	f := slackfake.Start(slackfake.Options{Interval: -1})
	defer f.Close()
	f.AddChannel("alerts", false)
	old := f.AddChannel("old", false)
	f.ArchiveChannel(old)
	outside := f.AddChannel("outside", false)
	f.RemoveBot(outside)
	st, _ := openStore(t)
	r := &Resolver{Slack: NewSlack(config.NewSecret(f.Token(), "test"), f.URL, nil), Store: st, Clock: &fastClock{}, Logger: slog.New(slog.DiscardHandler)}
	err := r.Resolve(context.Background(), []Destination{
		{"#alerts", "slack.channel"}, {"#election-alerts", "slack.routes[0].channel"}, {"C0NOSUCH1", "slack.routes[1].channel"},
		{"#old", "slack.routes[2].channel"}, {outside, "slack.routes[3].channel"},
	})
	var ce *ChannelError
	if !errors.As(err, &ce) {
		t.Fatalf("want a ChannelError, got %v", err)
	}
	for _, want := range []string{
		`slack.routes[0].channel: Slack channel "#election-alerts" not found`,
		`slack.routes[1].channel: Slack channel "C0NOSUCH1" not found`,
		`slack.routes[2].channel: Slack channel "#old" not found`,
		`slack.routes[3].channel: Slack channel "` + outside + `" does not have the bot as a member`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"#alerts"`) {
		t.Errorf("a usable channel is reported: %v", err)
	}
	r.Slack = NewSlack(config.NewSecret("xoxb-bad-SECRET", "test"), f.URL, nil)
	err = r.Resolve(context.Background(), []Destination{{"#alerts", "slack.channel"}})
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("bad token: %v", err)
	}
}

// TestDeliveryErrorsCounted: failures on the alert path reach the
// metric, by operation and kind.
func TestDeliveryErrorsCounted(t *testing.T) {
	f := newFake(t, -1)
	f.SetScript(func(c slackfake.Call) slackfake.Action {
		if c.Method == "chat.postMessage" && c.N <= 2 {
			return slackfake.Fail500
		}
		if c.Method == "chat.postMessage" && c.N == 3 {
			return slackfake.RateLimit
		}
		return slackfake.Proceed
	})
	st, _ := openStore(t)
	seed(t, st, 1, "#alerts", uniqueBody)
	reg := prometheus.NewRegistry()
	o := newOutbox(t, st, slackSender(t, f, st, time.Second), &logBuffer{})
	o.Metrics = NewMetrics(reg)
	deliverAll(t, o, st)
	if n := testutil.ToFloat64(o.Metrics.errors.WithLabelValues("post", "transient")); n != 2 {
		t.Errorf("transient post errors: %v", n)
	}
	if n := testutil.ToFloat64(o.Metrics.errors.WithLabelValues("post", "rate_limited")); n != 1 {
		t.Errorf("rate-limited posts: %v", n)
	}
}
