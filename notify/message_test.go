package notify

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
	"github.com/silencewatch/silencewatch/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func storedFinding(id int64, f finding.Finding) *store.StoredFinding {
	return &store.StoredFinding{ID: id, VersionID: id, ArticleID: id, Finding: f}
}

func alertsOf(n int) []store.Alert {
	var out []store.Alert
	for i := 0; i < n; i++ {
		f := sampleFinding(fmt.Sprintf("%016x", i+1), []string{"lemonde", "rt-fr", "fringe"}[i%3], fmt.Sprintf("Titre %d", i), config.Severity(1+i%5))
		out = append(out, store.Alert{ID: int64(i + 1), FindingID: int64(i + 1), Finding: *storedFinding(int64(i+1), f)})
	}
	return out
}

func goldenMessages() map[string]Message {
	f := sampleFinding("4af14393d1296520", "lemonde", "Ce que révèlent les courriels de l'équipe de campagne", config.SeverityHigh)
	f.OtherWindows = []string{"guidance:cnccep-2017-05-06-content"}
	sf := storedFinding(42, f)
	verdict := &store.Verdict{Verdict: ActionConfirm, User: "U024BE7LH", At: time.Date(2017, 5, 6, 8, 30, 0, 0, time.UTC)}
	return map[string]Message{
		"alert":             Alert(sf, false, nil, nil),
		"alert-interactive": Alert(sf, true, nil, nil),
		"alert-verdict":     Alert(sf, true, verdict, nil),
		"alert-syndicated":  Alert(sf, false, nil, []string{"lefigaro", "lemonde", "liberation"}),
		"follow-up":         FollowUp(sf, store.Thread{SameArticle: true}),
		"syndicated-reply":  FollowUp(sf, store.Thread{}),
		"digest":            Digest("#silence-alerts", alertsOf(12), 40),
		"digest-batch":      DigestBatch(alertsOf(10)),
		"health":            Health("lemonde", "crawler: source \"lemonde\" (https://www.lemonde.fr/rss/une.xml): HTTP 503", 3),
		"edited":            ArticleEvent(&store.Alert{ID: 7, Kind: "edited", Detail: "… le trésorier écrit [-: « il faut boucler le budget »-] {+.+}", Finding: *sf}),
		"deleted":           ArticleEvent(&store.Alert{ID: 8, Kind: "deleted", Detail: "HTTP 410", Finding: *sf}),
		"crossing": ArticleEvent(&store.Alert{ID: 12, Kind: "crossing", Finding: *sf,
			Detail: "First report of #MacronLeaks's contents by a national outlet (lemonde).\nRelay chain:\n• fringe (fringe) · Fri 20:50 CEST\n• rt-fr (foreign-state) · Sat 07:20 CEST · reuses 69 words of the one above\n• lemonde (national) · Sat 09:50 CEST · reuses 99 words of the one above"}),
		"velocity": ArticleEvent(&store.Alert{ID: 13, Kind: "velocity", Finding: *sf,
			Detail: "3 outlets reported #MacronLeaks's contents within 1h: fringe, lemonde, rt-fr"}),
		"alert-adversarial": Alert(storedFinding(43, adversarial), false, nil, nil),
	}
}

// adversarial has a title made to notify everyone and link elsewhere.
var adversarial = func() finding.Finding {
	f := sampleFinding("5bf14393d1296521", "fringe", "<!channel> <!here|here> <@U999> read <https://evil.example|the leak> & more > now", config.SeverityCritical)
	f.Article.Source = "fringe<!everyone>"
	return f
}()

// TestGoldenBlocks compares each message kind's Block Kit JSON with
// testdata/golden/KIND.json (go test -run Golden -update rewrites them).
func TestGoldenBlocks(t *testing.T) {
	for name, m := range goldenMessages() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(map[string]any{"text": m.Text, "blocks": m.Blocks}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				os.WriteFile(path, append(got, '\n'), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
				t.Errorf("%s differs from its golden file:\n%s", name, got)
			}
			checkLimits(t, m)
		})
	}
}

