package app

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/config"
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
