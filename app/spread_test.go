package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

const spreadYAML = `store: s.db
sources:
  - {name: board, url: "https://board.example/feed", tier: leak-site}
  - {name: daily, url: "https://daily.example/feed", tier: national}
elections:
  - id: fr
    rounds:
      - id: r2
        zones:
          - {id: metropole, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
        windows:
          - {name: silence, start: eve-midnight, end: polls-close}
leaks:
  - id: macronleaks
    disclosed_at: 2017-05-05T20:35:00+02:00
`

const leakedText = "Le trésorier propose de transférer les fonds restants vers le compte de la fondation avant la clôture de l'exercice, sans en informer le comité."

// TestSpreadCommand: two outlets' articles, the second copying the first,
// go through the relay recorder the monitor uses; spread then reads the
// store in every format.
func TestSpreadCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg, st := spreadStoreAt(t, cfgPath)
	at := time.Date(2017, 5, 5, 19, 0, 0, 0, time.UTC)
	rec, err := newRelayRecorder(ctx, cfg, st, clock.Real{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range []string{"board", "daily"} {
		a := &article.Article{Source: src, URL: "https://" + src + ".example/1", GUID: src + "1", Title: "Les courriels <b>",
			Content: "Voici ce que disent les courriels. " + leakedText + " Fin.", PublishedAt: at.Add(time.Duration(i) * time.Hour)}
		saved, err := st.SaveArticle(ctx, a, store.Fetch{URL: a.URL, FetchedAt: a.PublishedAt.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		f := finding.Finding{ID: src, Rule: "leak-content", Window: "always",
			Article: finding.ArticleRef{Source: src, URL: a.URL, Title: a.Title, PublishedAt: a.PublishedAt, FirstSeenAt: a.FirstSeenAt},
			Leak:    &finding.LeakAssessment{Leak: "macronleaks", Label: "content"}}
		stored, err := st.SaveFindings(ctx, saved.VersionID, []finding.Finding{f}, nil, a.FirstSeenAt)
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Observe(ctx, saved.VersionID, a, stored); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""), Now: func() time.Time { return at.Add(90 * time.Minute) },
			LookupEnv: func(string) (string, bool) { return "", false }}
		if code := Main(ctx, append([]string{"spread", "-config", cfgPath, "-leak", "macronleaks"}, args...), env); code != ExitOK {
			t.Fatalf("spread %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	var sp struct {
		Stage    string `json:"stage"`
		Articles []struct {
			Outlet, Tier string
		} `json:"articles"`
		Edges []struct {
			From  struct{ Outlet string } `json:"from"`
			Words int                     `json:"words"`
		} `json:"edges"`
		RecentOutlets int `json:"recent_outlets"`
	}
	if err := json.Unmarshal([]byte(run()), &sp); err != nil {
		t.Fatal(err)
	}
	if sp.Stage != "mainstream" || len(sp.Articles) != 2 || len(sp.Edges) != 1 || sp.Edges[0].From.Outlet != "board" || sp.Edges[0].Words < 20 || sp.RecentOutlets != 1 {
		t.Errorf("spread %+v", sp)
	}
	if csv := run("-format", "csv"); strings.Count(csv, "\n") != 2 || !strings.Contains(csv, ",board,leak-site,") {
		t.Errorf("csv:\n%s", csv)
	}
	if g := run("-format", "gexf"); !strings.Contains(g, "<gexf") || !strings.Contains(g, "&lt;b&gt;") {
		t.Errorf("gexf:\n%s", g)
	}
	svgPath := filepath.Join(dir, "spread.svg")
	run("-format", "svg", "-o", svgPath)
	if b, err := os.ReadFile(svgPath); err != nil || !strings.Contains(string(b), "fr/r2/silence") || !strings.Contains(string(b), "marker-end") {
		t.Errorf("svg %v:\n%s", err, b)
	}
	var errOut bytes.Buffer
	env := Env{Stdout: &bytes.Buffer{}, Stderr: &errOut, Stdin: strings.NewReader(""), Now: time.Now, LookupEnv: func(string) (string, bool) { return "", false }}
	if code := Main(ctx, []string{"spread", "-config", cfgPath, "-leak", "nope"}, env); code != ExitUsage || !strings.Contains(errOut.String(), "macronleaks") {
		t.Errorf("unknown leak: exit %d, %s", code, errOut.String())
	}
}

// fixedClock is a clock stopped at one instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                       { return c.t }
func (c fixedClock) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }

// TestCrossingAndVelocityAlerts: a leak site copies the leak, a foreign
// state outlet rewrites the copy, a national outlet quotes the rewrite.
// The national outlet's report is the crossing, alerted once with the
// chain that led to it (a second national outlet's is not one); three
// outlets within the hour is velocity, alerted once in that hour although
// a fourth follows.
func TestCrossingAndVelocityAlerts(t *testing.T) {
	ctx := context.Background()
	yaml := strings.Replace(spreadYAML, `  - {name: daily, url: "https://daily.example/feed", tier: national}`,
		`  - {name: statetv, url: "https://statetv.example/feed", tier: foreign-state}
  - {name: daily, url: "https://daily.example/feed", tier: national}
  - {name: daily2, url: "https://daily2.example/feed", tier: national}
relay: {velocity_outlets: 3, velocity_within: 1h}`, 1)
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "config.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store = filepath.Join(t.TempDir(), "s.db")
	st, err := store.OpenSQLite(ctx, cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2017, 5, 5, 19, 0, 0, 0, time.UTC)
	rec, err := newRelayRecorder(ctx, cfg, st, fixedClock{at.Add(50 * time.Minute)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{
		"board":   "Dump. " + leakedText,
		"statetv": "Selon des documents publiés en ligne, " + leakedText + " Les médias occidentaux se taisent.",
		"daily":   "Une chaîne étrangère affirme : « Selon des documents publiés en ligne, " + leakedText + " Les médias occidentaux se taisent. » Nous n'avons pas pu vérifier.",
	}
	route := func(*finding.Finding) []string { return []string{"#alerts"} }
	texts["daily2"] = "Reprise : " + leakedText
	for i, src := range []string{"board", "statetv", "daily", "daily2"} {
		a := &article.Article{Source: src, URL: "https://" + src + ".example/1", GUID: src + "1", Title: "Les courriels",
			Content: texts[src], PublishedAt: at.Add(time.Duration(i) * 20 * time.Minute)}
		saved, err := st.SaveArticle(ctx, a, store.Fetch{URL: a.URL, FetchedAt: a.PublishedAt.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		f := finding.Finding{ID: src, Rule: "leak-content", Window: "always",
			Article: finding.ArticleRef{Source: src, URL: a.URL, Title: a.Title, PublishedAt: a.PublishedAt},
			Leak:    &finding.LeakAssessment{Leak: "macronleaks", Label: "content"}}
		stored, err := st.SaveFindings(ctx, saved.VersionID, []finding.Finding{f}, route, a.PublishedAt)
		if err != nil {
			t.Fatal(err)
		}
		if err := rec.Observe(ctx, saved.VersionID, a, stored); err != nil {
			t.Fatal(err)
		}
	}
	alerts, err := st.Alerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var crossing, velocity []store.Alert
	for _, a := range alerts {
		switch a.Kind {
		case "crossing":
			crossing = append(crossing, a)
		case "velocity":
			velocity = append(velocity, a)
		}
	}
	if len(crossing) != 1 || crossing[0].Finding.Finding.Article.Source != "daily" ||
		!strings.Contains(crossing[0].Detail, "board (leak-site") || !strings.Contains(crossing[0].Detail, "statetv (foreign-state") {
		t.Errorf("crossing alerts %+v", crossing)
	}
	if len(velocity) != 1 || !strings.Contains(velocity[0].Detail, "3 outlets") || velocity[0].Finding.Finding.Article.Source != "daily" {
		t.Errorf("velocity alerts %+v", velocity)
	}
}

// spreadStore writes spreadYAML to a config file of its own and opens the
// store it names, closed when t ends.
func spreadStore(t *testing.T) (*config.Config, *store.DB) {
	t.Helper()
	return spreadStoreAt(t, filepath.Join(t.TempDir(), "config.yaml"))
}

func spreadStoreAt(t *testing.T, cfgPath string) (*config.Config, *store.DB) {
	t.Helper()
	if err := os.WriteFile(cfgPath, []byte(spreadYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(cfgPath, []byte(spreadYAML), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st
}
