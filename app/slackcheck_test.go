package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/notify/slackfake"
)

// slackConfig writes a config whose default channel exists in the fake
// and whose critical route names a channel that does not.
func slackConfig(t *testing.T, f *slackfake.Server) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	data := fmt.Sprintf(`store: %s
slack:
  token: ${SLACK_BOT_TOKEN}
  api_url: %s
  channel: "#election-alerts"
  routes:
    - {channel: "#nowhere", min_severity: critical}
sources:
  - name: a
    url: https://a.example/rss
`, filepath.Join(dir, "sw.db"), f.URL)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func slackEnv(f *slackfake.Server) (Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return Env{Stdout: &out, Stderr: &errOut, Now: time.Now,
		LookupEnv: func(k string) (string, bool) {
			if k == "SLACK_BOT_TOKEN" {
				return f.Token(), true
			}
			return "", false
		}}, &out, &errOut
}

// TestValidateAndRunCheckSlackChannels: with a bot token, validate and
// run ask Slack about every configured channel and fail (exit 2) naming
// the one that cannot be used and its config key.
func TestValidateAndRunCheckSlackChannels(t *testing.T) {
	f := slackfake.Start(slackfake.Options{Interval: -1})
	defer f.Close()
	f.AddChannel("election-alerts", false)
	path := slackConfig(t, f)
	want := `slack.routes[0].channel: Slack channel "#nowhere" not found`

	env, _, stderr := slackEnv(f)
	if code := Main(context.Background(), []string{"validate", "-config", path}, env); code != ExitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("validate: exit %d, stderr:\n%s", code, stderr)
	}
	env, _, stderr = slackEnv(f)
	if code := Main(context.Background(), []string{"validate", "-offline", "-config", path}, env); code != ExitOK {
		t.Errorf("validate -offline: exit %d: %s", code, stderr)
	}
	env, _, stderr = slackEnv(f)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if code := Main(ctx, []string{"run", "-init", "-listen", "", "-config", path}, env); code != ExitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("run: exit %d, stderr:\n%s", code, stderr)
	}

	f.AddChannel("nowhere", true)
	env, stdout, stderr := slackEnv(f)
	if code := Main(context.Background(), []string{"validate", "-config", path}, env); code != ExitOK {
		t.Errorf("validate with every channel there: exit %d: %s", code, stderr)
	} else if !strings.Contains(stdout.String(), "slack bot token") {
		t.Errorf("summary: %s", stdout)
	}
	// Slack down: validate says it could not check.
	f.SetScript(func(slackfake.Call) slackfake.Action { return slackfake.Fail500 })
	env, _, stderr = slackEnv(f)
	if code := Main(context.Background(), []string{"validate", "-config", path}, env); code != ExitUsage || !strings.Contains(stderr.String(), "cannot check the Slack channels") {
		t.Errorf("validate with Slack down: exit %d: %s", code, stderr)
	}
}
