package notify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is a Slack Web API stand-in: chat.postMessage, chat.update,
// conversations.history and conversations.replies, with a per-channel
// rate limit answered by 429 and Retry-After, and scripted failures.
type fakeSlack struct {
	t        *testing.T
	srv      *httptest.Server
	token    string
	interval time.Duration // at most one post per interval per channel

	mu       sync.Mutex
	calls    int // postMessage calls
	messages []*fakeMessage
	lastPost map[string]time.Time
	n429     int
	lastTS   time.Time
	// script, when set, may answer a postMessage call itself: return
	// "accept-then-fail" to store the message and answer 500 (a lost
	// answer), "hang" to store it and never answer in time, "500" to
	// refuse, or "" to proceed.
	script func(call int, channel string) string
	hang   chan struct{}
}

type fakeMessage struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Key      string
	Updates  int
}

func newFakeSlack(t *testing.T, interval time.Duration) *fakeSlack {
	f := &fakeSlack{t: t, token: "xoxb-fake-token-value", interval: interval, lastPost: map[string]time.Time{}, hang: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/chat.postMessage", f.post)
	mux.HandleFunc("/chat.update", f.update)
	mux.HandleFunc("/conversations.history", f.history)
	mux.HandleFunc("/conversations.replies", f.replies)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() { close(f.hang); f.srv.Close() })
	return f
}

func (f *fakeSlack) URL() string { return f.srv.URL + "/" }

func (f *fakeSlack) authed(w http.ResponseWriter, r *http.Request) bool {
	r.ParseForm()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.FormValue("token")
	}
	if tok != f.token {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return false
	}
	return true
}

func channelID(name string) string {
	return "C" + strings.ToUpper(strings.Trim(strings.TrimPrefix(name, "#"), "-"))
}

func (f *fakeSlack) post(w http.ResponseWriter, r *http.Request) {
	if !f.authed(w, r) {
		return
	}
	ch := r.FormValue("channel")
	if ch == "#unknown" {
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	f.mu.Lock()
	f.calls++
	call := f.calls
	if last, ok := f.lastPost[ch]; ok && time.Since(last) < f.interval {
		f.n429++
		f.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	action := ""
	if f.script != nil {
		action = f.script(call, ch)
	}
	if action == "500" {
		f.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	f.lastPost[ch] = time.Now()
	// Real-time timestamps, strictly increasing, like Slack's.
	now := time.Now()
	if !now.After(f.lastTS) {
		now = f.lastTS.Add(time.Microsecond)
	}
	f.lastTS = now
	m := &fakeMessage{Channel: ch, TS: fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000), ThreadTS: r.FormValue("thread_ts"),
		Text: r.FormValue("text"), Blocks: json.RawMessage(r.FormValue("blocks"))}
	var md struct {
		EventPayload struct {
			Key string `json:"key"`
		} `json:"event_payload"`
	}
	if raw := r.FormValue("metadata"); raw != "" {
		json.Unmarshal([]byte(raw), &md)
	}
	m.Key = md.EventPayload.Key
	f.messages = append(f.messages, m)
	f.mu.Unlock()
	switch action {
	case "accept-then-fail":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "hang":
		select {
		case <-f.hang:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": channelID(ch), "ts": m.TS})
}

func (f *fakeSlack) update(w http.ResponseWriter, r *http.Request) {
	if !f.authed(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if channelID(m.Channel) == r.FormValue("channel") && m.TS == r.FormValue("ts") {
			m.Blocks = json.RawMessage(r.FormValue("blocks"))
			m.Text = r.FormValue("text")
			m.Updates++
			writeJSON(w, map[string]any{"ok": true, "channel": r.FormValue("channel"), "ts": m.TS})
			return
		}
	}
	writeJSON(w, map[string]any{"ok": false, "error": "message_not_found"})
}

func (f *fakeSlack) wire(m *fakeMessage, replies int) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if replies > 0 {
		out["thread_ts"] = m.TS
		out["reply_count"] = replies
	}
	if m.Key != "" {
		out["metadata"] = map[string]any{"event_type": metadataEventType, "event_payload": map[string]any{"key": m.Key}}
	}
	return out
}

func (f *fakeSlack) history(w http.ResponseWriter, r *http.Request) {
	if !f.authed(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	oldest, _ := strconv.ParseFloat(r.FormValue("oldest"), 64)
	var msgs []map[string]any
	for _, m := range f.messages {
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if channelID(m.Channel) != r.FormValue("channel") || m.ThreadTS != "" || ts < oldest {
			continue
		}
		replies := 0
		for _, o := range f.messages {
			if o.ThreadTS == m.TS {
				replies++
			}
		}
		msgs = append(msgs, f.wire(m, replies))
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func (f *fakeSlack) replies(w http.ResponseWriter, r *http.Request) {
	if !f.authed(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var msgs []map[string]any
	for _, m := range f.messages {
		if channelID(m.Channel) == r.FormValue("channel") && (m.TS == r.FormValue("ts") || m.ThreadTS == r.FormValue("ts")) {
			msgs = append(msgs, f.wire(m, 0))
		}
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": false})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// alertCounts says how many messages carried each alert id.
func (f *fakeSlack) alertCounts() map[int64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]int{}
	for _, m := range f.messages {
		for _, id := range parseIDs(m.Key) {
			out[id]++
		}
	}
	return out
}

func (f *fakeSlack) snapshot() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeMessage, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	// Every ts has the same width ("seconds.micros"): text order is time order.
	sort.Slice(out, func(i, j int) bool { return out[i].TS < out[j].TS })
	return out
}
