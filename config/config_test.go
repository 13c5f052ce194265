package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

// TestRejections loads each fixture in testdata/reject; its first line
// says "# want: TEXT" and the error must contain TEXT.
func TestRejections(t *testing.T) {
	files, err := filepath.Glob("testdata/reject/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("%s: first line must be '# want: ...'", file)
			}
			_, err = Parse(file, data, noEnv)
			if err == nil {
				t.Fatalf("loaded without error; want %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, want)
			}
			if !strings.HasPrefix(err.Error(), file) {
				t.Errorf("error does not start with the file name: %v", err)
			}
		})
	}
}

// TestAllErrorsAtOnce checks that one load reports every problem, each
// with its own line, in line order.
func TestAllErrorsAtOnce(t *testing.T) {
	data := []byte(`store: x.db
crawler:
  timeout: soon
  workrs: 3
sources:
  - name: a
    url: https://a.example/rss
    every: often
rules:
  - id: r
    title: t
    severity: severe
    windows: [nowhere/silence]
    match: {regex: '[a-'}
`)
	_, err := Parse("c.yaml", data, noEnv)
	errs, ok := err.(Errors)
	if !ok {
		t.Fatalf("want Errors, got %T %v", err, err)
	}
	wantLines := []int{3, 4, 8, 12, 13, 14}
	if len(errs) != len(wantLines) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(wantLines), err)
	}
	for i, e := range errs {
		if e.Line != wantLines[i] {
			t.Errorf("error %d at line %d, want %d: %v", i, e.Line, wantLines[i], e)
		}
	}
}

