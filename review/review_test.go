package review

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	silencewatch "github.com/silencewatch/silencewatch"
	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/clock"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *testClock) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }

// cheap keeps the tests fast; the stored hash carries its parameters.
var cheap = HashParams{Time: 1, Memory: 64, Threads: 1}

const testPassword = "correct horse battery"

// xss is what a hostile outlet puts in its title and body.
const xss = `<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">clic</a>`

type fixture struct {
	t       *testing.T
	st      *store.DB
	srv     *httptest.Server
	clock   *testClock
	finding int64 // the seeded finding's row id
	plain   int64 // a second finding, on an ordinary article
	tokens  map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "review.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg, err := config.Parse("config.yaml", silencewatch.ExampleConfig, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	clk := &testClock{now: time.Date(2017, 5, 7, 12, 0, 0, 0, time.UTC)}
	f := &fixture{t: t, st: st, clock: clk, tokens: map[string]string{}}
	for _, u := range []struct{ name, role string }{{"vera", "viewer"}, {"rémi", "reviewer"}, {"ada", "admin"}} {
		hash, err := HashPassword(testPassword, cheap)
		if err != nil {
			t.Fatal(err)
		}
		user, err := st.AddUser(ctx, u.name, u.role, hash, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := NewToken()
		if err := st.AddAPIToken(ctx, user.ID, TokenHash(tok), clk.Now()); err != nil {
			t.Fatal(err)
		}
		f.tokens[u.role] = tok
	}
	f.finding = f.seed(ctx, "lemonde", "https://www.lemonde.fr/a/1", "Les courriels "+xss, "Le parti, selon les courriels consultés "+xss+" révèle tout.", true)
	f.plain = f.seed(ctx, "liberation", "https://www.liberation.fr/b/2", "Sondage du jour", "Un sondage publié samedi donne le candidat gagnant.", false)
	srv, err := New(Options{Store: st, Config: cfg, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(srv)
	t.Cleanup(f.srv.Close)
	return f
}

// seed stores an article, a second version of it, and a finding on the
// second version with evidence in the title and the content.
func (f *fixture) seed(ctx context.Context, source, u, title, content string, leak bool) int64 {
	f.t.Helper()
	seen := time.Date(2017, 5, 6, 0, 16, 0, 0, time.UTC)
	a := &article.Article{Source: source, URL: u, GUID: u, Title: title, Content: "old text", PublishedAt: seen.Add(-2 * time.Minute)}
	if _, err := f.st.SaveArticle(ctx, a, store.Fetch{URL: u, FetchedAt: seen}); err != nil {
		f.t.Fatal(err)
	}
	a.Content = content
	res, err := f.st.SaveArticle(ctx, a, store.Fetch{URL: u, FetchedAt: seen.Add(time.Minute)})
	if err != nil {
		f.t.Fatal(err)
	}
	word := "courriels"
	if !leak {
		word = "sondage"
	}
	i := strings.Index(strings.ToLower(content), word)
	ev := []finding.Evidence{
		{Kind: "term", Field: article.FieldContent, Text: content[i : i+len(word)], Start: i, End: i + len(word), Pattern: word},
		{Kind: "term", Field: article.FieldTitle, Text: title[:3], Start: 0, End: 3, Pattern: title[:3]},
	}
	if leak {
		ev = append(ev, finding.Evidence{Kind: "leak_quote", Field: article.FieldContent, Text: content[i : i+len(word)],
			Start: i, End: i + len(word), Before: "selon les ", After: " consultés",
			Source: &finding.LeakSource{Leak: "macronleaks", DocID: "mail-7.eml", DocTitle: "Re: " + xss, DocText: "les courriels " + xss, Words: 5, Matched: 5}})
	}
	fd := finding.Finding{
		ID: "key-" + source, Rule: "leak-content", Title: "Reporting the contents of the leaked data", Severity: config.Severity(4),
		Reference: "CNCCEP communiqué", Election: "fr-pres-2017", Round: "round-2", Window: "silence", Zones: []string{"metropole"},
		ZoneWindows: []finding.ZoneWindow{{Zone: "metropole", ZoneName: "France métropolitaine", TimeZone: "Europe/Paris",
			Start: time.Date(2017, 5, 5, 22, 0, 0, 0, time.UTC), End: time.Date(2017, 5, 7, 18, 0, 0, 0, time.UTC), Elapsed: "2 h 14 min into"}},
		TimeBasis: "published", BasisTime: a.PublishedAt,
		Article:  finding.ArticleRef{URL: u, Title: title, Source: source, PublishedAt: a.PublishedAt, FirstSeenAt: seen},
		Evidence: ev,
	}
	if !leak {
		fd.Rule, fd.Severity, fd.ID = "poll-published", config.Severity(3), "key-poll"
		fd.BasisTime = fd.BasisTime.Add(time.Hour)
	}
	sfs, err := f.st.SaveFindings(ctx, res.VersionID, []finding.Finding{fd}, nil, seen.Add(time.Minute))
	if err != nil {
		f.t.Fatal(err)
	}
	return sfs[0].ID
}

// client is a browser: a cookie jar, no redirects followed.
type client struct {
	f    *fixture
	http *http.Client
}

func (f *fixture) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) get(path string) (*http.Response, string) {
	c.f.t.Helper()
	resp, err := c.http.Get(c.f.srv.URL + path)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.f.t.Helper()
	resp, err := c.http.PostForm(c.f.srv.URL+path, form)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", body)
	}
	return m[1]
}

func (c *client) tryLogin(name, password string) *http.Response {
	c.f.t.Helper()
	_, body := c.get("/login")
	resp, _ := c.post("/login", url.Values{"csrf": {csrfOf(c.f.t, body)}, "name": {name}, "password": {password}})
	return resp
}

func (f *fixture) login(name string) *client {
	f.t.Helper()
	c := f.browser()
	if resp := c.tryLogin(name, testPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		f.t.Fatalf("login %s: %s", name, resp.Status)
	}
	return c
}

func TestAnonymousSeesOnlyLogin(t *testing.T) {
	f := newFixture(t)
	c := f.browser()
	for _, path := range []string{"/", "/findings", "/findings/1", "/findings/1/json", "/findings/1/warc", "/sources", "/nowhere"} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("GET %s anonymously: %s, Location %q", path, resp.Status, resp.Header.Get("Location"))
		}
		if strings.Contains(body, "courriels") {
			t.Errorf("GET %s anonymously shows an article", path)
		}
	}
	resp, body := c.get("/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Errorf("login page: %s\n%s", resp.Status, body)
	}
	if resp, _ := c.post("/findings/1/verdict", url.Values{"verdict": {"confirmed"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous verdict: %s, want 403", resp.Status)
	}
	for _, path := range []string{"/api/findings", "/api/findings/1"} {
		resp, _ := c.get(path)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %s, want 401", path, resp.Status)
		}
	}
	if v, _ := f.st.VerdictEntries(context.Background(), f.finding); len(v) != 0 {
		t.Errorf("anonymous requests recorded verdicts: %v", v)
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	c := f.login("vera")
	for _, tc := range []struct {
		path  string
		wants []string
	}{
		{"/", []string{"Dashboard", "<svg", `href="/findings/1"`, "leak-content", "poll-published", "metropole", "lemonde", "No verdict", "France métropolitaine"}},
		{"/findings", []string{"2 of 2", "leak-content", "poll-published", "lemonde", "liberation"}},
		{"/findings?rule=poll-published", []string{"1–1 of 1", "Sondage du jour"}},
		{"/findings?q=sondage+samedi", []string{"1–1 of 1", "Sondage du jour"}},
		{"/findings?q=%22selon+les+courriels%22", []string{"1–1 of 1", "lemonde"}},
		{"/findings?q=courr*", []string{"1–1 of 1", "lemonde"}},
		{"/findings?q=introuvable", []string{"No finding matches"}},
		{"/findings?severity=medium&outlet=liberation&zone=metropole&verdict=none", []string{"1–1 of 1"}},
		{"/findings?from=2017-05-06T00:30&to=2017-05-07", []string{"1–1 of 1", "Sondage du jour"}},
		{"/findings?sort=severity&limit=1&page=2", []string{"2–2 of 2", "page 2 of 2", "← previous"}},
		{"/findings/1", []string{"Article text, evidence highlighted", "<mark>courriels</mark>", "CNCCEP communiqué",
			"Leaked passages beside their source", "mail-7.eml", "version 2", "[-old text-]"[2:4], "<del>old text</del>",
			"Europe/Paris", "Sat 06 May 02:14:00 CEST", `title="2017-05-06 00:14:00 UTC"`, "2 h 14 min into", "/findings/1/warc", "/findings/1/json", "No verdict yet"}},
		{"/sources", []string{"lemonde", "never polled"}},
	} {
		resp, body := c.get(tc.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s\n%s", tc.path, resp.Status, body)
			continue
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != csp {
			t.Errorf("GET %s: CSP %q", tc.path, got)
		}
		for _, w := range tc.wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q in the page", tc.path, w)
			}
		}
	}
	// A viewer sees no verdict form.
	if _, body := c.get("/findings/1"); strings.Contains(body, `action="/findings/1/verdict"`) {
		t.Error("a viewer is offered the verdict form")
	}
	resp, body := c.get("/static/style.css")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "mark") {
		t.Errorf("style sheet: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/findings/999", "/findings/x"} {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
	if resp, _ := c.get("/findings?sort=nonsense"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad sort: %s, want 400", resp.Status)
	}
}

func TestSourcesHealth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := f.clock.Now()
	if err := f.st.SaveSourceState(ctx, store.SourceState{Name: "lemonde", URL: "https://www.lemonde.fr/rss/une.xml", Failures: 4,
		LastPollAt: at, LastSuccessAt: at.Add(-time.Hour), NextPollAt: at.Add(time.Minute), Interval: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.AddEvent(ctx, store.Event{Source: "lemonde", Kind: "gap", Detail: "no item in common with the last poll", At: at}); err != nil {
		t.Fatal(err)
	}
	_, body := f.login("vera").get("/sources")
	for _, w := range []string{"failing", "gap", "no item in common", "1m0s", "2017-05-07 12:01:00 UTC"} {
		if !strings.Contains(body, w) {
			t.Errorf("sources page: no %q", w)
		}
	}
}

func TestFindingExports(t *testing.T) {
	f := newFixture(t)
	c := f.login("vera")
	resp, body := c.get("/findings/1/json")
	var got apiFinding
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got.Finding.ID != "key-lemonde" || got.Version.Version != 2 {
		t.Errorf("finding JSON: %s %+v", resp.Status, got)
	}
	resp, body = c.get("/findings/1/warc")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/warc" || !strings.HasPrefix(body, "WARC/1.1") {
		t.Errorf("WARC: %s %s %.40q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
}

func TestVerdictAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	viewer := f.login("vera")
	_, page := viewer.get("/findings/1")
	resp, _ := viewer.post("/findings/1/verdict", url.Values{"csrf": {csrfOf(t, page)}, "verdict": {"confirmed"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's verdict: %s, want 403", resp.Status)
	}
	reviewer := f.login("rémi")
	_, page = reviewer.get("/findings/1")
	if !strings.Contains(page, `action="/findings/1/verdict"`) {
		t.Fatal("a reviewer has no verdict form")
	}
	token := csrfOf(t, page)
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{"verdict": {"confirmed"}}},
		{"wrong token", url.Values{"csrf": {token[:len(token)-2] + "xx"}, "verdict": {"confirmed"}}},
		{"another session's token", url.Values{"csrf": {csrfOf(t, func() string { _, b := f.login("ada").get("/findings/1"); return b }())}, "verdict": {"confirmed"}}},
	} {
		if resp, _ := reviewer.post("/findings/1/verdict", tc.form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s, want 403", tc.name, resp.Status)
		}
	}
	if resp, _ := reviewer.post("/logout", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without a CSRF token: %s, want 403", resp.Status)
	}
	if v, _ := f.st.VerdictEntries(ctx, f.finding); len(v) != 0 {
		t.Fatalf("refused requests recorded verdicts: %v", v)
	}
	if resp, body := reviewer.post("/findings/1/verdict", url.Values{"csrf": {token}, "verdict": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown verdict: %s\n%s", resp.Status, body)
	}
	resp, _ = reviewer.post("/findings/1/verdict", url.Values{"csrf": {token}, "verdict": {"needs_legal_review"}, "note": {"ask counsel <b>now</b>"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reviewer's verdict: %s", resp.Status)
	}
	// Slack's verdict, as the buttons record it, lands in the same history.
	f.clock.Advance(time.Minute)
	if err := f.st.SetVerdict(ctx, f.finding, store.Verdict{Verdict: "confirmed", User: "U024BE7LH", Team: "T1", At: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	hist, err := f.st.VerdictEntries(ctx, f.finding)
	if err != nil || len(hist) != 2 || hist[0].Source != "web" || hist[0].User != "rémi" || hist[0].Note != "ask counsel <b>now</b>" ||
		hist[1].Source != "slack" || hist[1].Verdict.Verdict != "confirmed" {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	_, page = reviewer.get("/findings/1")
	for _, w := range []string{"Latest: <span class=\"verdict v-confirmed\">Confirmed</span> by U024BE7LH (slack)", "Needs legal review", "ask counsel &lt;b&gt;now&lt;/b&gt;", ">web<", ">slack<"} {
		if !strings.Contains(page, w) {
			t.Errorf("finding page after verdicts: no %q", w)
		}
	}
	if _, body := reviewer.get("/findings?verdict=confirmed"); !strings.Contains(body, "1–1 of 1") {
		t.Error("the verdict filter does not find the confirmed finding")
	}
	// Logout ends the session server-side.
	resp, _ = reviewer.post("/logout", url.Values{"csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %s", resp.Status)
	}
	if resp, _ := reviewer.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %s, want a redirect to the login", resp.Status)
	}
}

func TestSessionCookieAndExpiry(t *testing.T) {
	f := newFixture(t)
	c := f.browser()
	resp := c.tryLogin("vera", testPassword)
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure {
		t.Fatalf("session cookie: %+v", sc)
	}
	if _, err := f.st.SessionByID(context.Background(), sc.Value, f.clock.Now()); err == nil {
		t.Error("the session id is stored in clear")
	}
	if r, _ := c.get("/"); r.StatusCode != http.StatusOK {
		t.Errorf("signed in: %s", r.Status)
	}
	f.clock.Advance(DefaultSessionTTL + time.Second)
	if r, _ := c.get("/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("expired session: %s, want a redirect", r.Status)
	}
}

func TestLoginCSRF(t *testing.T) {
	f := newFixture(t)
	c := f.browser()
	c.get("/login")
	resp, _ := c.post("/login", url.Values{"csrf": {"forged"}, "name": {"vera"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with a forged token: %s, want 403", resp.Status)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	c := f.browser()
	for i := range FreeFailures {
		if resp := c.tryLogin("vera", "wrong password!"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %s", i+1, resp.Status)
		}
	}
	// Locked: even the right password is refused, from any address.
	if resp := c.tryLogin("vera", testPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	f.clock.Advance(LockBase + time.Second)
	if resp := c.tryLogin("vera", "wrong again!!"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the lockout: %s", resp.Status)
	}
	// The sixth failure doubles the lockout.
	f.clock.Advance(LockBase + time.Second)
	if resp := c.tryLogin("vera", testPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second lockout is not longer: %s", resp.Status)
	}
	f.clock.Advance(LockBase)
	if resp := c.tryLogin("vera", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the doubled lockout: %s", resp.Status)
	}
	// Per address: failures on names that do not exist lock the address.
	c = f.browser()
	for i := range FreeFailures + 1 {
		c.tryLogin("nobody"+itoa(i), "whatever password")
	}
	if resp := c.tryLogin("ada", testPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("address after %d failures: %s, want 429", FreeFailures+1, resp.Status)
	}
}

func TestXSSInert(t *testing.T) {
	f := newFixture(t)
	c := f.login("rémi")
	for _, path := range []string{"/findings", "/findings?q=courriels", "/findings/1", "/"} {
		resp, body := c.get(path)
		if resp.Header.Get("Content-Security-Policy") != csp {
			t.Errorf("%s: CSP header %q", path, resp.Header.Get("Content-Security-Policy"))
		}
		for _, raw := range []string{"<script", "<img", `href="javascript:`, "alert(1)</script>"} {
			if strings.Contains(strings.ToLower(body), strings.ToLower(raw)) {
				t.Errorf("%s: %q appears unescaped", path, raw)
			}
		}
		if path != "/" && (!strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;")) {
			t.Errorf("%s: the title's text is not shown escaped", path)
		}
	}
	// The JSON API escapes too.
	resp, body := f.api("GET", "/api/findings/1", "viewer", "")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "<script>") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("API: %s, raw tag in JSON: %v", resp.Status, strings.Contains(body, "<script>"))
	}
}

func (f *fixture) api(method, path, role, body string) (*http.Response, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAPI(t *testing.T) {
	f := newFixture(t)
	resp, body := f.api("GET", "/api/findings?q=sondage", "viewer", "")
	var list apiList
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.Total != 1 || list.Findings[0].Rule != "poll-published" {
		t.Errorf("GET /api/findings?q=sondage: %s %s", resp.Status, body)
	}
	resp, body = f.api("GET", "/api/findings?severity=high&sort=time-asc", "viewer", "")
	if json.Unmarshal([]byte(body), &list) != nil || list.Total != 1 || list.Findings[0].Outlet != "lemonde" {
		t.Errorf("GET /api/findings?severity=high: %s %s", resp.Status, body)
	}
	if resp, _ := f.api("GET", "/api/findings?from=yesterday", "viewer", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad from: %s", resp.Status)
	}
	resp, body = f.api("GET", "/api/findings/2", "viewer", "")
	var one apiFinding
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &one) != nil || one.ID != 2 || len(one.Finding.Evidence) != 2 {
		t.Errorf("GET /api/findings/2: %s %s", resp.Status, body)
	}
	if resp, _ := f.api("GET", "/api/findings/99", "viewer", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown finding: %s", resp.Status)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/findings", nil)
	req.Header.Set("Authorization", "Bearer not-a-token")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: %s", resp.Status)
	}
	verdict := `{"verdict": "false_positive", "note": "satire"}`
	if resp, _ := f.api("POST", "/api/findings/2/verdict", "viewer", verdict); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer's API verdict: %s, want 403", resp.Status)
	}
	if resp, _ := f.api("POST", "/api/findings/2/verdict", "reviewer", `{"verdict": "nope"}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad API verdict: %s, want 400", resp.Status)
	}
	if resp, _ := f.api("POST", "/api/findings/2/verdict", "reviewer", `{"verdict": "confirmed", "extra": 1}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("API verdict with an unknown field: %s, want 400", resp.Status)
	}
	resp, body = f.api("POST", "/api/findings/2/verdict", "reviewer", verdict)
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &one) != nil || one.Verdict == nil ||
		one.Verdict.Verdict != "false_positive" || one.Verdict.Source != "web" || one.Verdict.User != "rémi" || one.Verdict.Note != "satire" {
		t.Errorf("reviewer's API verdict: %s %s", resp.Status, body)
	}
	if resp, _ := f.api("POST", "/api/findings/2/verdict", "admin", `{"verdict": "confirmed"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("admin's API verdict: %s", resp.Status)
	}
	resp, body = f.api("GET", "/api/findings?verdict=confirmed", "viewer", "")
	if json.Unmarshal([]byte(body), &list) != nil || list.Total != 1 || list.Findings[0].Verdict != "confirmed" {
		t.Errorf("GET /api/findings?verdict=confirmed: %s %s", resp.Status, body)
	}
}

func TestHighlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		spans []Span
		want  string // marked runs in [brackets]
	}{
		{"none", "abc", nil, "abc"},
		{"one", "le courriel dit", []Span{{3, 11}}, "le [courriel] dit"},
		{"overlapping and touching", "abcdefgh", []Span{{1, 3}, {2, 5}, {5, 6}}, "a[bcdef]gh"},
		{"clamped", "abc", []Span{{-4, 1}, {2, 99}}, "[a]b[c]"},
		{"empty and reversed dropped", "abc", []Span{{1, 1}, {2, 1}}, "abc"},
		{"inside a character", "é!", []Span{{1, 2}}, "[é]!"},
		{"markup stays text", "<b>x</b>", []Span{{3, 4}}, "<b>[x]</b>"},
	} {
		var b strings.Builder
		for _, s := range Highlight(tc.text, tc.spans) {
			if s.Mark {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		if b.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, b.String(), tc.want)
		}
	}
}

func TestDiffSegments(t *testing.T) {
	got := DiffSegments("le [-vieux-] {+nouveau+} texte [x] {y}")
	var b strings.Builder
	for _, s := range got {
		b.WriteString(s.Kind + ":" + s.Text + "|")
	}
	if want := ":le |del:vieux|: |ins:nouveau|: texte [x] {y}|"; strings.ReplaceAll(b.String(), "|:", "|:") != want {
		// Adjacent plain runs may be split; compare the joined text too.
		var plain strings.Builder
		for _, s := range got {
			plain.WriteString(s.Text)
		}
		if plain.String() != "le vieux nouveau texte [x] {y}" {
			t.Errorf("diff segments: %s", b.String())
		}
	}
}

func TestFTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"courriels":             `"courriels"`,
		`selon "les courriels"`: `"selon" "les courriels"`,
		"courr* NEAR(a b) OR":   `"courr"* "NEAR(a" "b)" "OR"`,
		`a"b`:                   `"a" "b"`,
		"*":                     "",
	} {
		if got := store.FTSQuery(in); got != want {
			t.Errorf("FTSQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword(testPassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, testPassword) {
		t.Errorf("hash %q", h)
	}
	if ok, err := CheckPassword(h, testPassword); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, testPassword+"x"); ok {
		t.Error("wrong password accepted")
	}
	if _, err := HashPassword("short", cheap); err == nil {
		t.Error("short password accepted")
	}
	if _, err := CheckPassword("$2a$10$bcrypt", testPassword); err == nil {
		t.Error("malformed hash accepted")
	}
}
