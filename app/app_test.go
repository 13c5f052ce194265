package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

// run executes a command in-process from the repository root, where the
// example config.yaml lives.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	env := Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Now:       func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	code = Main(context.Background(), args, env)
	return out.String(), errOut.String(), code
}

func findings(t *testing.T, stdout string) []finding.Finding {
	t.Helper()
	var fs []finding.Finding
	if err := json.Unmarshal([]byte(stdout), &fs); err != nil {
		t.Fatalf("not a JSON array of findings: %v\n%s", err, stdout)
	}
	return fs
}

func byRule(fs []finding.Finding) map[string]finding.Finding {
	m := map[string]finding.Finding{}
	for _, f := range fs {
		m[f.Rule] = f
	}
	return m
}

const leakQuote = "app/testdata/check/leak-quote.md"

// The three cases the example config must get right.
func TestExampleConfigLeakWeekend(t *testing.T) {
	t.Run("Saturday 10:00 Paris: flagged", func(t *testing.T) {
		out, _, code := run(t, "", "check", "-format", "json", "-at", "2017-05-06T10:00:00+02:00", leakQuote)
		f, ok := byRule(findings(t, out))["leak-content"]
		if !ok || code != ExitFindings {
			t.Fatalf("leak-content not flagged (exit %d): %s", code, out)
		}
		if f.Window != "silence" || !slices.Contains(f.Zones, "metropole") || !slices.Contains(f.Zones, "antilles") {
			t.Errorf("window %s zones %v", f.Window, f.Zones)
		}
		if f.TimeBasis != "first_seen" || len(f.OtherWindows) != 1 || f.OtherWindows[0] != "guidance:cnccep-2017-05-06-content" {
			t.Errorf("basis %s, other windows %v", f.TimeBasis, f.OtherWindows)
		}
	})
	t.Run("Friday 12:00 Paris, before the leak: not flagged", func(t *testing.T) {
		out, _, code := run(t, "", "check", "-format", "json", "-at", "2017-05-05T12:00:00+02:00", leakQuote)
		if fs := findings(t, out); len(fs) != 0 || code != ExitOK {
			t.Fatalf("want [] and exit 0, got exit %d: %s", code, out)
		}
	})
	t.Run("Friday 23:00 Paris, Antilles outlet: the Antilles zone only", func(t *testing.T) {
		out, _, code := run(t, "", "check", "-format", "json", "-at", "2017-05-05T23:00:00+02:00", "-source", "martinique-la1ere", leakQuote)
		f, ok := byRule(findings(t, out))["leak-content"]
		if !ok || code != ExitFindings {
			t.Fatalf("not flagged (exit %d): %s", code, out)
		}
		if len(f.Zones) != 1 || f.Zones[0] != "antilles" || len(f.OtherWindows) != 0 {
			t.Errorf("zones %v other windows %v, want [antilles] only", f.Zones, f.OtherWindows)
		}
	})
	t.Run("Friday 23:00 Paris, national outlet: Saturday and eastern zones, not metropole", func(t *testing.T) {
		out, _, _ := run(t, "", "check", "-format", "json", "-at", "2017-05-05T23:00:00+02:00", "-source", "lemonde", leakQuote)
		f := byRule(findings(t, out))["leak-content"]
		if slices.Contains(f.Zones, "metropole") || !slices.Contains(f.Zones, "antilles") {
			t.Errorf("zones %v", f.Zones)
		}
	})
}

// TestExampleConfigNewsroomLanguage: content reported in ordinary
// newsroom language is flagged high by the example config's classifier,
// corpus-free, in French and English; the hack, the kinds of data, a later
// archive release, the regulator's request and a newsroom's abstention
// are not (app/testdata/check/newsroom/README.md).
func TestExampleConfigNewsroomLanguage(t *testing.T) {
	dir := "app/testdata/check/newsroom/"
	entries, err := os.ReadDir("testdata/check/newsroom")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".txt") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", "check", "-format", "json", "-at", "2017-05-06T12:00:00+02:00", dir+name)
			if code == ExitUsage {
				t.Fatalf("exit 2: %s", errOut)
			}
			f, flagged := byRule(findings(t, out))["leak-content"]
			switch {
			case strings.HasPrefix(name, "content-") && !flagged:
				t.Errorf("not flagged leak-content: %s", out)
			case strings.HasPrefix(name, "content-") && f.Severity != config.SeverityHigh:
				t.Errorf("severity %s, want high", f.Severity)
			case !strings.HasPrefix(name, "content-") && flagged:
				t.Errorf("flagged leak-content: %+v", f.Evidence)
			}
		})
	}
	if n != 8 {
		t.Fatalf("%d articles, want 8", n)
	}
}

