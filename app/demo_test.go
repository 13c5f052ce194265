package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/silencewatch/silencewatch/notify/slackfake"
	"github.com/silencewatch/silencewatch/store"
)

// TestDemoEndToEnd replays the bundled weekend through the whole pipeline
// and checks every expectation of the timeline (each expected finding by
// outlet, rule and zone; each lawful item unflagged), and that the Slack
// server received each alert exactly once.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a weekend")
	}
	fake := slackfake.Start(slackfake.Options{Interval: -1})
	defer fake.Close()
	demoID := fake.AddChannel("demo", false)
	env := map[string]string{"SLACK_BOT_TOKEN": fake.Token(), "SLACK_CHANNEL": "#demo"}
	dir := t.TempDir()
	res, err := Demo(context.Background(), DemoOptions{
		Speed: 4000, Dir: dir, Out: io.Discard, Log: io.Discard,
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		SlackAPIURL: fake.URL, SlackPace: "5ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Matches() {
		t.Errorf("%d of %d expected findings; missed %v; unexpected %v; wrong zones %v",
			res.Found, res.Expected, res.Missed, res.Unexpected, res.WrongZones)
	}
	if res.Expected < 30 {
		t.Errorf("only %d expected findings: the scenario did not load?", res.Expected)
	}
	st, err := store.OpenSQLite(context.Background(), res.Dir+"/silencewatch.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	alerts, _ := st.Alerts(context.Background())
	byID := map[int64]int{}
	msgs := fake.Messages(demoID)
	for _, m := range msgs {
		key := m.Key()
		if _, list, ok := strings.Cut(key, ":"); ok && (strings.HasPrefix(key, "alert:") || strings.HasPrefix(key, "batch:")) {
			for _, p := range strings.Split(list, ",") {
				var id int64
				fmt.Sscan(p, &id)
				byID[id]++
			}
		}
	}
	if len(alerts) == 0 {
		t.Fatal("no alert queued")
	}
	for _, a := range alerts {
		if a.Status != "sent" {
			t.Errorf("alert %d (%s, %s) is %s: %s", a.ID, a.Kind, a.Finding.Finding.Rule, a.Status, a.LastError)
		}
		if byID[a.ID] != 1 {
			t.Errorf("alert %d reached Slack %d times", a.ID, byID[a.ID])
		}
	}
	t.Logf("%d alerts, %d Slack messages", len(alerts), len(msgs))
}
