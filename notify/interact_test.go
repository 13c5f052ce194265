package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/notify/slackfake"
	"github.com/silencewatch/silencewatch/store"
)

// TestSocketModeVerdict connects over Socket Mode to the fake, which
// sends a "False positive" button press: the verdict is stored with the
// user and team, and the outbox edits the alert to show it, keeping its
// outlet count.
func TestSocketModeVerdict(t *testing.T) {
	f := newFake(t, -1)
	st, _ := openStore(t)
	logs := &logBuffer{}
	bot := slackSender(t, f, st, 5*time.Second)
	o := newOutbox(t, st, bot, logs)
	o.Interactive = true
	saveStory(t, st, "lemonde", "a1", story, "k1")
	deliverAll(t, o, st)
	saveStory(t, st, "lefigaro", "b7", story, "k2")
	deliverAll(t, o, st)
	ch := channelOf(t, f, "#alerts")
	posted := f.Messages(ch)[0]
	if !strings.Contains(string(posted.Blocks), `"action_id":"false_positive"`) {
		t.Fatalf("alert has no verdict buttons: %s", posted.Blocks)
	}
	findingID := parseIDs(posted.Key())[0] // alert 1 is finding 1's
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handler := &Verdicts{Store: st, Reply: bot, Clock: clock.Real{}, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Wake: o.Wake}
	done := make(chan struct{})
	go func() {
		RunSocketMode(ctx, config.NewSecret(f.AppToken(), "test"), bot, handler, f.URL, slog.New(slog.NewJSONHandler(logs, nil)))
		close(done)
	}()
	press := slackfake.ButtonPress("U024BE7LH", "T0FAKE", ch, posted.TS, verdictBlockID, ActionFalsePositive, fmt.Sprint(findingID))
	if err := f.Interact(ctx, press); err != nil {
		t.Fatalf("%v; logs: %s", err, logs.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		o.DeliverDue(context.Background())
		msg := f.Messages(ch)[0]
		if msg.Updates > 1 { // the outlet count, then the verdict
			if !strings.Contains(string(msg.Blocks), "Marked false positive by \\u003c@U024BE7LH\\u003e") {
				t.Errorf("alert not edited to show the verdict: %s", msg.Blocks)
			}
			if !strings.Contains(string(msg.Blocks), "Same story at 2 outlets") {
				t.Errorf("the verdict edit lost the outlet count: %s", msg.Blocks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert not edited; logs: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	v, found, _ := st.Verdict(context.Background(), findingID)
	if !found || v.Verdict != ActionFalsePositive || v.User != "U024BE7LH" || v.Team != "T0FAKE" {
		t.Errorf("verdict %+v", v)
	}
	cancel()
	<-done
}

func press(user, team, actionID string, findingID int64) slack.InteractionCallback {
	raw, _ := json.Marshal(slackfake.ButtonPress(user, team, "C00001000", "1.000001", verdictBlockID, actionID, fmt.Sprint(findingID)))
	var cb slack.InteractionCallback
	json.Unmarshal(raw, &cb)
	return cb
}

// TestVerdictAllowList: with slack.verdict_allow, a guest's press is
// refused with an ephemeral reply and logged; a listed user's and a
// listed group member's are recorded, each kept in the history, the
// latest shown. Group membership is cached until it expires.
func TestVerdictAllowList(t *testing.T) {
	f := newFake(t, -1)
	f.SetUserGroup("S0DESK", "U0DESK")
	st, _ := openStore(t)
	ids := seed(t, st, 1, "#alerts", uniqueBody)
	bot := slackSender(t, f, st, 5*time.Second)
	clk := &fastClock{now: time.Now()}
	logs := &logBuffer{}
	v := &Verdicts{Store: st, Reply: bot, Clock: clk, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Allow: NewAllowList([]string{"U0BOSS", "S0DESK"}, bot.GroupMembers, clk)}
	ctx := context.Background()

	if err := v.Handle(ctx, press("U0GUEST", "T0OTHER", ActionFalsePositive, ids[0])); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := st.Verdict(ctx, ids[0]); found {
		t.Fatal("a guest's verdict was recorded")
	}
	eph := f.Ephemerals()
	if len(eph) != 1 || eph[0].User != "U0GUEST" || !strings.Contains(eph[0].Text, "not recorded") {
		t.Errorf("ephemeral replies %+v", eph)
	}
	if !strings.Contains(logs.String(), "verdict refused") || !strings.Contains(logs.String(), "U0GUEST") {
		t.Errorf("refusal not logged: %s", logs.String())
	}

	if err := v.Handle(ctx, press("U0DESK", "T0FAKE", ActionConfirm, ids[0])); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := v.Handle(ctx, press("U0BOSS", "T0FAKE", ActionAcknowledge, ids[0])); err != nil {
		t.Fatal(err)
	}
	latest, _, _ := st.Verdict(ctx, ids[0])
	if latest.Verdict != ActionAcknowledge || latest.User != "U0BOSS" {
		t.Errorf("latest verdict %+v", latest)
	}
	hist, err := st.VerdictHistory(ctx, ids[0])
	if err != nil || len(hist) != 2 || hist[0].User != "U0DESK" || hist[0].Team != "T0FAKE" || hist[1].User != "U0BOSS" {
		t.Errorf("history %+v %v", hist, err)
	}

	// Membership is cached: the desk member leaving shows only once the
	// cache expires.
	f.SetUserGroup("S0DESK")
	if err := v.Handle(ctx, press("U0DESK", "T0FAKE", ActionConfirm, ids[0])); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("usergroups.users.list"); n != 1 {
		t.Errorf("%d group look-ups within the cache's life", n)
	}
	clk.Advance(DefaultGroupTTL)
	if err := v.Handle(ctx, press("U0DESK", "T0FAKE", ActionFalsePositive, ids[0])); err != nil {
		t.Fatal(err)
	}
	if hist, _ := st.VerdictHistory(ctx, ids[0]); len(hist) != 3 {
		t.Errorf("%d verdicts, want 3: a member who left was allowed after the cache expired", len(hist))
	}
	if n := len(f.Ephemerals()); n != 2 {
		t.Errorf("%d ephemeral replies, want 2", n)
	}
}

// blockingVerdicts holds SetVerdict until released.
type blockingVerdicts struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	written bool
}

func (b *blockingVerdicts) SetVerdict(ctx context.Context, id int64, v store.Verdict) error {
	close(b.entered)
	<-b.release
	b.mu.Lock()
	b.written = true
	b.mu.Unlock()
	return ctx.Err()
}

func (b *blockingVerdicts) RefreshFinding(ctx context.Context, id int64) (int, error) { return 0, nil }

// TestSocketModeWaitsForVerdict: when the daemon stops while a press is
// being recorded, RunSocketMode returns only once the verdict is written
// (the daemon closes the store after it returns), and the write is not
// cancelled.
func TestSocketModeWaitsForVerdict(t *testing.T) {
	f := newFake(t, -1)
	st, _ := openStore(t)
	bot := slackSender(t, f, st, 5*time.Second)
	bs := &blockingVerdicts{entered: make(chan struct{}), release: make(chan struct{})}
	handler := &Verdicts{Store: bs, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		RunSocketMode(ctx, config.NewSecret(f.AppToken(), "test"), bot, handler, f.URL, slog.New(slog.DiscardHandler))
		close(done)
	}()
	if err := f.Interact(ctx, slackfake.ButtonPress("U1", "T1", "C00001000", "1.0", verdictBlockID, ActionConfirm, "1")); err != nil {
		t.Fatal(err)
	}
	<-bs.entered
	cancel()
	select {
	case <-done:
		t.Fatal("RunSocketMode returned while a verdict was being written")
	case <-time.After(time.Second):
	}
	close(bs.release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunSocketMode did not return")
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if !bs.written {
		t.Error("the verdict was not written")
	}
}
