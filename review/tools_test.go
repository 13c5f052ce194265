package review

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/backtest"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// toolsFixture is the fixture's server with a self-check and a backtest
// that record what they were asked.
func toolsFixture(t *testing.T) (*fixture, *[]CheckInput) {
	f := newFixture(t)
	var asked []CheckInput
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	srv, err2 := New(Options{Store: f.st, Config: cfg, Clock: f.clock, Logger: slog.New(slog.DiscardHandler),
		Check: func(ctx context.Context, in CheckInput) ([]CheckedArticle, error) {
			asked = append(asked, in)
			text := in.Text
			i := strings.Index(text, "courriels")
			if i < 0 {
				return []CheckedArticle{{Article: article.Article{Title: in.Title, Content: text}}}, nil
			}
			return []CheckedArticle{{Article: article.Article{Title: in.Title, Content: text}, Findings: []finding.Finding{{
				Rule: "leak-content", Title: "Reporting the contents", Severity: config.SeverityHigh, Window: "fr-pres-2017/round-2/silence",
				Reference: "CNCCEP", ZoneWindows: []finding.ZoneWindow{{Zone: "metropole", End: time.Date(2017, 5, 7, 18, 0, 0, 0, time.UTC)}},
				Evidence: []finding.Evidence{{Field: article.FieldContent, Start: i, End: i + len("courriels")}}}}}}, nil
		},
		Backtest: func(ctx context.Context, rule string, since time.Time) (backtest.Result, error) {
			return backtest.Result{Rule: rule, Versions: 4, Kept: 1}, nil
		}})
	if err2 != nil {
		t.Fatal(err2)
	}
	f.srv.Config.Handler = srv // the fixture's address, this server
	return f, &asked
}

func TestSelfCheckPage(t *testing.T) {
	f, asked := toolsFixture(t)
	c := f.login("vera") // a viewer may self-check: nothing is stored
	resp, body := c.get("/check")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="text"`) {
		t.Fatalf("check page: %s", resp.Status)
	}
	draft := "Selon les courriels " + xss
	resp, body = c.post("/check", url.Values{"csrf": {csrfOf(t, body)}, "title": {"Brouillon"}, "text": {draft}, "at": {"2017-05-06T10:00"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check: %s", resp.Status)
	}
	if len(*asked) != 1 || (*asked)[0].Text != draft || !(*asked)[0].At.Equal(time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("asked %+v", *asked)
	}
	for _, want := range []string{"leak-content", "<mark>courriels</mark>", "Lawful again from Sun 07 May 2017 18:00 UTC", "CNCCEP"} {
		if !strings.Contains(body, want) {
			t.Errorf("the self-check result lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Error("the draft's markup is rendered as HTML")
	}
	if resp, _ := c.post("/check", url.Values{"title": {"x"}, "text": {"y"}, "at": {"2017-05-06T10:00"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("self-check without the CSRF token: %s, want 403", resp.Status)
	}
	if v, _ := f.st.Findings(context.Background()); len(v) != 2 {
		t.Errorf("the self-check wrote findings: %d in the store, want the fixture's 2", len(v))
	}
}

func TestBacktestAndLeaksPages(t *testing.T) {
	f, _ := toolsFixture(t)
	c := f.login("vera")
	resp, body := c.get("/backtest?rule=leak-content&since=2017-05-01T00:00")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "4 versions replayed") {
		t.Errorf("backtest: %s\n%s", resp.Status, body)
	}
	if _, body := c.get("/backtest?rule=nope"); !strings.Contains(body, "Unknown rule") {
		t.Error("an unknown rule is not refused")
	}
	resp, body = c.get("/leaks")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "macronleaks") || !strings.Contains(body, "quotes it") {
		t.Errorf("leaks: %s\n%s", resp.Status, body)
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("a title's markup is rendered on the leaks page")
	}
	anon := f.browser()
	for _, p := range []string{"/check", "/backtest", "/leaks"} {
		if resp, _ := anon.get(p); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s anonymously: %s", p, resp.Status)
		}
	}
}

func TestAPICheck(t *testing.T) {
	f, asked := toolsFixture(t)
	resp, body := f.api("POST", "/api/check", "viewer", `{"title": "Brouillon", "text": "Selon les courriels du trésorier", "at": "2017-05-06T10:00:00Z"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"rule": "leak-content"`) {
		t.Errorf("api check: %s\n%s", resp.Status, body)
	}
	if len(*asked) != 1 || (*asked)[0].Title != "Brouillon" {
		t.Errorf("asked %+v", *asked)
	}
	for _, c := range []struct{ body, role string }{{`{"text": "x"}`, ""}, {`{"bogus": 1}`, "viewer"}, {`{}`, "viewer"}, {`{"text": "x", "at": "noon"}`, "viewer"}} {
		resp, _ := f.api("POST", "/api/check", c.role, c.body)
		if resp.StatusCode == http.StatusOK {
			t.Errorf("POST %s as %q: accepted", c.body, c.role)
		}
	}
}

// TestSlackLink: a finding alerted in Slack links to its message.
func TestSlackLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := &article.Article{Source: "lemonde", URL: "https://www.lemonde.fr/c/3", GUID: "c3", Title: "Troisième", Content: "Selon les courriels."}
	res, err := f.st.SaveArticle(ctx, a, store.Fetch{FetchedAt: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	fd := finding.Finding{ID: "key-c3", Rule: "leak-content", Severity: config.SeverityHigh, Window: "silence", Article: finding.ArticleRef{Source: "lemonde", URL: a.URL}}
	sfs, err := f.st.SaveFindings(ctx, res.VersionID, []finding.Finding{fd}, func(*finding.Finding) []string { return []string{"#alerts"} }, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveChannelID(ctx, "#alerts", "C0ALERTS", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	as, _ := f.st.Alerts(ctx)
	for _, al := range as {
		if al.FindingID == sfs[0].ID {
			if err := f.st.MarkAlertSent(ctx, al.ID, "1494064800.000100", f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, body := f.login("vera").get(fmt.Sprintf("/findings/%d", sfs[0].ID))
	if !strings.Contains(body, `href="https://slack.com/archives/C0ALERTS/p1494064800000100"`) {
		t.Errorf("no link to the Slack message:\n%s", body)
	}
}
