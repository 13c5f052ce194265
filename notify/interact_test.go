package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
)

// TestSocketModeVerdict connects over Socket Mode to the fake, which
// sends a "False positive" button press: the verdict is stored with the
// user and the alert edited to show it.
func TestSocketModeVerdict(t *testing.T) {
	f := newFakeSlack(t, 0)
	st, _ := openStore(t)
	ids := seed(t, st, 1, "#alerts", uniqueBody)
	logs := &logBuffer{}
	bot := slackSender(f, 5*time.Second)
	o := newOutbox(t, st, bot, logs)
	o.Interactive = true
	deliverAll(t, o, st)
	posted := f.snapshot()[0]
	if !strings.Contains(string(posted.Blocks), `"action_id":"false_positive"`) {
		t.Fatalf("alert has no verdict buttons: %s", posted.Blocks)
	}

	acked := make(chan string, 1)
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1})
		payload := map[string]any{
			"type": "block_actions", "user": map[string]any{"id": "U024BE7LH"},
			"channel": map[string]any{"id": channelID("#alerts")},
			"message": map[string]any{"ts": posted.TS},
			"actions": []map[string]any{{"block_id": verdictBlockID, "action_id": ActionFalsePositive, "value": fmt.Sprint(ids[0]), "type": "button"}},
		}
		conn.WriteJSON(map[string]any{"envelope_id": "env-1", "type": "interactive", "payload": payload, "accepts_response_payload": false})
		for {
			var msg map[string]any
			if err := conn.ReadJSON(&msg); err != nil {
				return
			}
			if id, ok := msg["envelope_id"].(string); ok {
				acked <- id
			}
		}
	})
	var wsURL string
	mux.HandleFunc("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"ok": true, "url": wsURL})
	})
	// The Socket Mode API and the Web API share one fake host.
	fsrv := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" || r.URL.Path == "/apps.connections.open" {
			mux.ServeHTTP(w, r)
			return
		}
		fsrv.ServeHTTP(w, r)
	})
	wsURL = "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handler := &Verdicts{Store: st, Sender: bot, Clock: clock.Real{}, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	go RunSocketMode(ctx, config.NewSecret("xapp-fake", "test"), bot, handler, f.URL(), slog.New(slog.NewJSONHandler(logs, nil)))
	select {
	case id := <-acked:
		if id != "env-1" {
			t.Errorf("acked %q", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no ack; logs: %s", logs.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, found, _ := st.Verdict(context.Background(), ids[0])
		msg := f.snapshot()[0]
		if found && msg.Updates > 0 {
			if v.Verdict != ActionFalsePositive || v.User != "U024BE7LH" {
				t.Errorf("verdict %+v", v)
			}
			if !strings.Contains(string(msg.Blocks), "Marked false positive by \\u003c@U024BE7LH\\u003e") && !strings.Contains(string(msg.Blocks), "Marked false positive by <@U024BE7LH>") {
				t.Errorf("alert not edited to show the verdict: %s", msg.Blocks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verdict not recorded or alert not edited; logs: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
