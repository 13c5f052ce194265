package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/clock"
)

// TestUsersAndReviewServer creates accounts with `users`, starts `run`'s
// daemon with -review, and reaches the UI and the API with what `users`
// made.
func TestUsersAndReviewServer(t *testing.T) {
	feed := &feedServer{}
	feed.set(item("m1", "Météo", lawful, satPub))
	fsrv := httptest.NewServer(feed)
	defer fsrv.Close()
	dir := t.TempDir()
	cfgPath, storePath := storeConfig(t, dir, fsrv.URL)
	users := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Now: time.Now,
			LookupEnv: func(string) (string, bool) { return "", false }}
		code := Main(context.Background(), append([]string{"users"}, append(args, "-config", cfgPath)...), env)
		return code, out.String(), errb.String()
	}
	if code, _, stderr := users("long enough password\n", "add", "-name", "ed", "-role", "reviewer"); code != ExitUsage || !strings.Contains(stderr, "no store") {
		t.Errorf("users add without a store: %d %q", code, stderr)
	}
	cfg := daemonConfig(t, fsrv.URL, storePath)
	st, _, err := openDaemonStore(context.Background(), storePath, true)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"long enough password\n", []string{"add", "-name", "ed", "-role", "reviewer"}, ExitOK, "added ed (reviewer)"},
		{"another long password\n", []string{"add", "-name", "vi", "-role", "viewer"}, ExitOK, "added vi (viewer)"},
		{"long enough password\n", []string{"add", "-name", "ed", "-role", "admin"}, ExitUsage, ""},
		{"short\n", []string{"add", "-name", "x", "-role", "admin"}, ExitUsage, ""},
		{"", []string{"add", "-name", "x", "-role", "admin"}, ExitUsage, ""},
		{"long enough password\n", []string{"add", "-name", "x", "-role", "boss"}, ExitUsage, ""},
		{"", []string{"add", "-name", "x", "-role", "viewer", "-password", "p"}, ExitUsage, ""},
		{"", []string{"list"}, ExitOK, "ed    reviewer"},
		{"", []string{"remove", "-name", "vi"}, ExitOK, "removed vi"},
		{"", []string{"remove", "-name", "vi"}, ExitUsage, ""},
		{"", []string{"token", "-name", "nobody"}, ExitUsage, ""},
		{"", []string{"frobnicate"}, ExitUsage, ""},
	} {
		code, out, stderr := users(tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("users %v: exit %d, stdout %q, stderr %q; want %d and %q", tc.args, code, out, stderr, tc.code, tc.out)
		}
		if strings.Contains(out+stderr, "long enough password") {
			t.Errorf("users %v printed the password", tc.args)
		}
	}
	if _, out, _ := users("", "list"); strings.Contains(out, "vi ") {
		t.Errorf("a removed account is listed:\n%s", out)
	}
	code, token, _ := users("", "token", "-name", "ed")
	token = strings.TrimSpace(token)
	if code != ExitOK || len(token) < 40 {
		t.Fatalf("users token: %d %q", code, token)
	}

	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Daemon(ctx, DaemonOptions{Config: cfg, Clock: clock.Real{}, Alerts: io.Discard,
			Logger: slog.New(slog.DiscardHandler), Review: "127.0.0.1:0", ReviewReady: func(a string) { addrs <- a }})
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("daemon: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the review UI did not start")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get("http://" + addr + "/")
	if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("GET / anonymously: %v %v", resp, err)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/findings", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/findings with the token: %v %v", resp, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop")
	}
}
