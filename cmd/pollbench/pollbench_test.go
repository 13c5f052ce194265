package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/crawler"
)

// TestMain lets the test binary be the feed server too: run re-executes
// os.Executable(), which under go test is this binary.
func TestMain(m *testing.M) {
	if params, ok := os.LookupEnv(childEnv); ok {
		os.Exit(serveMain(params))
	}
	os.Exit(m.Run())
}

var published = time.Date(2017, 5, 6, 8, 0, 0, 0, time.FixedZone("CEST", 2*3600))

// TestRunSmall runs the whole benchmark, child process included, on 50
// feeds and expects its counts check to pass.
func TestRunSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	o := options{Feeds: 50, Items: 10, Workers: 8, PerHost: 8, Config: "../../config.yaml", Published: published, Gzip: true}
	code := run(t.Context(), o, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, &stdout, &stderr)
	}
	// Which feeds the cadence checks in full in cycles 2 and 3 follows
	// from their names: the same every run.
	c2, c3 := checksDue(50)
	if c2+c3 == 0 {
		t.Errorf("no validator check in cycles 2 and 3 of 50 feeds: the test no longer covers them")
	}
	for _, want := range []string{
		fmt.Sprintf("check: articles 500 after cycle 1 (want 500), 503 after cycle 2 (want 503); cycle 2: %d × 304, %d × 200 of them %d unchanged (want %d, %d, %d); cycle 3: %d × 304, %d unchanged (want %d, %d)",
			47-c2, 3+c2, c2, 47-c2, 3+c2, c2, 50-c3, c3, 50-c3, c3),
		"check: ok",
		"feeds polled      50 (200: 50, of them 0 unchanged; 304: 0; errors: 0)",
		fmt.Sprintf("feeds polled      50 (200: %d, of them %d unchanged; 304: %d; errors: 0)", 3+c2, c2, 47-c2),
		fmt.Sprintf("feeds polled      50 (200: %d, of them %d unchanged; 304: %d; errors: 0)", c3, c3, 50-c3),
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
}

// TestReportFailsOnWrongCounts: a cycle 2 that fetched everything in full
// must fail the check.
func TestReportFailsOnWrongCounts(t *testing.T) {
	r := &result{o: options{Feeds: 40, Items: 10}, changed: 2}
	r.cycles[0] = cycle{n: 1, did: counts{fetchOK: 40, itemsNew: 400, articles: 400, versions: 400},
		totals: counts{articles: 400, versions: 400}}
	r.cycles[1] = cycle{n: 2, did: counts{fetchOK: 40, itemsNew: 2, articles: 2, versions: 2},
		totals: counts{articles: 402, versions: 402}}
	r.cycles[2] = cycle{n: 3, did: counts{fetchNotModified: 40}, totals: counts{articles: 402, versions: 402}}
	var out bytes.Buffer
	if r.report(&out) {
		t.Fatalf("report passed, want a failure:\n%s", &out)
	}
	for _, want := range []string{"check: FAILED", "cycle 2: 200 answers ingested: got 40, want 2", "cycle 2: 304 answers: got 0, want 38"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
}

// TestFeedServer checks the served feeds: realistic items that the
// crawler parses, validators honoured, and /advance changing every 20th
// feed by exactly one item.
func TestFeedServer(t *testing.T) {
	for _, gzip := range []bool{true, false} {
		t.Run(map[bool]string{true: "gzip", false: "identity"}[gzip], func(t *testing.T) {
			srv := httptest.NewServer(newFeedServer(serverOptions{Feeds: 40, Items: 10, Gzip: gzip, Published: published}).handler())
			defer srv.Close()
			get := func(path string, header ...string) (*http.Response, []byte) {
				t.Helper()
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return resp, body
			}
			parse := func(body []byte) []string {
				t.Helper()
				feed, err := crawler.ParseFeed(body, "application/rss+xml", srv.URL, time.Now(), nil)
				if err != nil {
					t.Fatal(err)
				}
				var guids []string
				for _, a := range feed.Items {
					if n := len(a.Summary); n < 300 || n > 600 {
						t.Errorf("item %s: description of %d bytes, want 300-600: %q", a.GUID, n, a.Summary)
					}
					if a.Title == "" || a.PublishedAt.IsZero() {
						t.Errorf("item %s: title %q, published %v", a.GUID, a.Title, a.PublishedAt)
					}
					guids = append(guids, a.GUID)
				}
				return guids
			}

			resp0, body0 := get("/feed/0")
			resp1, body1 := get("/feed/1")
			etag0, etag1, lm1 := resp0.Header.Get("ETag"), resp1.Header.Get("ETag"), resp1.Header.Get("Last-Modified")
			if resp0.StatusCode != 200 || etag0 == "" || etag0 == etag1 || lm1 == "" {
				t.Fatalf("GET /feed/0: %s, ETag %q (feed 1: %q), Last-Modified %q", resp0.Status, etag0, etag1, lm1)
			}
			guids0 := parse(body0)
			if len(guids0) != 10 || len(parse(body1)) != 10 || guids0[0] == parse(body1)[0] {
				t.Fatalf("feed 0 items %v, want 10 and unlike feed 1's", guids0)
			}
			if resp, _ := get("/feed/1", "If-None-Match", etag1); resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: %s, want 304", resp.Status)
			}
			if resp, _ := get("/feed/1", "If-Modified-Since", lm1); resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-Modified-Since: %s, want 304", resp.Status)
			}
			if resp, _ := get("/feed/40"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET /feed/40: %s, want 404", resp.Status)
			}

			resp, err := srv.Client().Post(srv.URL+"/advance", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := strings.TrimSpace(string(b)); got != "2" {
				t.Fatalf("POST /advance = %q, want 2 (feeds 0 and 20)", got)
			}
			if resp, _ := get("/feed/1", "If-None-Match", etag1); resp.StatusCode != http.StatusNotModified {
				t.Errorf("unchanged feed after /advance: %s, want 304", resp.Status)
			}
			resp, body := get("/feed/0", "If-None-Match", etag0)
			if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag0 {
				t.Fatalf("changed feed after /advance: %s, ETag %q (was %q)", resp.Status, resp.Header.Get("ETag"), etag0)
			}
			guids := parse(body)
			if len(guids) != 10 || guids[1] != guids0[0] || guids[9] != guids0[8] {
				t.Errorf("after /advance feed 0 has %v, want one new item then %v", guids, guids0[:9])
			}
			// Unchanged items render byte for byte the same: no new version.
			old := body0[bytes.Index(body0, []byte("<item>")):]
			old = old[:bytes.LastIndex(old, []byte("<item>"))]
			if !bytes.Contains(body, old) {
				t.Error("the 9 kept items do not render as before")
			}
		})
	}
}

