// Package slackfake is a Slack Web API and Socket Mode stand-in for tests.
// It behaves like Slack where silencewatch depends on it:
//
//   - channels are addressed by id in conversations.history,
//     conversations.replies and chat.update (a name gets channel_not_found);
//     chat.postMessage takes a name or an id and answers with the id;
//   - conversations.list lists channels by type, paginated;
//   - oldest is exclusive (messages with ts > oldest) unless inclusive is
//     set; message metadata comes back only with include_all_metadata;
//   - conversations.replies gives the parent first, then the replies;
//   - one message per interval per channel, 429 with Retry-After beyond it;
//   - ts are "seconds.micros", unique and increasing per channel.
//
// A script can fail calls (500, 429), accept a post and lose its answer,
// hold a post's answer until released (the message is stored: a process
// killed then never learns its ts), or stall a post before it lands.
//
// It is imported by tests and test helpers only; it must not be linked into
// the silencewatch binary.
package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Action is what the script tells the fake to do with one call.
type Action string

// Actions.
const (
	Proceed Action = ""
	// Fail500 answers 500; nothing is stored.
	Fail500 Action = "500"
	// RateLimit answers 429 with Retry-After: 1.
	RateLimit Action = "429"
	// AcceptThen500 stores the message and answers 500: a lost answer.
	AcceptThen500 Action = "accept-then-500"
	// Hold stores the message and holds the answer until Release or until
	// the client gives up.
	Hold Action = "hold"
	// Stall holds the request before the message is stored; on Release it
	// is answered 500 and nothing is stored.
	Stall Action = "stall"
)

// Call describes one API call the script is asked about.
type Call struct {
	Method    string // "chat.postMessage", "chat.update", "conversations.history", …
	N         int    // 1 for the first call of Method that reached the script
	Channel   string // as given
	ChannelID string // resolved, "" when unknown
	ThreadTS  string
	Key       string // the metadata payload's "key", if any
}

// Options configures a Server.
type Options struct {
	Token    string        // bot token; default "xoxb-fake-token"
	AppToken string        // Socket Mode app token; default "xapp-fake-token"
	Interval time.Duration // one post per interval per channel; 0: one second; negative: no limit
	PageSize int           // cap on limit for paginated methods; 0: 100
	Now      func() time.Time
}

// Metadata is a message's metadata.
type Metadata struct {
	EventType    string         `json:"event_type"`
	EventPayload map[string]any `json:"event_payload"`
}

// Message is a stored message.
type Message struct {
	ChannelID string
	TS        string
	ThreadTS  string // "" for a top-level message
	Text      string
	Blocks    json.RawMessage
	Metadata  *Metadata
	Updates   int
}

// Key is the metadata payload's "key", "" without one.
func (m Message) Key() string {
	if m.Metadata == nil {
		return ""
	}
	k, _ := m.Metadata.EventPayload["key"].(string)
	return k
}

// Ephemeral is a chat.postEphemeral message.
type Ephemeral struct {
	ChannelID, User, Text string
}

type channel struct {
	id, name string
	private  bool
	archived bool
	outside  bool       // the bot is not a member
	msgs     []*Message // in ts order
	lastPost time.Time
	lastTS   time.Time
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base, ending in "/", for slack.OptionAPIURL.
	URL string
	o   Options
	srv *httptest.Server

	mu         sync.Mutex
	channels   []*channel
	byID       map[string]*channel
	groups     map[string][]string
	ephemerals []Ephemeral
	calls      map[string]int
	script     func(Call) Action
	onAnswered func(Call)
	latency    func(n int) time.Duration
	incoming   int // posts received, rate-limited ones included
	n429       int
	held       int
	stalled    int
	release    chan struct{}
	changed    chan struct{}
	closed     bool

	// Socket Mode.
	sock     *websocket.Conn
	sockMu   sync.Mutex // one writer at a time
	acks     map[string]chan struct{}
	envelope int
}