func TestCheckFeeds(t *testing.T) {
	tests := []struct {
		file string
		// title substring → rules expected to fire (nil: none)
		want map[string][]string
	}{
		{"lemonde-2017-05-06.rss", map[string][]string{
			"révèlent les courriels": {"leak-content", "leak-mention"},
			"un sondage donne 62":    {"poll-published"},
			"Météo":                  nil,
		}},
		{"regional-latin1.rss", map[string][]string{
			"Fuite de données : les courriels révèlent un budget dépassé": {"leak-content", "leak-mention"},
		}},
		{"wire-en.atom", map[string][]string{
			"massive hacking operation": {"leak-mention"},
			"leaked emails say":         {"leak-content", "leak-mention"},
		}},
		{"foreign-estimates.json", map[string][]string{
			"premières estimations":    {"results-before-close"},
			"66,1 % pour le vainqueur": nil,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, errOut, code := run(t, "", "check", "-format", "json", "app/testdata/check/"+tt.file)
			if code == ExitUsage {
				t.Fatalf("exit 2: %s", errOut)
			}
			got := map[string][]string{}
			for _, f := range findings(t, out) {
				got[f.Article.Title] = append(got[f.Article.Title], f.Rule)
				for _, e := range f.Evidence {
					if e.Text == "" || e.End <= e.Start {
						t.Errorf("empty evidence in %s", f.Rule)
					}
				}
				if f.Article.PublishedAt.IsZero() || f.TimeBasis != "published" {
					t.Errorf("%s: feed items carry their claimed time", f.Article.Title)
				}
			}
			for sub, want := range tt.want {
				var have []string
				for title, rs := range got {
					if strings.Contains(title, sub) {
						have = rs
					}
				}
				if strings.Join(slices.Sorted(slices.Values(have)), ",") != strings.Join(slices.Sorted(slices.Values(want)), ",") {
					t.Errorf("%q: fired %v, want %v", sub, have, want)
				}
			}
		})
	}
}

func TestCheckJSONFields(t *testing.T) {
	out, _, _ := run(t, "", "check", "-format", "json", "app/testdata/check/lemonde-2017-05-06.rss")
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, key := range []string{"rule", "title", "severity", "reference", "election", "window", "zones", "time_basis", "article", "evidence"} {
		if _, ok := raw[0][key]; !ok {
			t.Errorf("finding has no %q field", key)
		}
	}
	art := raw[0]["article"].(map[string]any)
	for _, key := range []string{"url", "title", "source", "published_at", "first_seen_at"} {
		if _, ok := art[key]; !ok {
			t.Errorf("article has no %q field", key)
		}
	}
	ev := raw[0]["evidence"].([]any)[0].(map[string]any)
	for _, key := range []string{"kind", "text", "start", "end"} {
		if _, ok := ev[key]; !ok {
			t.Errorf("evidence has no %q field", key)
		}
	}
}

func TestCheckExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"clean text is [] and 0", "Météo : du soleil ce week-end.", []string{"check", "-format", "json", "-at", "2017-05-06T10:00:00+02:00", "-"}, ExitOK},
		{"info finding below fail-on low", "Les #MacronLeaks circulent.", []string{"check", "-at", "2017-05-06T10:00:00+02:00", "-"}, ExitOK},
		{"info finding with fail-on info", "Les #MacronLeaks circulent.", []string{"check", "-fail-on", "info", "-at", "2017-05-06T10:00:00+02:00", "-"}, ExitFindings},
		{"high finding with fail-on critical", "Un sondage : 52 % pour A.", []string{"check", "-fail-on", "critical", "-at", "2017-05-06T10:00:00+02:00", "-"}, ExitOK},
		{"missing file", "", []string{"check", "no-such-file.rss"}, ExitUsage},
		{"bad -at", "", []string{"check", "-at", "saturday", "-"}, ExitUsage},
		{"bad -format", "", []string{"check", "-format", "xml", "-"}, ExitUsage},
		{"bad -fail-on", "", []string{"check", "-fail-on", "urgent", "-"}, ExitUsage},
		{"unknown source", "", []string{"check", "-source", "nope", "-"}, ExitUsage},
		{"no target", "", []string{"check"}, ExitUsage},
		{"malformed feed", "", []string{"check", "app/testdata/check/malformed.rss"}, ExitUsage},
		{"unknown command", "", []string{"chekc"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.name == "clean text is [] and 0" && strings.TrimSpace(out) != "[]" {
				t.Errorf("want [], got %s", out)
			}
		})
	}
}

func TestCheckTextOutput(t *testing.T) {
	out, _, _ := run(t, "", "check", "-at", "2017-05-06T10:00:00+02:00", leakQuote)
	wantContains(t, out,
		"HIGH  leak-content: Reporting the contents of the leaked data",
		"window:    fr-pres-2017/round-2/silence\n",
		"             metropole           from Sat 06 May 00:00 CEST, 10 h 0 min into\n",
		"also in:   guidance:cnccep-2017-05-06-content",
		"**#MacronLeaks**",
		"**Selon les courriels**",
		"1 article checked, 2 findings (1 high, 1 info); failing at low and above",
	)
}

func TestValidate(t *testing.T) {
	out, _, code := run(t, "", "validate")
	if code != ExitOK || !strings.Contains(out, "config.yaml: ok: 9 sources, 4 rules, 1 election (1 round, 8 zones, 26 windows)") {
		t.Errorf("exit %d: %s", code, out)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("stroe: x\nrules:\n  - id: r\n    title: t\n    severity: urgent\n    windows: [always]\n    match: {term: x}\n"), 0o644)
	_, errOut, code := run(t, "", "validate", "-config", bad)
	if code != ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{bad + ":1: unknown key \"stroe\"", bad + ":5: rules[0].severity: unknown severity \"urgent\"", "2 errors"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestWindows(t *testing.T) {
	out, _, code := run(t, "", "windows")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	wantContains(t, out,
		"fr-pres-2017/round-2/silence",
		"metropole           2017-05-05 22:00 UTC  2017-05-07 18:00 UTC  Sat 06 May 2017 00:00 CEST  Sun 07 May 2017 20:00 CEST  44h00",
		"antilles            2017-05-05 04:00 UTC  2017-05-06 22:00 UTC  Fri 05 May 2017 00:00 AST   Sat 06 May 2017 18:00 AST   42h00",
		"guidance:cnccep-2017-05-06-content",
	)
}

func TestEmbeddedConfigWhenNoneHere(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"validate"}, Env{Stdout: &out, Stderr: &errOut, Now: time.Now, LookupEnv: func(string) (string, bool) { return "", false }})
	if code != ExitOK || !strings.Contains(errOut.String(), "embedded example") {
		t.Errorf("exit %d: %s %s", code, out.String(), errOut.String())
	}
}