// TestProcesses runs the -processes mode on 30 feeds polled every 3 s: a
// SQLite process, and two processes on PostgreSQL when a test server is
// set. The first cycle brings answers in full, the steady cycle 304s, and
// no run process logs an error.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds silencewatch and runs it for seconds")
	}
	bin := filepath.Join(t.TempDir(), "silencewatch")
	build := exec.Command("go", "build", "-o", bin, "../silencewatch")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cases := []struct {
		name      string
		processes int
		postgres  string
	}{{"sqlite", 1, ""}}
	if u := os.Getenv("SILENCEWATCH_POSTGRES_URL"); u != "" {
		cases = append(cases, struct {
			name      string
			processes int
			postgres  string
		}{"postgres", 2, u})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			o := options{Feeds: 30, Items: 10, Workers: 4, PerHost: 4, Config: "../../config.yaml", Published: published, Gzip: true,
				Processes: c.processes, Bin: bin, Postgres: c.postgres, Every: 3 * time.Second}
			if code := runProcesses(t.Context(), o, &stdout, &stderr); code != exitOK {
				t.Fatalf("runProcesses = %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
			}
			out := stdout.String()
			first := regexp.MustCompile(`first cycle .* polls +(\d+) \(200: (\d+), 304: (\d+)\)`).FindStringSubmatch(out)
			steady := regexp.MustCompile(`steady cycle .* polls +(\d+) \(200: (\d+), 304: (\d+)\)`).FindStringSubmatch(out)
			if first == nil || steady == nil {
				t.Fatalf("no cycle lines:\n%s", out)
			}
			// The first sample comes once every process serves /metrics,
			// after some first polls, and a feed polled early is polled
			// again (304) before the last is first polled: the counts
			// vary, but answers in full must be there.
			if n, _ := strconv.Atoi(first[2]); n == 0 {
				t.Errorf("first cycle: no answer in full:\n%s", out)
			}
			if n, _ := strconv.Atoi(steady[3]); n == 0 {
				t.Errorf("steady cycle: no 304:\n%s", out)
			}
			if !strings.Contains(out, "errors logged: 0") {
				t.Errorf("run processes logged errors:\n%s", out)
			}
			if !strings.Contains(out, fmt.Sprintf("%d run process(es)", c.processes)) {
				t.Errorf("report does not say how many processes:\n%s", out)
			}
		})
	}
}

// TestDaemonSmall runs the daemon mode on 20 feeds for four windows of a
// second and expects its check to pass: every feed stored in full once,
// nothing stored again, no failed poll.
func TestDaemonSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	o := options{Feeds: 20, Items: 5, Workers: 4, PerHost: 4, Config: "../../config.yaml", Published: published, Gzip: true,
		Daemon: 4 * time.Second, Every: time.Second}
	code := run(t.Context(), o, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("run = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, &stdout, &stderr)
	}
	for _, want := range []string{"check: 100 articles, 100 versions (want 100); 0 failed polls", "check: ok", "steady state (windows ", "poll lag"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
}