// Start starts a fake on a loopback port.
func Start(o Options) *Server {
	if o.Token == "" {
		o.Token = "xoxb-fake-token"
	}
	if o.AppToken == "" {
		o.AppToken = "xapp-fake-token"
	}
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, byID: map[string]*channel{}, groups: map[string][]string{}, calls: map[string]int{},
		release: make(chan struct{}), changed: make(chan struct{}), acks: map[string]chan struct{}{}}
	mux := http.NewServeMux()
	for name, h := range map[string]http.HandlerFunc{
		"chat.postMessage":      s.postMessage,
		"chat.update":           s.update,
		"chat.postEphemeral":    s.postEphemeral,
		"conversations.history": s.history,
		"conversations.replies": s.replies,
		"conversations.list":    s.list,
		"conversations.info":    s.info,
		"usergroups.users.list": s.groupUsers,
		"auth.test":             s.authTest,
		"apps.connections.open": s.connectionsOpen,
	} {
		mux.HandleFunc("/"+name, h)
	}
	mux.HandleFunc("/socket-mode", s.socket)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/"
	return s
}

// Close releases every held call and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.release)
	}
	conn := s.sock
	s.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.o.Token }

// AppToken is the app-level token the fake accepts for Socket Mode.
func (s *Server) AppToken() string { return s.o.AppToken }

// AddChannel creates a channel (name without '#') and returns its id.
func (s *Server) AddChannel(name string, private bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("C%08X", 0x1000+len(s.channels))
	ch := &channel{id: id, name: strings.TrimPrefix(name, "#"), private: private}
	s.channels = append(s.channels, ch)
	s.byID[id] = ch
	return id
}

// ArchiveChannel marks a channel archived: listed only without
// exclude_archived, and posting to it answers is_archived.
func (s *Server) ArchiveChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.byID[id]; ch != nil {
		ch.archived = true
	}
}

// RemoveBot makes the bot not a member of a channel: a public one is still
// listed, with is_member false, a private one no longer; posting and
// reading history answer not_in_channel.
func (s *Server) RemoveBot(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.byID[id]; ch != nil {
		ch.outside = true
	}
}

// SetUserGroup sets the members of a user group (S…).
func (s *Server) SetUserGroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = users
}

// SetScript sets the function consulted for every call that passed
// authentication, channel lookup and, for posts, the rate limit.
func (s *Server) SetScript(fn func(Call) Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = fn
}

// SetOnAnswered sets a function called after a successful answer to a
// post or update was written and flushed to the client.
func (s *Server) SetOnAnswered(fn func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAnswered = fn
}

// SetLatency delays the handling of the nth post received (1-based,
// counting rate-limited ones): the network between client and Slack.
func (s *Server) SetLatency(fn func(n int) time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = fn
}

// SetNow replaces the fake's clock (for ts).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.Now = now
}

// Release answers every held post normally and every stalled one with 500.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	close(s.release)
	s.release = make(chan struct{})
}

// Held is the number of posts whose answer is being held.
func (s *Server) Held() int { s.mu.Lock(); defer s.mu.Unlock(); return s.held }

// Stalled is the number of posts stalled before landing.
func (s *Server) Stalled() int { s.mu.Lock(); defer s.mu.Unlock(); return s.stalled }

// RateLimited is how many calls were answered 429 by the rate limit.
func (s *Server) RateLimited() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n429 }

// Calls is how many calls of method reached the script.
func (s *Server) Calls(method string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[method] }

// Messages returns a channel's messages, top-level and replies, in ts
// order.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.byID[channelID]
	if ch == nil {
		return nil
	}
	out := make([]Message, len(ch.msgs))
	for i, m := range ch.msgs {
		out[i] = *m
	}
	return out
}

// Ephemerals returns the ephemeral messages sent.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Wait returns when cond is true, evaluating it now and after every
// change of the fake's state, or ctx's error when ctx ends first. cond
// may call the Server's methods.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes Wait; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) authed(w http.ResponseWriter, r *http.Request) bool {
	r.ParseForm()
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.FormValue("token")
	}
	if tok != s.o.Token {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return false
	}
	return true
}

