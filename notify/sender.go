package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/terminal"
)

// Sender posts messages to a channel. Post returns the message's id (a
// Slack ts).
type Sender interface {
	Post(ctx context.Context, channel string, m Message) (ts string, err error)
	// Update replaces a message's content; senders that cannot (webhooks,
	// the console) do nothing.
	Update(ctx context.Context, channel, ts string, m Message) error
	// Recent lists silencewatch's messages posted after since, with the
	// alerts each carried: at the channel's top level when threadTS is "",
	// else the replies in that thread. An attempt whose answer was lost is
	// so recognised instead of posted twice. ErrCannotLook when the sender
	// has no way to look.
	Recent(ctx context.Context, channel, threadTS string, since time.Time) ([]Posted, error)
	// Threads reports whether replies in threads are possible.
	Threads() bool
}

// Posted is a message found in a channel.
type Posted struct {
	TS       string
	ThreadTS string
	Key      string
	AlertIDs []int64
}

// ErrCannotLook is returned by Recent when the sender cannot read back
// what it posted (an incoming webhook).
var ErrCannotLook = errors.New("notify: this sender cannot read its channel back")

// Kind says what a failed send means for the alert.
type Kind int

// Kinds of send failure.
const (
	RateLimited Kind = iota + 1 // wait RetryAfter, then send again
	Transient                   // server or network trouble: back off and retry
	Permanent                   // bad token, unknown channel: retrying cannot help
)

// SendError is a failed send, classified.
type SendError struct {
	Kind       Kind
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// permanentCodes are Slack error codes no retry can fix.
var permanentCodes = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "channel_not_found": true,
	"not_in_channel": true, "is_archived": true, "msg_too_long": true, "invalid_blocks": true,
	"invalid_blocks_format": true, "no_text": true, "restricted_action": true, "team_access_not_granted": true,
	"invalid_metadata_format": true, "invalid_metadata_schema": true, "message_not_found": true,
	"cant_update_message": true, "edit_window_closed": true, "invalid_arguments": true,
}

// classify turns a slack-go error into a SendError with the secret
// scrubbed from its text.
func classify(err error, secrets ...config.Secret) *SendError {
	scrubbed := scrub(err, secrets...)
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return &SendError{Kind: RateLimited, RetryAfter: rl.RetryAfter, Err: scrubbed}
	case errors.As(err, &sc):
		switch {
		case sc.Code == http.StatusTooManyRequests:
			return &SendError{Kind: RateLimited, RetryAfter: time.Second, Err: scrubbed}
		case sc.Code >= 500 || sc.Code == http.StatusRequestTimeout:
			return &SendError{Kind: Transient, Err: scrubbed}
		}
		return &SendError{Kind: Permanent, Err: scrubbed}
	case errors.As(err, &se):
		if se.Err == "ratelimited" {
			return &SendError{Kind: RateLimited, RetryAfter: time.Second, Err: scrubbed}
		}
		if permanentCodes[se.Err] {
			return &SendError{Kind: Permanent, Err: scrubbed}
		}
		return &SendError{Kind: Transient, Err: scrubbed}
	}
	// Network errors, timeouts, malformed answers: the post may or may
	// not have landed; the outbox checks before sending again.
	return &SendError{Kind: Transient, Err: scrubbed}
}

// webhookStatus reads the status code slack-go puts in webhook errors.
var webhookStatus = regexp.MustCompile(`status code: (\d{3})`)

// scrub removes every secret's value from an error's text: slack-go
// errors may quote the request URL, which for a webhook is the secret.
func scrub(err error, secrets ...config.Secret) error {
	msg := err.Error()
	for _, s := range secrets {
		if v := s.Reveal(); v != "" {
			msg = strings.ReplaceAll(msg, v, "<secret>")
		}
	}
	return errors.New("notify: slack: " + msg)
}

// Slack sends with a bot token through chat.postMessage and chat.update,
// and reads its channels back with conversations.history and
// conversations.replies. Those two and chat.update take a channel id
// only: channels configured by name are resolved at start-up
// (ResolveChannels) and the ids kept in the store.
type Slack struct {
	client *slack.Client
	token  config.Secret
	mu     sync.Mutex
	ids    map[string]string // configured channel → id
}

// NewSlack makes a bot-token sender. apiURL overrides Slack's API base
// (tests, proxies, enterprise gateways); httpClient may be nil.
func NewSlack(token config.Secret, apiURL string, httpClient *http.Client) *Slack {
	opts := []slack.Option{}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(withSlash(apiURL)))
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	opts = append(opts, slack.OptionHTTPClient(httpClient))
	return &Slack{client: slack.New(token.Reveal(), opts...), token: token, ids: map[string]string{}}
}

// Client returns the underlying slack-go client (for Socket Mode).
func (s *Slack) Client() *slack.Client { return s.client }