func TestExampleConfigLoads(t *testing.T) {
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("../config.yaml", data, noEnv)
	if err != nil {
		t.Fatalf("the shipped config.yaml must load:\n%v", err)
	}
	if len(cfg.Sources) == 0 || len(cfg.Rules) == 0 || len(cfg.Elections) != 1 || len(cfg.Leaks) != 1 {
		t.Errorf("unexpected counts: %d sources, %d rules, %d elections, %d leaks", len(cfg.Sources), len(cfg.Rules), len(cfg.Elections), len(cfg.Leaks))
	}
	var leakContent *Rule
	for i := range cfg.Rules {
		if cfg.Rules[i].ID == "leak-content" {
			leakContent = &cfg.Rules[i]
		}
	}
	if leakContent == nil {
		t.Fatal("no leak-content rule")
	}
	want := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	if !leakContent.Since.Equal(want) {
		t.Errorf("leak-content applies since %s, want the leak's disclosure %s", leakContent.Since, want)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("dir/c.yaml", []byte("sources:\n  - name: a\n    url: https://a.example/rss\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.Kind != "feed" || s.Every != 5*time.Minute || s.SilenceEvery != time.Minute || s.Preroll != 6*time.Hour {
		t.Errorf("source defaults: %+v", s)
	}
	if cfg.Store != filepath.Join("dir", "silencewatch.db") {
		t.Errorf("store %q: relative paths are read from the config's directory", cfg.Store)
	}
	if cfg.Crawler.Workers != 16 || cfg.Crawler.Timeout != 20*time.Second || cfg.Crawler.MaxBodyBytes != 10<<20 {
		t.Errorf("crawler defaults: %+v", cfg.Crawler)
	}
	if cfg.Evaluation.BackdateTolerance != 30*time.Minute {
		t.Errorf("backdate tolerance %s", cfg.Evaluation.BackdateTolerance)
	}
}

func TestCronSpecs(t *testing.T) {
	for _, spec := range []string{"*/5 * * * *", "CRON_TZ=Europe/Paris 0 */2 * * *", "30 */1 * * * *", "@every 90s"} {
		data := fmt.Sprintf("sources:\n  - name: a\n    url: https://a.example/rss\n    cron: %q\n", spec)
		cfg, err := Parse("c.yaml", []byte(data), noEnv)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if cfg.Sources[0].Schedule == nil {
			t.Errorf("%q: no schedule", spec)
		}
	}
}

const secretValue = "xoxb-0000-TOPSECRET-token"

// TestSecretsNeverPrinted forces failures around a configured token and
// checks the value appears in no error, formatted value or log line.
func TestSecretsNeverPrinted(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "SLACK_BOT_TOKEN" {
			return secretValue, true
		}
		return "", false
	}
	good := []byte("slack:\n  token: ${SLACK_BOT_TOKEN}\n  channel: '#a'\n")
	cfg, err := Parse("c.yaml", good, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.Token.Reveal() != secretValue {
		t.Fatal("token not read from the environment")
	}
	bad := []byte("slack:\n  token: ${SLACK_BOT_TOKEN}\n  api_url: 'not a url'\n  channel: '#a'\nrules: 3\n")
	_, err = Parse("c.yaml", bad, env)
	if err == nil {
		t.Fatal("want errors")
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Error("slack failed", "slack", cfg.Slack, "token", cfg.Slack.Token)
	jsonOut, _ := json.Marshal(cfg.Slack)
	outputs := []string{
		err.Error(),
		fmt.Sprintf("%v %+v %#v %s %q %x", cfg.Slack, cfg.Slack, cfg.Slack, cfg.Slack.Token, cfg.Slack.Token, cfg.Slack.Token),
		logs.String(),
		string(jsonOut),
	}
	for i, out := range outputs {
		if strings.Contains(out, secretValue) || strings.Contains(out, "TOPSECRET") {
			t.Errorf("output %d leaks the secret: %s", i, out)
		}
	}
	if !strings.Contains(logs.String(), "<secret>") {
		t.Errorf("log does not show the redaction: %s", logs.String())
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hook"), []byte("https://hooks.slack.example/services/T/B/X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(filepath.Join(dir, "c.yaml"), []byte("slack:\n  webhook_url_file: hook\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.WebhookURL.Reveal() != "https://hooks.slack.example/services/T/B/X" || !cfg.Slack.Enabled() {
		t.Errorf("webhook not read from its file")
	}
	_, err = Parse(filepath.Join(dir, "c.yaml"), []byte("slack:\n  webhook_url_file: missing\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "slack.webhook_url_file: cannot read missing") {
		t.Errorf("want a clear error for a missing file, got %v", err)
	}
}

func TestUnsetEnvDisablesSlack(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("slack:\n  token: ${NOPE}\n  channel: '#a'\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Slack.Enabled() || cfg.Slack.Token.Origin() != "${NOPE}" {
		t.Errorf("an unset variable leaves Slack off and says which: %+v", cfg.Slack.Token.Origin())
	}
}

// FuzzParse checks the loader never panics and that every error it
// returns names the file.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/reject/*.yaml")
	seeds = append(seeds, "../config.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("f.yaml", data, noEnv)
		if err != nil && !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Errorf("error without the file name: %v", err)
		}
	})
}

// TestUnsetSecrets checks that the config names every referenced
// credential without a value, with where it was to come from and what its
// absence means, and never a value.
func TestUnsetSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(vars map[string]string) LookupEnv {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{"every credential set", "slack:\n  token: ${T}\n  app_token: ${A}\n  channel: '#a'\n",
			map[string]string{"T": "xoxb-1", "A": "xapp-1"}, nil},
		{"no slack section", "store: x.db\n", nil, nil},
		{"bot token unset", "slack:\n  token: ${SLACK_BOT_TOKEN}\n  channel: '#a'\n", nil,
			[]string{"slack.token: ${SLACK_BOT_TOKEN} is not set: alerts go to the console"}},
		{"bot token blank, app token unset", "slack:\n  token: ${T}\n  app_token: ${A}\n  channel: '#a'\n",
			map[string]string{"T": "  "},
			[]string{"slack.token: ${T} is empty: alerts go to the console", "slack.app_token: ${A} is not set: the verdict buttons (Socket Mode) are off"}},
		{"app token unset, bot token set", "slack:\n  token: ${T}\n  app_token: ${A}\n  channel: '#a'\n",
			map[string]string{"T": "xoxb-secret-value"},
			[]string{"slack.app_token: ${A} is not set: the verdict buttons (Socket Mode) are off"}},
		{"webhook unset", "slack:\n  webhook_url: ${HOOK}\n", nil,
			[]string{"slack.webhook_url: ${HOOK} is not set: alerts go to the console"}},
		{"empty token file", "slack:\n  token_file: empty\n  channel: '#a'\n", nil,
			[]string{"slack.token: token_file empty is empty: alerts go to the console"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(filepath.Join(dir, "c.yaml"), []byte(tt.yaml), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range cfg.UnsetSecrets() {
				got = append(got, u.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("UnsetSecrets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			for _, g := range got {
				if strings.Contains(g, "xoxb-secret-value") {
					t.Errorf("a value leaked: %s", g)
				}
			}
		})
	}
}

func TestMaxItemsPerPoll(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("sources:\n  - {name: a, url: 'https://a.example/rss'}\n  - {name: b, url: 'https://b.example/rss', max_items: 20}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Crawler.MaxItemsPerPoll != 500 || cfg.Sources[0].MaxItems != 500 || cfg.Sources[1].MaxItems != 20 {
		t.Errorf("max items: crawler %d, a %d, b %d; want 500, 500 (the default), 20 (its own)",
			cfg.Crawler.MaxItemsPerPoll, cfg.Sources[0].MaxItems, cfg.Sources[1].MaxItems)
	}
	cfg, err = Parse("c.yaml", []byte("crawler: {max_items_per_poll: 50}\nsources:\n  - {name: a, url: 'https://a.example/rss'}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sources[0].MaxItems != 50 {
		t.Errorf("a source without max_items takes crawler.max_items_per_poll: got %d", cfg.Sources[0].MaxItems)
	}
}