// lookup finds a channel by id, or by name when byName; s.mu held.
func (s *Server) lookup(ref string, byName bool) *channel {
	if ch := s.byID[ref]; ch != nil {
		return ch
	}
	if !byName {
		return nil
	}
	name := strings.TrimPrefix(ref, "#")
	for _, ch := range s.channels {
		if ch.name == name {
			return ch
		}
	}
	return nil
}

// consult asks the script about a call and counts it; s.mu held.
func (s *Server) consult(c Call) (Call, Action) {
	s.calls[c.Method]++
	c.N = s.calls[c.Method]
	s.notify()
	if s.script == nil {
		return c, Proceed
	}
	return c, s.script(c)
}

// answerFault writes the answer for a failing action and reports whether
// it did; s.mu must not be held.
func answerFault(w http.ResponseWriter, a Action) bool {
	switch a {
	case Fail500:
		w.WriteHeader(http.StatusInternalServerError)
		return true
	case RateLimit:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	if code, ok := strings.CutPrefix(string(a), "error:"); ok {
		writeJSON(w, map[string]any{"ok": false, "error": code})
		return true
	}
	return false
}

func (s *Server) nextTS(ch *channel) string {
	now := s.o.Now()
	if !now.After(ch.lastTS) {
		now = ch.lastTS.Add(time.Microsecond)
	}
	now = now.Truncate(time.Microsecond)
	ch.lastTS = now
	return formatTS(now)
}

func formatTS(t time.Time) string { return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000) }

func parseTS(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// cmpTS compares two ts by their numeric value.
func cmpTS(a, b string) int {
	fa, _ := parseTS(a)
	fb, _ := parseTS(b)
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}

func metadataOf(r *http.Request) *Metadata {
	raw := r.FormValue("metadata")
	if raw == "" {
		return nil
	}
	var md Metadata
	if json.Unmarshal([]byte(raw), &md) != nil || md.EventType == "" {
		return nil
	}
	return &md
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	s.incoming++
	if s.latency != nil {
		d := s.latency(s.incoming)
		s.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	ch := s.lookup(r.FormValue("channel"), true)
	switch {
	case ch == nil:
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	case ch.archived:
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "is_archived"})
		return
	case ch.outside:
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "not_in_channel"})
		return
	}
	if s.o.Interval > 0 && !ch.lastPost.IsZero() {
		if wait := time.Until(ch.lastPost.Add(s.o.Interval)); wait > 0 {
			s.n429++
			s.notify()
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
	}
	md := metadataOf(r)
	threadTS := r.FormValue("thread_ts")
	call, action := s.consult(Call{Method: "chat.postMessage", Channel: r.FormValue("channel"), ChannelID: ch.id,
		ThreadTS: threadTS, Key: (&Message{Metadata: md}).Key()})
	onAnswered := s.onAnswered
	release := s.release
	if action == Stall {
		s.stalled++
		s.notify()
		s.mu.Unlock()
		select {
		case <-release:
			w.WriteHeader(http.StatusInternalServerError)
		case <-r.Context().Done():
		}
		s.mu.Lock()
		s.stalled--
		s.notify()
		s.mu.Unlock()
		return
	}
	if answerFault(w, action) {
		s.mu.Unlock()
		return
	}
	if threadTS != "" {
		if p := findMsg(ch, threadTS); p == nil || p.ThreadTS != "" {
			s.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "error": "thread_not_found"})
			return
		}
	}
	ch.lastPost = time.Now()
	m := &Message{ChannelID: ch.id, TS: s.nextTS(ch), ThreadTS: threadTS, Text: r.FormValue("text"),
		Blocks: json.RawMessage(r.FormValue("blocks")), Metadata: md}
	ch.msgs = append(ch.msgs, m)
	s.notify()
	answer := map[string]any{"ok": true, "channel": ch.id, "ts": m.TS, "message": map[string]any{"type": "message", "ts": m.TS, "text": m.Text}}
	switch action {
	case AcceptThen500:
		s.mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		return
	case Hold:
		s.held++
		s.notify()
		s.mu.Unlock()
		select {
		case <-release:
			writeJSON(w, answer)
		case <-r.Context().Done():
		}
		s.mu.Lock()
		s.held--
		s.notify()
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	writeJSON(w, answer)
	flush(w)
	if onAnswered != nil {
		onAnswered(call)
	}
}

