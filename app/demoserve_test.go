package app

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/crawler"
	"github.com/silencewatch/silencewatch/review"
	"github.com/silencewatch/silencewatch/rules"
	"github.com/silencewatch/silencewatch/store"
)

// TestDemoServe: demo -serve serves the review UI on the night's store and
// prints a reviewer account that can sign in.
func TestDemoServe(t *testing.T) {
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = filepath.Join(t.TempDir(), "demo.db")
	st, err := store.OpenSQLite(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	var out, errOut syncBuffer
	env := Env{Stdout: &out, Stderr: &errOut, Now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveDemoReview(ctx, cfg, "127.0.0.1:0", env) }()
	var m []string
	waitFor(t, "the review UI's address", func() bool {
		m = regexp.MustCompile(`Review UI: (http://\S+)  \(name (\S+), password (\S+);`).FindStringSubmatch(out.String())
		return m != nil
	})
	base, name, password := strings.TrimSuffix(m[1], "/"), m[2], m[3]
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	buf := make([]byte, 1<<16)
	n, _ := resp.Body.Read(buf)
	page.Write(buf[:n])
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.String())
	if csrf == nil {
		t.Fatalf("no login form:\n%s", page.String())
	}
	resp, err = c.PostForm(base+"/login", url.Values{"csrf": {csrf[1]}, "name": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Errorf("sign-in with the printed account: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestSelfCheckJudgesAndGuards: the review UI's self-check judges a draft
// as check does, and its URL fetch goes through the address guard.
func TestSelfCheckJudgesAndGuards(t *testing.T) {
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	engine, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	check := selfCheck(cfg, engine, crawler.NewFetcher(crawler.FetcherOptions{Timeout: 2 * time.Second}))
	at := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	got, err := check(context.Background(), review.CheckInput{Title: "Les courriels", Text: violation1, At: at})
	if err != nil || len(got) != 1 || len(got[0].Findings) == 0 || got[0].Findings[0].Rule != "leak-content" {
		t.Fatalf("draft: %+v %v", got, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("a loopback address was fetched") }))
	defer srv.Close()
	if _, err := check(context.Background(), review.CheckInput{URL: srv.URL + "/internal", At: at}); err == nil || !strings.Contains(err.Error(), "address not allowed") {
		t.Errorf("a loopback URL: %v, want the guard's refusal", err)
	}
}