// checkLimits enforces Slack's limits on a message and that article text
// cannot mention or link anyone.
func checkLimits(t *testing.T, m Message) {
	t.Helper()
	if len(m.Blocks) > maxBlocks {
		t.Errorf("%d blocks", len(m.Blocks))
	}
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []map[string]any
	json.Unmarshal(raw, &blocks)
	total := utf8.RuneCountInString(m.Text)
	for _, b := range blocks {
		walkTexts(b, func(kind, text string) {
			total += utf8.RuneCountInString(text)
			limit := maxSectionChars
			if b["type"] == "header" {
				limit = maxHeaderChars
			}
			if n := utf8.RuneCountInString(text); n > limit {
				t.Errorf("%s text of %d characters (limit %d)", b["type"], n, limit)
			}
			for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U999>"} {
				// plain_text renders no mention; mrkdwn must escape them.
				if kind == "mrkdwn" && strings.Contains(text, bad) {
					t.Errorf("unescaped %s in %q", bad, text)
				}
			}
		})
	}
	if total > maxTextChars {
		t.Errorf("%d characters of text in one message", total)
	}
	if !utf8.ValidString(m.Text) {
		t.Error("fallback text is not valid UTF-8")
	}
	// Slack parses the fallback text too: a notification must not ping.
	for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<@U", "<http"} {
		if strings.Contains(m.Text, bad) {
			t.Errorf("unescaped %s in the fallback text %q", bad, m.Text)
		}
	}
}

// TestFallbackTextEscaped: every message kind built from an adversarial
// title keeps mentions and links out of its notification text, escaped as
// Slack's rules say (&amp; &lt; &gt;), and the text still reads.
func TestFallbackTextEscaped(t *testing.T) {
	sf := storedFinding(43, adversarial)
	a := store.Alert{ID: 9, Kind: "edited", Finding: *sf}
	d := store.Alert{ID: 10, Kind: "deleted", Finding: *sf}
	c := store.Alert{ID: 12, Kind: "crossing", Detail: "First report by <!channel> (fringe<!everyone>).\n• <https://evil.example|x> & more", Finding: *sf}
	for name, m := range map[string]Message{
		"crossing": ArticleEvent(&c),
		"alert":    Alert(sf, false, nil, nil), "follow-up": FollowUp(sf, store.Thread{SameArticle: true}), "syndicated": FollowUp(sf, store.Thread{}),
		"edited": ArticleEvent(&a), "deleted": ArticleEvent(&d), "health": Health("<!channel>", "x", 3),
	} {
		t.Run(name, func(t *testing.T) {
			checkLimits(t, m)
			if name != "health" && !strings.Contains(m.Text, "&lt;!channel&gt;") {
				t.Errorf("title not escaped as Slack expects: %q", m.Text)
			}
			if strings.Contains(m.Text, "&amp;lt;") {
				t.Errorf("escaped twice: %q", m.Text)
			}
		})
	}
}

// TestConsoleStripsTerminalEscapes: an outlet's title, evidence and
// source carrying terminal escape sequences (clear screen, set the window
// title, 8-bit CSI, a bidi override) print without them.
func TestConsoleStripsTerminalEscapes(t *testing.T) {
	f := sampleFinding("6cf14393d1296522", "fringe\x1b[2J", "Titre\x1b]0;pwned\x07 normal", config.SeverityHigh)
	f.Title = "Rule \x1b[31mred"
	f.Evidence[0].Text = "selon \u009b31m les courriels"
	f.Evidence[0].Before = "avant \u202e"
	f.Article.URL = "https://fringe.example/\x1b[8m"
	var out strings.Builder
	c := &Console{W: &out}
	sf := storedFinding(44, f)
	a := store.Alert{ID: 11, Kind: "edited", Detail: "\x1b[2Jdiff", Finding: *sf}
	for _, m := range []Message{Alert(sf, false, nil, nil), FollowUp(sf, store.Thread{}), ArticleEvent(&a), Health("src\x1b[2J", "\x1b[2J", 2)} {
		if _, err := c.Post(context.Background(), ConsoleChannel, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\x07"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("console output carries %q:\n%q", bad, out.String())
		}
	}
	if !strings.Contains(out.String(), "selon") || !strings.Contains(out.String(), "Rule") {
		t.Errorf("console output lost the text: %q", out.String())
	}
}

