package app

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/silencewatch/silencewatch/clock"
)

// recordHandler is a slog.Handler that keeps every record, for tests.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

// messages returns the messages logged at level.
func (h *recordHandler) messages(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level == level {
			out = append(out, r.Message)
		}
	}
	return out
}

// TestRunWarnsOfUnsetSecrets runs the daemon on the example config with
// neither Slack variable set: each is named at WARN with what it means.
func TestRunWarnsOfUnsetSecrets(t *testing.T) {
	feed := &feedServer{}
	feed.set(item("w1", "Météo", lawful, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	cfg := daemonConfig(t, srv.URL, filepath.Join(t.TempDir(), "sw.db"))
	h := &recordHandler{}
	err := Daemon(context.Background(), DaemonOptions{Config: cfg, Clock: clock.Real{}, Alerts: &syncBuffer{},
		Logger: slog.New(h), Once: true, InitStore: true})
	if err != nil {
		t.Fatal(err)
	}
	warns := h.messages(slog.LevelWarn)
	for _, want := range []string{
		"slack.token: ${SLACK_BOT_TOKEN} is not set: alerts go to the console",
		"slack.app_token: ${SLACK_APP_TOKEN} is not set: the verdict buttons (Socket Mode) are off",
	} {
		if !slices.Contains(warns, want) {
			t.Errorf("no WARN %q; warnings:\n%s", want, strings.Join(warns, "\n"))
		}
	}
}
