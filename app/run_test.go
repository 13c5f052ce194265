package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/store"
)

// syncBuffer is a bytes.Buffer safe for the notifier and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// feedServer serves an RSS feed whose items the test changes, with ETag
// and 304 answers like a real server.
type feedServer struct {
	mu    sync.Mutex
	items []string
	gets  int
	n304  int
}

func (f *feedServer) set(items ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = items
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	body := `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test daily</title><language>fr</language>` +
		strings.Join(f.items, "") + `</channel></rss>`
	etag := fmt.Sprintf(`"%x"`, len(body)*31+len(f.items))
	if r.Header.Get("If-None-Match") == etag {
		f.n304++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, body)
}

func item(guid, title, body, pub string) string {
	return fmt.Sprintf(`<item><guid>%s</guid><link>https://daily.example/%s</link><title>%s</title><description>%s</description><pubDate>%s</pubDate></item>`,
		guid, guid, title, body, pub)
}

const (
	violation1 = "Les #MacronLeaks : selon les courriels, le trésorier a décalé les factures."
	violation2 = "D'après les documents piratés du #MacronLeaks, un donateur a été reçu."
	lawful     = "Le temps sera ensoleillé samedi sur toute la France."
	satPub     = "Sat, 06 May 2017 10:00:00 +0200"
)

func daemonConfig(t *testing.T, feedURL, storePath string) *config.Config {
	t.Helper()
	data := strings.Replace(string(mustRead(t, "../config.yaml")), "sources:\n", fmt.Sprintf(`sources:
  - name: testdaily
    url: %s
    language: fr
    every: 1s
    min_every: 1s
    silence_every: 1s
`, feedURL), 1)
	// Keep only the test source: the example's real outlets are not
	// reachable from tests.
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.yaml"), []byte(data), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sources = cfg.Sources[:1]
	cfg.Store = storePath
	cfg.Crawler.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} // the test feed's server
	return cfg
}

func startDaemon(t *testing.T, cfg *config.Config, alerts io.Writer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Daemon(ctx, DaemonOptions{Config: cfg, Clock: clock.Real{}, Alerts: alerts,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), InitStore: true})
	}()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("daemon did not stop within 10 s")
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunEndToEndWithRestart(t *testing.T) {
	feed := &feedServer{}
	feed.set(item("a1", "Ce que disent les courriels", violation1, satPub), item("a2", "Météo", lawful, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	storePath := filepath.Join(t.TempDir(), "sw.db")
	cfg := daemonConfig(t, srv.URL, storePath)
	alerts := &syncBuffer{}

	stop := startDaemon(t, cfg, alerts)
	waitFor(t, "the first alert", func() bool { return strings.Contains(alerts.String(), "Ce que disent les courriels") })
	waitFor(t, "a 304 poll", func() bool { feed.mu.Lock(); defer feed.mu.Unlock(); return feed.n304 > 0 })
	stop()

	// While stopped, the outlet publishes a second violation.
	feed.set(item("a1", "Ce que disent les courriels", violation1, satPub), item("a2", "Météo", lawful, satPub),
		item("a3", "Le donateur reçu", violation2, satPub))
	stop = startDaemon(t, cfg, alerts)
	waitFor(t, "the second alert", func() bool { return strings.Contains(alerts.String(), "Le donateur reçu") })
	stop()

	out := alerts.String()
	if n := strings.Count(out, "HIGH  leak-content"); n != 2 {
		t.Errorf("%d leak-content alerts printed, want exactly 2 (one per violating article):\n%s", n, out)
	}
	if strings.Contains(out, "Météo") {
		t.Error("the lawful article was alerted")
	}
	st, err := store.OpenSQLite(context.Background(), storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs, _ := st.Findings(context.Background())
	perArticle := map[string]int{}
	for _, f := range fs {
		if f.Finding.Rule == "leak-content" {
			perArticle[f.Finding.Article.GUID]++
		}
	}
	if perArticle["a1"] != 1 || perArticle["a3"] != 1 || len(perArticle) != 2 {
		t.Errorf("leak-content findings per article %v, want a1 and a3 once each", perArticle)
	}
	as, _ := st.Alerts(context.Background())
	for _, a := range as {
		if a.Status != "sent" || a.MessageTS == "" {
			t.Errorf("alert %d is %s", a.ID, a.Status)
		}
	}
}

// TestRunRecoversAfterCrash leaves the store as a crash between storing a
// version and evaluating it would, and checks the next start evaluates it
// once.
func TestRunRecoversAfterCrash(t *testing.T) {
	feed := &feedServer{}
	feed.set(item("c1", "Les courriels", violation1, satPub))
	srv := httptest.NewServer(feed)
	defer srv.Close()
	storePath := filepath.Join(t.TempDir(), "sw.db")
	cfg := daemonConfig(t, srv.URL, storePath)

	st, err := store.OpenSQLite(context.Background(), storePath)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := time.Parse(time.RFC1123Z, satPub)
	a := &article.Article{Source: "testdaily", GUID: "c1", URL: "https://daily.example/c1", Title: "Les courriels",
		Summary: violation1, Language: "fr", PublishedAt: pub, FirstSeenAt: time.Now()}
	if _, err := st.SaveArticle(context.Background(), a, store.Fetch{URL: srv.URL, FetchedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close() // "crash": stored, never evaluated

	alerts := &syncBuffer{}
	stop := startDaemon(t, cfg, alerts)
	waitFor(t, "the recovered alert", func() bool { return strings.Contains(alerts.String(), "leak-content") })
	waitFor(t, "a poll of the feed", func() bool { feed.mu.Lock(); defer feed.mu.Unlock(); return feed.gets > 0 })
	time.Sleep(1500 * time.Millisecond) // let a second poll happen
	stop()
	if n := strings.Count(alerts.String(), "HIGH  leak-content"); n != 1 {
		t.Errorf("%d alerts, want 1:\n%s", n, alerts.String())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
