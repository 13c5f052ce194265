package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/store"
)

// slackRecorder is a minimal Slack Web API: it accepts posts and edits,
// records the alert ids each message carries, and answers history
// lookups.
type slackRecorder struct {
	mu     sync.Mutex
	posts  int
	byID   map[int64]int
	msgs   []map[string]any
	lastTS time.Time
}

func (s *slackRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/chat.postMessage"):
		now := time.Now()
		if !now.After(s.lastTS) {
			now = s.lastTS.Add(time.Microsecond)
		}
		s.lastTS = now
		ts := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
		s.posts++
		var md struct {
			EventPayload struct {
				Key string `json:"key"`
			} `json:"event_payload"`
		}
		json.Unmarshal([]byte(r.FormValue("metadata")), &md)
		key := md.EventPayload.Key
		if _, list, ok := strings.Cut(key, ":"); ok && (strings.HasPrefix(key, "alert:") || strings.HasPrefix(key, "batch:")) {
			for _, p := range strings.Split(list, ",") {
				var id int64
				fmt.Sscan(p, &id)
				s.byID[id]++
			}
		}
		s.msgs = append(s.msgs, map[string]any{"ts": ts, "text": r.FormValue("text"), "thread_ts": r.FormValue("thread_ts")})
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "CDEMO", "ts": ts})
	case strings.HasSuffix(r.URL.Path, "/chat.update"):
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "CDEMO", "ts": r.FormValue("ts")})
	default: // history and replies: nothing was lost in this test
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": []any{}})
	}
}

// TestDemoEndToEnd replays the bundled weekend through the whole pipeline
// and checks every expectation of the timeline (each expected finding by
// outlet, rule and zone; each lawful item unflagged), and that the Slack
// server received each alert exactly once.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a weekend")
	}
	rec := &slackRecorder{byID: map[int64]int{}}
	slackSrv := httptest.NewServer(rec)
	defer slackSrv.Close()
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-demo-test", "SLACK_CHANNEL": "#demo"}
	dir := t.TempDir()
	res, err := Demo(context.Background(), DemoOptions{
		Speed: 4000, Dir: dir, Out: io.Discard, Log: io.Discard,
		LookupEnv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		SlackAPIURL: slackSrv.URL + "/", SlackPace: "5ms",
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
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(alerts) == 0 {
		t.Fatal("no alert queued")
	}
	for _, a := range alerts {
		if a.Status != "sent" {
			t.Errorf("alert %d (%s, %s) is %s: %s", a.ID, a.Kind, a.Finding.Finding.Rule, a.Status, a.LastError)
		}
		if rec.byID[a.ID] != 1 {
			t.Errorf("alert %d reached Slack %d times", a.ID, rec.byID[a.ID])
		}
	}
	t.Logf("%d alerts, %d Slack messages", len(alerts), rec.posts)
}