// wantContains reports each wanted piece missing from out.
func wantContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckURL(t *testing.T) {
	body, err := os.ReadFile("testdata/check/regional-latin1.rss")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feed.rss" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write(body)
	}))
	defer srv.Close()
	// Loopback is refused unless allowed, with an error naming the source,
	// the URL and the address.
	_, errOut, code := run(t, "", "check", srv.URL+"/feed.rss")
	if code != ExitUsage || !strings.Contains(errOut, "address not allowed: 127.0.0.1 is in 127.0.0.0/8") || !strings.Contains(errOut, srv.URL+"/feed.rss") {
		t.Errorf("without -allow-private: exit %d, stderr %q: want 2 and the refusal", code, errOut)
	}
	out, errOut, code := run(t, "", "check", "-allow-private", "127.0.0.0/8", "-format", "json", srv.URL+"/feed.rss")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := byRule(findings(t, out))
	if f, ok := got["leak-content"]; !ok || !strings.Contains(f.Article.Title, "révèlent un budget dépassé") {
		t.Errorf("findings %v", got)
	}
	_, errOut, code = run(t, "", "check", "-allow-private", "127.0.0.1", srv.URL+"/missing.rss")
	if code != ExitUsage || !strings.Contains(errOut, srv.URL+"/missing.rss") || !strings.Contains(errOut, "404") {
		t.Errorf("exit %d, stderr %q: want 2 and an error naming the URL and the status", code, errOut)
	}
}

func TestExtractCommand(t *testing.T) {
	page, err := os.ReadFile("../crawler/extract/testdata/fr_latin1_meta.html")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("../crawler/extract/testdata/fr_latin1_meta.txt")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html") // no charset: only the page's meta says Latin-1
		w.Write(page)
	}))
	defer srv.Close()
	if _, errOut, code := run(t, "", "extract", srv.URL+"/article"); code != ExitUsage || !strings.Contains(errOut, "address not allowed") {
		t.Errorf("without -allow-private: exit %d, stderr %q: want 2 and the refusal", code, errOut)
	}
	out, errOut, code := run(t, "", "extract", "-allow-private", "127.0.0.0/8", "-format", "json", srv.URL+"/article")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	text, _ := res["text"].(string)
	firstLine := strings.SplitN(strings.TrimSpace(string(want)), "\n", 2)[0]
	if !strings.Contains(text, firstLine) || res["extractor"] == "" || res["source"] != "page" {
		t.Errorf("extract: extractor %v, text %q; want it to contain %q", res["extractor"], text, firstLine)
	}
	out, _, code = run(t, "", "extract", "-format", "json", "app/testdata/check/wire-en.atom")
	var items []map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &items) != nil || len(items) != 2 || items[0]["extractor"] != "feed" {
		t.Errorf("feed: exit %d: %s", code, out)
	}
}

// TestExtractRefusesRedirectToPrivate: an allowed address that redirects
// to one outside the allow-list (here 127.0.0.2, as a cloud metadata
// endpoint would be) is refused at the hop.
func TestExtractRefusesRedirectToPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.2:1/latest/meta-data/", http.StatusFound)
	}))
	defer srv.Close()
	_, errOut, code := run(t, "", "extract", "-allow-private", "127.0.0.1/32", srv.URL+"/article")
	if code != ExitUsage || !strings.Contains(errOut, "127.0.0.2 is in 127.0.0.0/8") {
		t.Errorf("exit %d, stderr %q: want 2 and the refused hop", code, errOut)
	}
	if _, errOut, code := run(t, "", "extract", "-allow-private", "not-a-range", srv.URL+"/article"); code != ExitUsage || !strings.Contains(errOut, `"not-a-range" is not a CIDR range`) {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
}

// A page dated without a time of day says so, with or without a finding.
func TestCheckDateOnlyPage(t *testing.T) {
	page := filepath.Join(t.TempDir(), "page.html")
	html := `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Le point</title>` +
		`<meta property="article:published_time" content="%s"></head><body><article><h1>Le point</h1>` +
		`<p>Le meeting de Lyon a réuni des milliers de personnes samedi, selon les organisateurs, ` +
		`qui ont parlé d'une mobilisation sans précédent dans la région.</p></article></body></html>`
	for _, c := range []struct{ date, want string }{
		{"2017-05-05", "no finding (published 2017-05-05, a date without a time of day)"},
		{"2017-05-05T18:00:00+02:00", "no finding (published 2017-05-05T16:00:00Z)"},
	} {
		if err := os.WriteFile(page, []byte(strings.Replace(html, "%s", c.date, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, _ := run(t, "", "check", "-at", "2017-05-06T12:00:00+02:00", page)
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: output lacks %q:\n%s%s", c.date, c.want, out, errOut)
		}
	}
}
