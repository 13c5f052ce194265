package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leakConfig writes a config watching the fixture leak, with the rules
// that use its index.
func leakConfig(t *testing.T) string {
	t.Helper()
	corpus, err := filepath.Abs("../rules/leak/testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: %s
elections:
  - id: fr
    rounds:
      - id: r2
        zones:
          - {id: metropole, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
        windows:
          - {name: silence, start: eve-midnight, end: polls-close}
leaks:
  - id: marchalleaks
    disclosed_at: 2017-05-05T20:35:00+02:00
    identifiers: ["#MarchalLeaks", pb-7f3k9q, marchal_leaks_2017.zip]
    corpus: %s
rules:
  - id: leak-quote
    title: Quotes the leaked mailbox
    severity: high
    windows: [fr/r2/silence]
    since: leak:marchalleaks
    match: {leak_quote: {leak: marchalleaks, min_words: 12}}
  - id: leak-content
    title: Reports the contents of the leaked data
    severity: high
    windows: [fr/r2/silence]
    since: leak:marchalleaks
    match: {leak_report: {leak: marchalleaks, label: content, min_score: 0.5}}
`, filepath.Join(dir, "sw.db"), corpus)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLeaksIndexIsIncremental(t *testing.T) {
	cfg := leakConfig(t)
	out, errOut, code := run(t, "", "leaks", "index", "-config", cfg)
	if code != ExitOK || !strings.Contains(out, "marchalleaks: indexed:") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	out, _, _ = run(t, "", "leaks", "index", "-config", cfg)
	if !strings.Contains(out, "marchalleaks: unchanged, index loaded") {
		t.Errorf("second run: %s", out)
	}
}

func TestCheckShowsQuotedPassages(t *testing.T) {
	cfg := leakConfig(t)
	var a struct {
		Title, Body string
		Passages    []struct {
			ArticleText string `json:"article_text"`
		}
	}
	data, err := os.ReadFile("../rules/leak/testdata/articles/a013.json")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(data, &a)
	text := "# " + a.Title + "\n\n" + a.Body
	out, errOut, code := run(t, text, "check", "-config", cfg, "-at", "2017-05-06T11:05:00+02:00", "-")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	wantContains(t, out, "HIGH  leak-quote: Quotes the leaked mailbox", "quoted:", "article: **", "leak:    ",
		"HIGH  leak-content: Reports the contents of the leaked data", `leak:      marchalleaks labelled "content"`)
	// The same article before the leak's disclosure is not a finding.
	out, _, code = run(t, text, "check", "-config", cfg, "-at", "2017-05-05T12:00:00+02:00", "-")
	if code != ExitOK {
		t.Errorf("before the leak: exit %d: %s", code, out)
	}
}

// TestLeaksEvalFromAnyDirectory runs `leaks eval` outside the repository:
// the synthetic set is built in, and -dir still evaluates a directory (the
// same set on disk gives the same figures).
func TestLeaksEvalFromAnyDirectory(t *testing.T) {
	onDisk, err := filepath.Abs("../rules/leak/testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	eval := func(args ...string) (string, string, int) {
		var out, errOut strings.Builder
		code := Main(context.Background(), append([]string{"leaks", "eval"}, args...), Env{Stdout: &out, Stderr: &errOut})
		return out.String(), errOut.String(), code
	}
	builtIn, stderr, code := eval()
	if code != ExitOK || !strings.Contains(builtIn, "split test") {
		t.Fatalf("leaks eval: exit %d, stdout %q, stderr %q", code, builtIn, stderr)
	}
	fromDir, stderr, code := eval("-dir", onDisk)
	if code != ExitOK || fromDir != builtIn {
		t.Errorf("leaks eval -dir %s: exit %d, stderr %q; figures differ from the built-in set's:\n%s\nwant:\n%s", onDisk, code, stderr, fromDir, builtIn)
	}
	if _, stderr, code := eval("-dir", "missing"); code != ExitUsage || !strings.Contains(stderr, "-dir missing") {
		t.Errorf("leaks eval -dir missing: exit %d, stderr %q; want 2 naming the directory", code, stderr)
	}
}