// channelIDPattern is what a Slack conversation id looks like: public or
// private channel (C, G) or direct message (D), upper-case. Channel names
// are lower-case.
var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

// IsChannelID reports whether a configured channel is an id, not a name.
func IsChannelID(channel string) bool { return channelIDPattern.MatchString(channel) }

// SetChannelID records the id of a configured channel.
func (s *Slack) SetChannelID(channel, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[channel] = id
}

// ChannelID returns the id of a configured channel: itself for an id, the
// resolved id for a name; false for a name not resolved.
func (s *Slack) ChannelID(channel string) (string, bool) {
	if IsChannelID(channel) {
		return channel, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ids[channel]
	return id, ok
}

// ErrUnresolved is returned (as a transient SendError) for a channel
// configured by name whose id is not known: retrying after resolution
// helps, reading the channel by name cannot.
var ErrUnresolved = errors.New("notify: slack: channel name not resolved to an id")

func (s *Slack) needID(channel string) (string, error) {
	if id, ok := s.ChannelID(channel); ok {
		return id, nil
	}
	return "", &SendError{Kind: Transient, Err: fmt.Errorf("%w: %q", ErrUnresolved, channel)}
}

func (s *Slack) msgOptions(m Message) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: metadataEventType, EventPayload: map[string]any{"key": m.Key, "alerts": idsPayload(m.Key)},
		}))
	}
	return opts
}

// Post sends with chat.postMessage, to the channel's id when known (a
// renamed channel still works), else to its name.
func (s *Slack) Post(ctx context.Context, channel string, m Message) (string, error) {
	target := channel
	if id, ok := s.ChannelID(channel); ok {
		target = id
	}
	_, ts, err := s.client.PostMessageContext(ctx, target, s.msgOptions(m)...)
	if err != nil {
		return "", classify(err, s.token)
	}
	return ts, nil
}

// Update edits with chat.update, which needs the channel's id.
func (s *Slack) Update(ctx context.Context, channel, ts string, m Message) error {
	id, err := s.needID(channel)
	if err != nil {
		return err
	}
	m.ThreadTS = "" // chat.update edits in place
	if _, _, _, err := s.client.UpdateMessageContext(ctx, id, ts, s.msgOptions(m)...); err != nil {
		return classify(err, s.token)
	}
	return nil
}

// Ephemeral shows text to one user in a channel (chat.postEphemeral).
func (s *Slack) Ephemeral(ctx context.Context, channelID, user, text string) error {
	if _, err := s.client.PostEphemeralContext(ctx, channelID, user, slack.MsgOptionText(text, false)); err != nil {
		return classify(err, s.token)
	}
	return nil
}

// GroupMembers lists a user group's members (usergroups.users.list).
func (s *Slack) GroupMembers(ctx context.Context, group string) ([]string, error) {
	users, err := s.client.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, classify(err, s.token)
	}
	return users, nil
}

// Threads is true: a bot token can reply in threads and edit.
func (s *Slack) Threads() bool { return true }

// Recent reads the channel's history after since (threadTS ""), or the
// replies after since in the thread threadTS, keeping the messages
// silencewatch posted. Both need the channel's id.
func (s *Slack) Recent(ctx context.Context, channel, threadTS string, since time.Time) ([]Posted, error) {
	id, err := s.needID(channel)
	if err != nil {
		return nil, err
	}
	oldest := slackTS(since)
	if threadTS != "" {
		return s.replies(ctx, id, threadTS, oldest)
	}
	var out []Posted
	cursor := ""
	for {
		resp, err := s.client.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: id, Oldest: oldest, Limit: 200, Cursor: cursor, IncludeAllMetadata: true,
		})
		if err != nil {
			return nil, classify(err, s.token)
		}
		for _, msg := range resp.Messages {
			if p, ok := posted(msg); ok {
				out = append(out, p)
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return out, nil
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
}

func (s *Slack) replies(ctx context.Context, channelID, ts, oldest string) ([]Posted, error) {
	var out []Posted
	cursor := ""
	for {
		msgs, more, next, err := s.client.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channelID, Timestamp: ts, Oldest: oldest, Limit: 200, Cursor: cursor, IncludeAllMetadata: true,
		})
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "thread_not_found" {
			return nil, nil // the parent is gone: nothing can be in its thread
		}
		if err != nil {
			return nil, classify(err, s.token)
		}
		for _, msg := range msgs {
			if msg.Timestamp == ts {
				continue // the parent comes back first
			}
			if p, ok := posted(msg); ok {
				p.ThreadTS = ts
				out = append(out, p)
			}
		}
		if !more || next == "" {
			return out, nil
		}
		cursor = next
	}
}