func notFound(ch *channel) string {
	if ch != nil && ch.outside {
		return "not_in_channel"
	}
	return "channel_not_found"
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func findMsg(ch *channel, ts string) *Message {
	for _, m := range ch.msgs {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	ch := s.lookup(r.FormValue("channel"), false)
	if ch == nil {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	call, action := s.consult(Call{Method: "chat.update", Channel: r.FormValue("channel"), ChannelID: ch.id, Key: (&Message{Metadata: metadataOf(r)}).Key()})
	onAnswered := s.onAnswered
	if answerFault(w, action) {
		s.mu.Unlock()
		return
	}
	m := findMsg(ch, r.FormValue("ts"))
	if m == nil {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	if b := r.FormValue("blocks"); b != "" {
		m.Blocks = json.RawMessage(b)
	}
	m.Text = r.FormValue("text")
	if md := metadataOf(r); md != nil {
		m.Metadata = md
	}
	m.Updates++
	s.notify()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "channel": ch.id, "ts": m.TS, "text": m.Text})
	flush(w)
	if onAnswered != nil {
		onAnswered(call)
	}
}

func (s *Server) postEphemeral(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.lookup(r.FormValue("channel"), true)
	if ch == nil {
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	if r.FormValue("user") == "" {
		writeJSON(w, map[string]any{"ok": false, "error": "user_not_in_channel"})
		return
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{ChannelID: ch.id, User: r.FormValue("user"), Text: r.FormValue("text")})
	s.notify()
	writeJSON(w, map[string]any{"ok": true, "message_ts": formatTS(s.o.Now())})
}

// page applies limit and cursor (an offset) to n items.
func (s *Server) page(r *http.Request, n int) (start, end int, next string) {
	limit, _ := strconv.Atoi(r.FormValue("limit"))
	if limit <= 0 || limit > s.o.PageSize {
		limit = s.o.PageSize
	}
	if c := r.FormValue("cursor"); c != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(c, "offset:"))
	}
	start = min(max(start, 0), n)
	end = min(start+limit, n)
	if end < n {
		next = fmt.Sprintf("offset:%d", end)
	}
	return start, end, next
}

func (s *Server) wire(ch *channel, m *Message, withMetadata bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": "UBOT"}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		out["parent_user_id"] = "UBOT"
	} else {
		replies, latest := 0, ""
		for _, o := range ch.msgs {
			if o.ThreadTS == m.TS {
				replies++
				latest = o.TS
			}
		}
		if replies > 0 {
			out["thread_ts"] = m.TS
			out["reply_count"] = replies
			out["latest_reply"] = latest
		}
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

// inRange applies oldest (exclusive unless inclusive) and latest.
func inRange(ts string, r *http.Request) bool {
	inclusive := r.FormValue("inclusive") == "true" || r.FormValue("inclusive") == "1"
	if o := r.FormValue("oldest"); o != "" {
		c := cmpTS(ts, o)
		if c < 0 || (c == 0 && !inclusive) {
			return false
		}
	}
	if l := r.FormValue("latest"); l != "" {
		c := cmpTS(ts, l)
		if c > 0 || (c == 0 && !inclusive) {
			return false
		}
	}
	return true
}

func withMetadata(r *http.Request) bool {
	v := r.FormValue("include_all_metadata")
	return v == "true" || v == "1"
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	ch := s.lookup(r.FormValue("channel"), false)
	if ch == nil || ch.outside {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": notFound(ch)})
		return
	}
	_, action := s.consult(Call{Method: "conversations.history", Channel: r.FormValue("channel"), ChannelID: ch.id})
	if answerFault(w, action) {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	var top []*Message
	for i := len(ch.msgs) - 1; i >= 0; i-- { // newest first, as Slack
		m := ch.msgs[i]
		if m.ThreadTS == "" && inRange(m.TS, r) {
			top = append(top, m)
		}
	}
	start, end, next := s.page(r, len(top))
	msgs := []map[string]any{}
	for _, m := range top[start:end] {
		msgs = append(msgs, s.wire(ch, m, withMetadata(r)))
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Server) replies(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	ch := s.lookup(r.FormValue("channel"), false)
	if ch == nil || ch.outside {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": notFound(ch)})
		return
	}
	_, action := s.consult(Call{Method: "conversations.replies", Channel: r.FormValue("channel"), ChannelID: ch.id, ThreadTS: r.FormValue("ts")})
	if answerFault(w, action) {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock()
	parent := findMsg(ch, r.FormValue("ts"))
	if parent == nil {
		writeJSON(w, map[string]any{"ok": false, "error": "thread_not_found"})
		return
	}
	if parent.ThreadTS != "" {
		parent = findMsg(ch, parent.ThreadTS) // a reply's ts gives its thread
	}
	var replies []*Message
	for _, m := range ch.msgs {
		if m.ThreadTS == parent.TS && inRange(m.TS, r) {
			replies = append(replies, m)
		}
	}
	start, end, next := s.page(r, len(replies))
	msgs := []map[string]any{s.wire(ch, parent, withMetadata(r))} // the parent first, on every page
	for _, m := range replies[start:end] {
		msgs = append(msgs, s.wire(ch, m, withMetadata(r)))
	}
	writeJSON(w, map[string]any{"ok": true, "messages": msgs, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Server) channelJSON(ch *channel) map[string]any {
	return map[string]any{"id": ch.id, "name": ch.name, "is_channel": !ch.private, "is_group": ch.private,
		"is_private": ch.private, "is_archived": ch.archived, "is_member": !ch.outside}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, action := s.consult(Call{Method: "conversations.list"})
	if answerFault(w, action) {
		return
	}
	types := strings.Split(r.FormValue("types"), ",")
	if r.FormValue("types") == "" {
		types = []string{"public_channel"}
	}
	var match []*channel
	for _, ch := range s.channels {
		kind := "public_channel"
		if ch.private {
			kind = "private_channel"
		}
		if !slices.Contains(types, kind) || (ch.archived && r.FormValue("exclude_archived") == "true") || (ch.private && ch.outside) {
			continue
		}
		match = append(match, ch)
	}
	start, end, next := s.page(r, len(match))
	out := []map[string]any{}
	for _, ch := range match[start:end] {
		out = append(out, s.channelJSON(ch))
	}
	writeJSON(w, map[string]any{"ok": true, "channels": out, "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.lookup(r.FormValue("channel"), false)
	if ch == nil {
		writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	_, action := s.consult(Call{Method: "conversations.info", Channel: r.FormValue("channel"), ChannelID: ch.id})
	if answerFault(w, action) {
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": s.channelJSON(ch)})
}

func (s *Server) groupUsers(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, action := s.consult(Call{Method: "usergroups.users.list"})
	if answerFault(w, action) {
		return
	}
	users, ok := s.groups[r.FormValue("usergroup")]
	if !ok {
		writeJSON(w, map[string]any{"ok": false, "error": "no_such_subteam"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "users": users})
}

func (s *Server) authTest(w http.ResponseWriter, r *http.Request) {
	if !s.authed(w, r) {
		return
	}
	writeJSON(w, map[string]any{"ok": true, "team_id": "T0FAKE", "user_id": "UBOT", "bot_id": "BFAKE"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// KeyCounts says how many messages, in every channel, carry each metadata
// key.
func (s *Server) KeyCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, ch := range s.channels {
		for _, m := range ch.msgs {
			if k := m.Key(); k != "" {
				out[k]++
			}
		}
	}
	return out
}

// AllMessages returns every channel's messages, by channel then ts.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	sort.Strings(ids)
	var out []Message
	for _, id := range ids {
		out = append(out, s.Messages(id)...)
	}
	return out
}
