package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeSkipped are the README examples that cannot run in a test, and
// why; every other "$ silencewatch …" example is run.
var readmeSkipped = map[string]string{
	"run":   "polls the example's real outlets until stopped",
	"demo":  "covered by TestDemoEndToEnd",
	"leaks": "needs the demo's directory",
}

// TestReadmeExamples runs every "$ silencewatch …" example of README.md
// from the repository root and compares its output with the README's:
// "…" or "..." alone on a line stands for any lines, inside a line for any
// text. A drifted sample fails the build.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")
	ran := 0
	for _, ex := range readmeExamples(string(readme)) {
		fields := strings.Fields(ex.command)
		if reason, ok := readmeSkipped[fields[0]]; ok {
			t.Logf("README:%d: %s: skipped (%s)", ex.line, ex.command, reason)
			continue
		}
		var out bytes.Buffer
		env := Env{Stdout: &out, Stderr: &out, Stdin: strings.NewReader(""),
			Now:       func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) },
			LookupEnv: func(string) (string, bool) { return "", false }}
		Main(context.Background(), fields, env)
		if !matchesExample(ex.output, strings.Split(strings.TrimRight(out.String(), "\n"), "\n")) {
			t.Errorf("README.md:%d: $ silencewatch %s\nREADME shows:\n%s\nit prints:\n%s", ex.line, ex.command, strings.Join(ex.output, "\n"), out.String())
		}
		ran++
	}
	if ran < 5 {
		t.Errorf("only %d README examples ran: the parser lost them", ran)
	}
}

type readmeExample struct {
	line    int
	command string   // after "$ silencewatch "
	output  []string // the lines shown after it
}

// readmeExamples finds, in fenced blocks, lines "$ silencewatch ARGS" and
// the output lines that follow, up to the next command or the end of the
// block (trailing blank lines dropped).
func readmeExamples(readme string) []readmeExample {
	var out []readmeExample
	in := false
	var cur *readmeExample
	flush := func() {
		if cur != nil {
			for len(cur.output) > 0 && strings.TrimSpace(cur.output[len(cur.output)-1]) == "" {
				cur.output = cur.output[:len(cur.output)-1]
			}
			out = append(out, *cur)
			cur = nil
		}
	}
	for i, line := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			flush()
			in = !in
		case !in:
		case strings.HasPrefix(line, "$ silencewatch "):
			flush()
			cmd := strings.TrimPrefix(line, "$ silencewatch ")
			if c, _, ok := strings.Cut(cmd, "  #"); ok { // a trailing comment
				cmd = c
			}
			cur = &readmeExample{line: i + 1, command: strings.TrimSpace(cmd)}
		case cur != nil:
			cur.output = append(cur.output, line)
		}
	}
	flush()
	return out
}

func isEllipsis(s string) bool { s = strings.TrimSpace(s); return s == "…" || s == "..." }

// matchesExample reports whether got is what want shows.
func matchesExample(want, got []string) bool {
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(want) {
			return j == len(got)
		}
		if isEllipsis(want[i]) {
			for k := j; k <= len(got); k++ {
				if match(i+1, k) {
					return true
				}
			}
			return false
		}
		return j < len(got) && lineMatches(want[i], got[j]) && match(i+1, j+1)
	}
	return match(0, 0)
}

func lineMatches(want, got string) bool {
	want, got = strings.TrimRight(want, " "), strings.TrimRight(got, " ")
	if !strings.Contains(want, "…") && !strings.Contains(want, "...") {
		return want == got
	}
	parts := regexp.MustCompile(`…|\.\.\.`).Split(want, -1)
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

// TestReadmeElectionSetup runs the "Set up your election" steps in a fresh
// directory: init, validate, windows.
func TestReadmeElectionSetup(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"init", "-preset", "fr", "-date", "2027-04-11", "-date2", "2027-04-25"},
		{"validate"},
		{"windows"},
	} {
		var out bytes.Buffer
		env := Env{Stdout: &out, Stderr: &out, Stdin: strings.NewReader(""), Now: time.Now,
			LookupEnv: func(string) (string, bool) { return "", false }}
		if code := Main(context.Background(), args, env); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "config.yaml")); err != nil {
		t.Fatal(err)
	}
}