func posted(msg slack.Message) (Posted, bool) {
	md := msg.Metadata
	if md.EventType != metadataEventType {
		return Posted{}, false
	}
	p := Posted{TS: msg.Timestamp, ThreadTS: msg.ThreadTimestamp}
	if p.ThreadTS == p.TS {
		p.ThreadTS = ""
	}
	p.Key, _ = md.EventPayload["key"].(string)
	p.AlertIDs = parseIDs(p.Key)
	return p, true
}

// slackTS renders t as a Slack timestamp ("seconds.micros").
func slackTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// Message keys name the alerts a message carries: "alert:12" or
// "batch:12,13,14", so a lost answer can be matched to its alerts.
func alertKey(id int64) string { return fmt.Sprintf("alert:%d", id) }

func batchKey(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "batch:" + strings.Join(parts, ",")
}

func parseIDs(key string) []int64 {
	_, list, ok := strings.Cut(key, ":")
	if !ok || (!strings.HasPrefix(key, "alert:") && !strings.HasPrefix(key, "batch:")) {
		return nil
	}
	var out []int64
	for _, p := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func idsPayload(key string) []any {
	var out []any
	for _, id := range parseIDs(key) {
		out = append(out, id)
	}
	return out
}

// Webhook sends through an incoming webhook: no threads, no edits, and no
// way to read back, so a post whose answer is lost may be repeated.
type Webhook struct {
	url    config.Secret
	client *http.Client
}

// NewWebhook makes a webhook sender.
func NewWebhook(url config.Secret, httpClient *http.Client) *Webhook {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Webhook{url: url, client: httpClient}
}

// Post sends the message; the channel is the webhook's own.
func (w *Webhook) Post(ctx context.Context, channel string, m Message) (string, error) {
	msg := &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}}
	if err := slack.PostWebhookCustomHTTPContext(ctx, w.url.Reveal(), w.client, msg); err != nil {
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			if mm := webhookStatus.FindStringSubmatch(err.Error()); mm != nil {
				code, _ := strconv.Atoi(mm[1])
				err = slack.StatusCodeError{Code: code, Status: scrub(err, w.url).Error()}
			}
		}
		return "", classify(err, w.url)
	}
	return "webhook", nil
}

// Update is not possible through a webhook.
func (w *Webhook) Update(context.Context, string, string, Message) error { return nil }

// Recent is not possible through a webhook.
func (w *Webhook) Recent(context.Context, string, string, time.Time) ([]Posted, error) {
	return nil, ErrCannotLook
}

// Threads is false for webhooks.
func (w *Webhook) Threads() bool { return false }

// Console prints each message's plain text, for a terminal or a log. It
// has no threads, but says what a follow-up follows: a message the outbox
// would put in a thread prints with its lead ("updated: ", "same story: ",
// "same article: ") instead of as a new alert.
type Console struct {
	mu sync.Mutex
	W  io.Writer
	// Beside, when set, shows every time of an alert also in a second
	// zone (the demo: the scenario speaks in Paris time).
	Beside Beside
	n      int
	run    string // distinguishes this console's message ids from another's
}

// ConsoleWriter is a console's writer with display options: given as
// Options.Console, the console it makes shows times Beside a second zone.
type ConsoleWriter struct {
	W      io.Writer
	Beside Beside
}

func (w *ConsoleWriter) Write(p []byte) (int, error) { return w.W.Write(p) }

// newConsole makes the console for a writer (a *ConsoleWriter gives its
// options).
func newConsole(w io.Writer) *Console {
	if cw, ok := w.(*ConsoleWriter); ok {
		return &Console{W: cw.W, Beside: cw.Beside}
	}
	return &Console{W: w}
}

// Post prints the message.
func (c *Console) Post(ctx context.Context, channel string, m Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run == "" {
		c.run = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	c.n++
	text := m.Plain
	switch {
	case m.plainOf != nil && c.Beside.Loc != nil:
		text = m.plainLead + plainText(m.plainOf, c.Beside)
	case text == "":
		text = m.Text
	}
	// Article text is the outlet's: no escape sequence of its reaches the
	// operator's terminal.
	if _, err := io.WriteString(c.W, terminal.Clean(text)+"\n"); err != nil {
		return "", &SendError{Kind: Transient, Err: fmt.Errorf("notify: console: %w", err)}
	}
	// The id is unique across consoles (a restart, the demo's drain), as
	// the outbox finds a follow-up's root by it.
	return fmt.Sprintf("console-%s-%d", c.run, c.n), nil
}

// Update prints nothing: the console keeps what it printed, and the
// follow-up that made the edit necessary (a syndicated copy) printed as
// such.
func (c *Console) Update(context.Context, string, string, Message) error { return nil }

// Recent cannot look back, and needs not: a console write does not get
// lost half-way.
func (c *Console) Recent(context.Context, string, string, time.Time) ([]Posted, error) {
	return nil, nil
}

// Threads is true: the outbox finds each follow-up's root, and the console
// prints the follow-up marked as one (its ThreadTS is ignored).
func (c *Console) Threads() bool { return true }
