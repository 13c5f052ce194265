package review

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// relayed is the passage the spread fixture's outlets copy from one
// another.
const relayed = "Le trésorier propose de transférer les fonds restants vers le compte de la fondation avant la clôture de l'exercice, sans en informer le comité ni les donateurs."

// spreadArticle is one stored article of the spread fixture.
type spreadArticle struct {
	Source, Title    string
	Version, Finding int64
	Content          string
}

// spreadFixture is the fixture with tiered outlets and a leak's spread:
// a leak site publishes the passage, a fringe blog and a foreign state
// channel relay it, a national daily copies the state channel's article in
// the silence, another daily only mentions the leak. The server's clock
// stands 50 minutes after the national daily's article.
func spreadFixture(t *testing.T) (*fixture, map[string]spreadArticle) {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Sources {
		cfg.Sources[i].Tier = "national"
	}
	cfg.Sources = append(cfg.Sources,
		config.Source{Name: "pol-board", URL: "https://board.example/pol/", Kind: "site", Tier: "leak-site"},
		config.Source{Name: "fringe-blog", URL: "https://fringe.example/feed", Kind: "feed", Tier: "fringe"},
		config.Source{Name: "state-tv", URL: "https://state-tv.example/fr/rss", Kind: "feed", Tier: "foreign-state"})
	at := time.Date(2017, 5, 5, 18, 50, 0, 0, time.UTC)
	arts := map[string]spreadArticle{}
	for _, a := range []struct {
		key, source, title, content, label string
		after                              time.Duration
	}{
		{"board", "pol-board", "EMLEAKS: the treasurer's mail", "From the archive, mail 0042: " + relayed + " More to come.", "content", 0},
		{"blog", "fringe-blog", "What the leaked mails say", "Posted on the board tonight: " + relayed + " Read them before Sunday.", "content", 50 * time.Minute},
		{"state", "state-tv", "Leaked Macron campaign mails: the treasurer", "According to the documents, " + relayed + " The campaign did not answer.", "content", 2*time.Hour + 20*time.Minute},
		{"daily", "lefigaro", "Les courriels du trésorier <script>alert(1)</script>", "Selon une chaîne étrangère, " + relayed + " Le parquet est saisi.", "content", 5 * time.Hour},
		{"mention", "liberation", "MacronLeaks : ne pas relayer", "La commission demande de ne pas relayer les documents piratés.", "existence", 5*time.Hour + 30*time.Minute},
	} {
		pub := at.Add(a.after)
		u := "https://" + a.source + ".example/" + a.key
		art := &article.Article{Source: a.source, URL: u, GUID: u, Title: a.title, Content: a.content, PublishedAt: pub}
		res, err := f.st.SaveArticle(ctx, art, store.Fetch{URL: u, FetchedAt: pub.Add(2 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		rule := "leak-content"
		if a.label != "content" {
			rule = "leak-mention"
		}
		fd := finding.Finding{ID: "key-" + a.key, Rule: rule, Title: "Reporting the contents of the leaked data", Severity: config.SeverityHigh,
			Window: "silence", TimeBasis: "published", BasisTime: pub,
			Article: finding.ArticleRef{URL: u, Title: a.title, Source: a.source, PublishedAt: pub, FirstSeenAt: art.FirstSeenAt},
			Leak:    &finding.LeakAssessment{Leak: "macronleaks", Label: a.label, Score: 0.9}}
		sfs, err := f.st.SaveFindings(ctx, res.VersionID, []finding.Finding{fd}, nil, pub.Add(3*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		arts[a.key] = spreadArticle{Source: a.source, Title: a.title, Version: res.VersionID, Finding: sfs[0].ID, Content: a.content}
	}
	edge := func(from, to string, detected time.Time) store.RelayEdge {
		fs, ts := strings.Index(arts[from].Content, relayed), strings.Index(arts[to].Content, relayed)
		return store.RelayEdge{FromVersion: arts[from].Version, ToVersion: arts[to].Version, Words: 26, Matched: 26,
			FromField: "content", FromStart: fs, FromEnd: fs + len(relayed), ToField: "content", ToStart: ts, ToEnd: ts + len(relayed), DetectedAt: detected}
	}
	if err := f.st.SaveRelayEdges(ctx, []store.RelayEdge{
		edge("board", "blog", at.Add(52*time.Minute)),
		edge("board", "state", at.Add(142*time.Minute)),
		edge("state", "daily", at.Add(302*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.mu.Lock()
	f.clock.now = at.Add(5*time.Hour + 50*time.Minute)
	f.clock.mu.Unlock()
	srv, err := New(Options{Store: f.st, Config: cfg, Clock: f.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = srv
	return f, arts
}

func TestLeakSpreadPage(t *testing.T) {
	f, arts := spreadFixture(t)
	c := f.login("vera")

	resp, body := c.get("/leaks")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/leaks/macronleaks"`) || !strings.Contains(body, "stage <strong>mainstream</strong>") {
		t.Errorf("leaks: %s\n%s", resp.Status, body)
	}

	resp, body = c.get("/leaks/macronleaks")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("leak page: %s\n%s", resp.Status, body)
	}
	for _, want := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"`, `marker-end="url(#arrow)"`, // the chart, its relays as arrows
		"pol-board → fringe-blog: 26 words",                                          // an edge's title in the chart
		`class="stage-mainstream">mainstream</strong>`,                               // the stage
		"<strong>2</strong> distinct outlets reported its contents in the last hour", // lefigaro (23:50) and lemonde (00:14), in the hour to 00:40
		`<a href="/findings/` + itoa(int(arts["board"].Finding)) + `">EMLEAKS: the treasurer&#39;s mail</a>`,
		`href="/leaks/macronleaks/spread.gexf"`, `href="/leaks/macronleaks/spread.csv"`,
		"2 h 40 min", // state-tv → lefigaro
		"Les courriels du trésorier &lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the leak page lacks %q", want)
		}
	}
	firsts := body[strings.Index(body, "First content report per tier"):strings.Index(body, "<h2>Relays")]
	for _, tier := range []string{"leak-site</td><td><strong>pol-board</strong>", "fringe</td><td><strong>fringe-blog</strong>",
		"foreign-state</td><td><strong>state-tv</strong>", "national</td><td><strong>lefigaro</strong> · <span class=\"when\">2017-05-05 23:50 UTC"} {
		if !strings.Contains(firsts, tier) {
			t.Errorf("first reports: no %q in\n%s", tier, firsts)
		}
	}
	relays := body[strings.Index(body, `<table class="relays">`):strings.Index(body, "<h2>Articles")]
	if strings.Count(relays, "<tr><td><strong>") != 3 {
		t.Errorf("want 3 relays in the table")
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img src=x") {
		t.Error("an outlet's markup is rendered on the leak page")
	}

	for file, ct := range map[string]string{"spread.json": "application/json", "spread.csv": "text/csv", "spread.gexf": "application/gexf+xml", "spread.svg": "image/svg+xml"} {
		resp, body := c.get("/leaks/macronleaks/" + file)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "macronleaks-"+file) {
			t.Errorf("%s: %s %v", file, resp.Status, resp.Header)
		}
		if file == "spread.json" {
			var sp struct {
				Stage string `json:"stage"`
				Edges []struct {
					From struct{ Outlet string } `json:"from"`
				} `json:"edges"`
				Articles []struct {
					FindingRow int64 `json:"finding_row"`
				} `json:"articles"`
			}
			if err := json.Unmarshal([]byte(body), &sp); err != nil || sp.Stage != "mainstream" || len(sp.Edges) != 3 || len(sp.Articles) != 6 || sp.Articles[0].FindingRow != arts["board"].Finding {
				t.Errorf("spread.json %v: %+v", err, sp)
			}
		}
	}
	for _, p := range []string{"/leaks/nope", "/leaks/nope/spread.json", "/leaks/macronleaks/spread.exe"} {
		if resp, _ := c.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	anon := f.browser()
	for _, p := range []string{"/leaks/macronleaks", "/leaks/macronleaks/spread.svg"} {
		if resp, _ := anon.get(p); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s anonymously: %s", p, resp.Status)
		}
	}
}

// TestFindingRelays: the state channel's finding shows the leak site's
// article it reuses and the daily that reuses it, each with the two
// passages; its JSON (page link and API) lists both relays.
func TestFindingRelays(t *testing.T) {
	f, arts := spreadFixture(t)
	c := f.login("vera")
	state := itoa(int(arts["state"].Finding))
	resp, body := c.get("/findings/" + state)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("finding: %s\n%s", resp.Status, body)
	}
	sec := body[strings.Index(body, `<section class="relays">`):]
	sec = sec[:strings.Index(sec, "</section>")]
	for _, want := range []string{
		"This article reuses <strong>26 words</strong> of <strong>pol-board</strong>'s article <a href=\"/findings/" + itoa(int(arts["board"].Finding)) + "\">EMLEAKS: the treasurer&#39;s mail</a> of 2017-05-05 18:50 UTC, 2 h 20 min earlier.",
		"Relayed by <strong>lefigaro</strong>: its article <a href=\"/findings/" + itoa(int(arts["daily"].Finding)) + "\">Les courriels du trésorier &lt;script&gt;alert(1)&lt;/script&gt;</a> of 2017-05-05 23:50 UTC, 2 h 40 min later",
		"According to the documents, <mark>Le trésorier propose", // this article's passage, highlighted
		"From the archive, mail 0042: <mark>Le trésorier",        // the leak site's
		"Selon une chaîne étrangère, <mark>Le trésorier",         // the daily's
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("the relays section lacks %q:\n%s", want, sec)
		}
	}
	if strings.Count(sec, `class="relay relay-in"`) != 1 || strings.Count(sec, `class="relay relay-out"`) != 1 {
		t.Errorf("want one relay in and one out:\n%s", sec)
	}
	if _, body := c.get("/findings/" + itoa(int(arts["mention"].Finding))); strings.Contains(body, `<section class="relays">`) {
		t.Error("a finding without relays shows a relays section")
	}

	for _, get := range []func() string{
		func() string { _, b := c.get("/findings/" + state + "/json"); return b },
		func() string { _, b := f.api("GET", "/api/findings/"+state, "viewer", ""); return b },
	} {
		var out struct {
			Relays []struct {
				Direction string
				Words     int
				From, To  struct {
					Outlet     string
					FindingRow int64 `json:"finding_row"`
					Start, End int
				}
			} `json:"relays"`
		}
		if err := json.Unmarshal([]byte(get()), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Relays) != 2 || out.Relays[0].Direction != "in" || out.Relays[0].From.Outlet != "pol-board" ||
			out.Relays[0].From.FindingRow != arts["board"].Finding || out.Relays[1].Direction != "out" || out.Relays[1].To.Outlet != "lefigaro" ||
			out.Relays[1].From.End-out.Relays[1].From.Start != len(relayed) {
			t.Errorf("relays in the finding's JSON: %+v", out.Relays)
		}
	}
}
