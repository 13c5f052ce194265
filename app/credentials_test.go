package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCredentialsStayOutOfTheRecord polls a feed behind HTTP basic
// authentication, given as username + password: ${VAR}, and checks that
// neither the password nor the Authorization value is anywhere in the
// store's files or in any export, while the feed was really fetched with
// them.
func TestCredentialsStayOutOfTheRecord(t *testing.T) {
	const user, pass = "reader", "s3cr3t-feed-pass"
	var authorised int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		authorised++
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>t</title>%s</channel></rss>`, item("c1", "Les #MacronLeaks", violation1, satPub))
	}))
	defer srv.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	base := string(mustRead(t, "../config.yaml"))
	// The example's elections, rules and leaks, with one outlet instead of its own.
	yaml := base[:strings.Index(base, "\nsources:\n")] + fmt.Sprintf(`
sources:
  - name: private
    url: %s/feed
    username: %s
    password: ${FEED_PASSWORD}
    every: 1s
    min_every: 1s
`, srv.URL, user) + base[strings.Index(base, "\nelections:\n"):]
	yaml = strings.Replace(yaml, "store: silencewatch.db", "store: sw.db", 1)
	yaml = strings.Replace(yaml, "  allow_private: []", "  allow_private: [127.0.0.0/8]", 1)
	// A rule that fires whatever the date, so there is a finding to export.
	yaml = strings.Replace(yaml, "\nrules:\n", `
rules:
  - id: test-always
    title: Any mention of the leak
    severity: low
    windows: [always]
    match:
      list: leak-names
`, 1)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	var stdout bytes.Buffer
	env := Env{Stdout: &stdout, Stderr: &stderr, Now: func() time.Time { return time.Date(2017, 5, 6, 12, 0, 0, 0, time.UTC) },
		LookupEnv: func(k string) (string, bool) {
			if k == "FEED_PASSWORD" {
				return pass, true
			}
			return "", false
		}}
	code := Main(context.Background(), []string{"run", "-config", cfgPath, "-listen", "", "-once", "-init"}, env)
	if code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	if authorised == 0 {
		t.Fatalf("the feed was never fetched with its credentials; stderr: %s", stderr.String())
	}

	secrets := []string{pass, base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}
	check := func(what string, data []byte) {
		t.Helper()
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains %q", what, s)
			}
		}
	}
	check("stderr", stderr.Bytes())
	for _, f := range []string{"sw.db", "sw.db-wal"} {
		if data, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			check(f, data)
		}
	}
	for _, format := range []string{"jsonl", "csv", "warc"} {
		out := filepath.Join(dir, "export."+format)
		var errOut bytes.Buffer
		env := env
		env.Stderr = &errOut
		if code := Main(context.Background(), []string{"export", "-config", cfgPath, "-format", format, "-o", out}, env); code != ExitOK {
			t.Fatalf("export %s: exit %d: %s", format, code, errOut.String())
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		check("export "+format, data)
		if !bytes.Contains(data, []byte("#MacronLeaks")) {
			t.Errorf("export %s holds no finding: the test proves nothing\n%s", format, data)
		}
		if format == "warc" && !bytes.Contains(data, []byte("Authorization: (removed: credential)")) {
			t.Errorf("the WARC request record does not say the credential was removed")
		}
	}
}