func walkTexts(v any, fn func(kind, text string)) {
	switch x := v.(type) {
	case map[string]any:
		if text, ok := x["text"].(string); ok {
			kind, _ := x["type"].(string)
			fn(kind, text)
		}
		for _, c := range x {
			walkTexts(c, fn)
		}
	case []any:
		for _, c := range x {
			walkTexts(c, fn)
		}
	}
}

func TestAdversarialInputStaysWithinLimits(t *testing.T) {
	long := strings.Repeat("Très long titre 🗳️ עברית العربية <!channel> & <@U999> > ", 200)
	evidence := strings.Repeat("x&y<z>*", 10000/7)
	f := sampleFinding("ffffffffffffffff", "<!here>|source", long, config.SeverityCritical)
	f.Title = long
	f.Reference = long
	f.Article.URL = "https://evil.example/a|b>c <!channel>"
	f.TimeNotes = []string{long}
	for i := 0; i < 30; i++ {
		f.Evidence = append(f.Evidence, finding.Evidence{Kind: "phrase", Field: article.FieldContent, Text: evidence, Before: long, After: long})
	}
	sf := storedFinding(1, f)
	alerts := alertsOf(60)
	for i := range alerts {
		alerts[i].Finding = *sf
	}
	for name, m := range map[string]Message{
		"alert": Alert(sf, true, nil, []string{long, long}), "follow-up": FollowUp(sf, store.Thread{}),
		"digest": Digest(long, alerts, 40), "batch": DigestBatch(alerts[:40]), "health": Health(long, long+evidence, 9),
	} {
		t.Run(name, func(t *testing.T) { checkLimits(t, m) })
	}
}

func TestEscaping(t *testing.T) {
	if got := escape("<!channel> & <@U1>"); got != "&lt;!channel&gt; &amp; &lt;@U1&gt;" {
		t.Errorf("escape: %q", got)
	}
	if got := link("https://x.example/a|b>c", "Title | with <tags>"); got != "<https://x.example/a%7Cb%3Ec|Title ¦ with &lt;tags&gt;>" {
		t.Errorf("link: %q", got)
	}
	if got := link("javascript:alert(1)", "x"); got != "x" {
		t.Errorf("a non-http link must not be a link: %q", got)
	}
	if got := truncate("abc&amp;def", 6); got != "abc…" {
		t.Errorf("truncate must not cut an entity: %q", got)
	}
	if got := bold("a*b"); got != "*a∗b*" {
		t.Errorf("bold: %q", got)
	}
}

func TestRouter(t *testing.T) {
	r := Router{Default: "#all", Routes: []config.Route{
		{Channel: "#critical", MinSeverity: config.SeverityCritical, Continue: true},
		{Channel: "#foreign", Tags: []string{"foreign"}},
		{Channel: "#antilles", Zones: []string{"antilles"}},
	}}
	f := sampleFinding("a", "rtbf", "t", config.SeverityCritical)
	tests := []struct {
		name string
		sev  config.Severity
		tags []string
		zone string
		want string
	}{
		{"critical and foreign: continue", config.SeverityCritical, []string{"foreign"}, "metropole", "#critical,#foreign"},
		{"foreign only", config.SeverityHigh, []string{"foreign"}, "metropole", "#foreign"},
		{"zone", config.SeverityHigh, nil, "antilles", "#antilles"},
		{"nothing matches: default", config.SeverityLow, nil, "metropole", "#all"},
	}
	for _, tt := range tests {
		f.Severity, f.Zones = tt.sev, []string{tt.zone}
		if got := strings.Join(r.Channels(&f, config.Source{Tags: tt.tags}), ","); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestVerdictLineNamesEveryVerdict(t *testing.T) {
	at := time.Date(2017, 5, 6, 10, 0, 0, 0, time.UTC)
	for verdict, want := range map[string]string{
		"confirmed": "Confirmed", "false_positive": "false positive", "acknowledged": "Acknowledged",
		"needs_legal_review": "legal review", "something_new": "something_new",
	} {
		if got := verdictLine(&store.Verdict{Verdict: verdict, User: "camille", At: at}); !strings.Contains(got, want) || strings.HasPrefix(got, " by") {
			t.Errorf("%s: %q", verdict, got)
		}
	}
}
