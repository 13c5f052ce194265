package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/config"
)

// TestSecretsNeverInErrorsOrLogs forces webhook and bot-token failures
// (an HTTP 500, an unreachable host, a bad token) and checks that neither
// the webhook URL nor the token appears in any error or log line.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()
	const secretPath = "/services/T0000/B0000/XXXXSECRETXXXX"
	st, _ := openStore(t)
	seed(t, st, 2, "webhook", uniqueBody)
	logs := &logBuffer{}
	for _, hook := range []string{failing.URL + secretPath, "http://127.0.0.1:1" + secretPath} {
		w := NewWebhook(config.NewSecret(hook, "test"), &http.Client{Timeout: time.Second})
		_, err := w.Post(context.Background(), "webhook", Message{Text: "x"})
		if err == nil {
			t.Fatal("want an error")
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error leaks the webhook URL: %v", err)
		}
		o := newOutbox(t, st, w, logs)
		o.DeliverDue(context.Background())
	}
	f := newFake(t, 0)
	bad := NewSlack(config.NewSecret("xoxb-111-SECRET-222", "test"), f.URL, nil)
	newOutbox(t, st, bad, logs).DeliverDue(context.Background())
	if _, err := bad.Post(context.Background(), "#a", Message{Text: "x"}); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("bot error: %v", err)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("logs leak a secret:\n%s", logs.String())
	}
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if strings.Contains(a.LastError, "SECRET") {
			t.Errorf("stored error leaks a secret: %s", a.LastError)
		}
	}
	if !strings.Contains(logs.String(), "<secret>") {
		t.Errorf("expected the redaction marker in the logs:\n%s", logs.String())
	}
}
