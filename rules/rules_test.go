package rules

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/silencewatch/silencewatch/article"
	"github.com/silencewatch/silencewatch/config"
	"github.com/silencewatch/silencewatch/finding"
)

const calendarYAML = `
sources:
  - {name: national, url: https://n.example/rss, tags: [national], language: fr}
  - {name: antilles-paper, url: https://a.example/rss, tags: [overseas], zones: [antilles]}
  - {name: foreign, url: https://f.example/rss, tags: [foreign]}
elections:
  - id: fr
    rounds:
      - id: r2
        zones:
          - {id: metropole, tz: Europe/Paris, date: 2017-05-07, opens: "08:00", closes: "20:00"}
          - {id: antilles, tz: America/Martinique, date: 2017-05-06, opens: "08:00", closes: "18:00"}
        windows:
          - {name: silence, start: eve-midnight, end: polls-close}
guidance:
  - {id: cnccep, authority: CNCCEP, issued_at: "2017-05-06T00:00:00+02:00", until: "2017-05-07T20:00:00+02:00"}
leaks:
  - {id: leak, disclosed_at: "2017-05-05T20:35:00+02:00"}
lists:
  leak-names: ["#MacronLeaks", documents piratés]
`

func engine(t *testing.T, rulesYAML string) *Engine {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(calendarYAML+"rules:\n"+rulesYAML), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fires(e *Engine, a *article.Article) map[string]finding.Finding {
	out := map[string]finding.Finding{}
	for _, f := range e.Evaluate(a) {
		out[f.Rule] = f
	}
	return out
}

func TestMatchSemantics(t *testing.T) {
	e := engine(t, `
  - {id: term, title: t, severity: low, windows: [always], match: {term: courriel}}
  - {id: phrase, title: t, severity: low, windows: [always], match: {phrase: selon les courriels}}
  - {id: all, title: t, severity: low, windows: [always], match: {all: [{term: trésorier}, {list: leak-names}]}}
  - {id: any, title: t, severity: low, windows: [always], match: {any: [{term: sondage}, {term: poll}]}}
  - {id: none, title: t, severity: low, windows: [always], match: {any: [{list: leak-names}], none: [{phrase: ne publierons pas}]}}
  - {id: nested, title: t, severity: low, windows: [always], match: {all: [{any: [{term: a1}, {term: a2}]}, {any: [{term: b1}, {all: [{term: c1}, {term: c2}]}]}]}}
  - {id: near, title: t, severity: low, windows: [always], match: {near: {terms: [courriel, révèle], within: 3}}}
  - {id: regex, title: t, severity: low, windows: [always], match: {all: [{term: sondage}, {regex: '\d+ ?%'}]}}
  - {id: regex-only, title: t, severity: low, windows: [always], match: {regex: 'radio ?londres'}}
  - {id: cased, title: t, severity: low, windows: [always], match: {term: EM, cased: true}}
`)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"term ignores case and accents", "Un COURRIEL circule", []string{"term"}},
		{"term is word-bounded", "Des courriels circulent", nil},
		{"phrase across a line break", "Selon les\ncourriels publiés", []string{"phrase"}},
		{"all needs every part", "Le trésorier parle", nil},
		{"all with every part", "Le tresorier et les #MacronLeaks", []string{"all", "none"}},
		{"any", "Un nouveau poll", []string{"any"}},
		{"none vetoes", "#MacronLeaks : nous ne publierons pas", nil},
		{"nested groups, first branch", "a2 et b1", []string{"nested"}},
		{"nested groups, inner all", "a1, c1 puis c2", []string{"nested"}},
		{"nested groups, inner all incomplete", "a1, c1 seulement", nil},
		{"near within", "Un courriel interne révèle tout", []string{"near", "term"}},
		{"near too far", "Un courriel interne que personne ne lisait révèle tout", []string{"term"}},
		{"regex after literal", "Un sondage à 62 %", []string{"any", "regex"}},
		{"regex without literal does not run", "62 % des votants", nil},
		{"regex-only rule", "Le code #RadioLondres", []string{"regex-only"}},
		{"cased term", "les mails d'EM", []string{"cased"}},
		{"cased term refuses other case", "les mails d'em", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fires(e, &article.Article{Content: tt.text, FirstSeenAt: at("2017-05-06T10:00:00+02:00")})
			if len(got) != len(tt.want) {
				t.Fatalf("fired %v, want %v", keys(got), tt.want)
			}
			for _, w := range tt.want {
				if _, ok := got[w]; !ok {
					t.Fatalf("fired %v, want %v", keys(got), tt.want)
				}
			}
		})
	}
}

func keys(m map[string]finding.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestEvidenceOffsetsIntoOriginal(t *testing.T) {
	e := engine(t, `
  - {id: r, title: t, severity: high, windows: [always], match: {all: [{list: leak-names}, {phrase: "selon les courriels"}]}}
`)
	a := &article.Article{
		Title:       "Les « documents piratés » de l’équipe",
		Content:     "Œuvre collective : Selon  les\ncourriels, #MacronLeaks révèle…",
		FirstSeenAt: at("2017-05-06T10:00:00+02:00"),
	}
	fs := e.Evaluate(a)
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	want := map[string]bool{"documents piratés": true, "Selon  les\ncourriels": true, "#MacronLeaks": true}
	for _, ev := range fs[0].Evidence {
		text := a.Title
		if ev.Field == article.FieldContent {
			text = a.Content
		}
		if text[ev.Start:ev.End] != ev.Text {
			t.Errorf("evidence %q: [%d,%d) of %s is %q", ev.Text, ev.Start, ev.End, ev.Field, text[ev.Start:ev.End])
		}
		if !want[ev.Text] {
			t.Errorf("unexpected evidence %q", ev.Text)
		}
		delete(want, ev.Text)
	}
	if len(want) > 0 {
		t.Errorf("missing evidence: %v", want)
	}
}

func TestWindowsZonesAndSince(t *testing.T) {
	e := engine(t, `
  - id: content
    title: t
    severity: high
    windows: [fr/r2/silence, guidance:cnccep]
    since: leak:leak
    match: {list: leak-names}
`)
	text := "Les #MacronLeaks montrent"
	tests := []struct {
		name, source, published string
		wantFire                bool
		wantZones               []string
		wantWindow              string
		wantOthers              int
	}{
		{"before the leak: nothing, though the Antilles are in silence", "national", "2017-05-05T12:00:00+02:00", false, nil, "", 0},
		{"leak night, national outlet: the Saturday zone only", "national", "2017-05-05T23:00:00+02:00", true, []string{"antilles"}, "silence", 0},
		{"leak night, Antilles outlet", "antilles-paper", "2017-05-05T23:00:00+02:00", true, []string{"antilles"}, "silence", 0},
		{"Saturday morning: both zones and the guidance", "national", "2017-05-06T10:00:00+02:00", true, []string{"metropole", "antilles"}, "silence", 1},
		{"Saturday evening: Antilles polls closed", "national", "2017-05-07T10:00:00+02:00", true, []string{"metropole"}, "silence", 1},
		{"Antilles outlet after its own close: guidance only", "antilles-paper", "2017-05-07T10:00:00+02:00", true, []string{}, "guidance:cnccep", 0},
		{"after the metropolitan close", "national", "2017-05-07T20:00:00+02:00", false, nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &article.Article{Source: tt.source, Content: text, PublishedAt: at(tt.published), FirstSeenAt: at(tt.published).Add(2 * time.Minute)}
			fs := e.Evaluate(a)
			if !tt.wantFire {
				if len(fs) != 0 {
					t.Fatalf("fired: %+v", fs[0])
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("got %d findings", len(fs))
			}
			f := fs[0]
			if f.Window != tt.wantWindow || strings.Join(f.Zones, ",") != strings.Join(tt.wantZones, ",") || len(f.OtherWindows) != tt.wantOthers {
				t.Errorf("window %q zones %v others %v; want %q %v %d", f.Window, f.Zones, f.OtherWindows, tt.wantWindow, tt.wantZones, tt.wantOthers)
			}
			if f.TimeBasis != "published" || len(f.TimeNotes) != 0 {
				t.Errorf("basis %s notes %v", f.TimeBasis, f.TimeNotes)
			}
		})
	}
}

func TestTimeBasis(t *testing.T) {
	e := engine(t, `
  - {id: r, title: t, severity: high, windows: [fr/r2/silence], match: {list: leak-names}}
`)
	tests := []struct {
		name                  string
		published, firstSeen  string
		wantBasis             string
		wantSuspect, wantNote bool
	}{
		{"claimed time used", "2017-05-06T10:00:00+02:00", "2017-05-06T10:05:00+02:00", "published", false, false},
		{"no claimed time", "", "2017-05-06T10:05:00+02:00", "first_seen", false, true},
		{"claimed far earlier: backdating flagged", "2017-05-06T01:00:00+02:00", "2017-05-06T10:05:00+02:00", "published", true, true},
		{"claimed in the future: first seen used", "2017-05-06T18:00:00+02:00", "2017-05-06T10:05:00+02:00", "first_seen", false, true},
		// Midnight UTC: a date without a time of day, said so; seen that
		// day, it is no backdating; seen days later, it may be.
		{"claimed date only, seen that day", "2017-05-06T00:00:00Z", "2017-05-06T10:05:00+02:00", "published", false, true},
		{"claimed date only, seen days later", "2017-05-07T00:00:00Z", "2017-05-09T10:05:00+02:00", "published", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &article.Article{Content: "#MacronLeaks", FirstSeenAt: at(tt.firstSeen)}
			if tt.published != "" {
				a.PublishedAt = at(tt.published)
			}
			fs := e.Evaluate(a)
			if len(fs) != 1 {
				t.Fatalf("got %d findings", len(fs))
			}
			f := fs[0]
			if f.TimeBasis != tt.wantBasis || f.BackdatingSuspected != tt.wantSuspect || (len(f.TimeNotes) > 0) != tt.wantNote {
				t.Errorf("basis %s suspect %v notes %v", f.TimeBasis, f.BackdatingSuspected, f.TimeNotes)
			}
		})
	}
}

func TestScope(t *testing.T) {
	e := engine(t, `
  - {id: tags, title: t, severity: low, windows: [always], scope: {tags: [foreign]}, match: {term: estimation}}
  - {id: sources, title: t, severity: low, windows: [always], scope: {sources: [national]}, match: {term: estimation}}
  - {id: langs, title: t, severity: low, windows: [always], scope: {languages: [en]}, match: {term: estimation}}
`)
	tests := []struct {
		source, lang string
		want         []string
	}{
		{"foreign", "fr", []string{"tags"}},
		{"national", "fr", []string{"sources"}},
		{"national", "en", []string{"sources", "langs"}},
		{"", "", []string{"langs"}}, // unknown language stays in scope
		{"", "de", nil},
	}
	for _, tt := range tests {
		got := fires(e, &article.Article{Source: tt.source, Language: tt.lang, Content: "une estimation", FirstSeenAt: at("2017-05-06T10:00:00Z")})
		if len(got) != len(tt.want) {
			t.Errorf("source %q lang %q: fired %v, want %v", tt.source, tt.lang, keys(got), tt.want)
		}
	}
}

func TestFindingIDStable(t *testing.T) {
	e := engine(t, `
  - {id: r, title: t, severity: low, windows: [always], match: {term: x}}
`)
	a := &article.Article{Source: "s", GUID: "g1", Content: "x", FirstSeenAt: at("2017-05-06T10:00:00Z")}
	b := *a
	b.Content = "x, edited"
	c := *a
	c.GUID = "g2"
	id := e.Evaluate(a)[0].ID
	if e.Evaluate(&b)[0].ID != id {
		t.Error("a new version of the same article keeps the finding id")
	}
	if e.Evaluate(&c)[0].ID == id {
		t.Error("another article gets another finding id")
	}
}

// TestLeakReportWithoutCorpus: leak_report runs on the leak's configured
// identifiers and names alone; leak_quote, which needs the documents,
// still refuses to compile without an index.
func TestLeakReportWithoutCorpus(t *testing.T) {
	yaml := strings.Replace(calendarYAML, `  - {id: leak, disclosed_at: "2017-05-05T20:35:00+02:00"}`,
		`  - {id: leak, disclosed_at: "2017-05-05T20:35:00+02:00", identifiers: ["#MacronLeaks"], names: [En Marche]}`, 1)
	cfg, err := config.Parse("test.yaml", []byte(yaml+`rules:
  - id: content
    title: t
    severity: high
    windows: [fr/r2/silence]
    match: {leak_report: {leak: leak, label: content, min_score: 0.5}}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("leak_report without a corpus: %v", err)
	}
	content := &article.Article{Source: "national", GUID: "c", Title: "Ce que contiennent les courriels d'En Marche",
		Content: "Parmi les milliers de messages publiés vendredi, plusieurs échanges internes détaillent l'organisation des meetings. " +
			"Dans un courriel daté du 12 mars, le trésorier écrit à un collaborateur : « Il faut régler la facture de la salle avant lundi, on dépasse de 30 000 euros ».",
		PublishedAt: at("2017-05-06T10:00:00+02:00")}
	existence := &article.Article{Source: "national", GUID: "e", Title: "#MacronLeaks : En Marche dénonce un piratage massif",
		Content:     "Le mouvement En Marche a dénoncé vendredi un « piratage massif et coordonné » après la mise en ligne de 9 Go de données. Le parquet a ouvert une enquête.",
		PublishedAt: at("2017-05-06T10:00:00+02:00")}
	f, ok := fires(e, content)["content"]
	if !ok || f.Leak == nil || f.Leak.Label != "content" || len(f.Evidence) == 0 {
		t.Errorf("content report not flagged corpus-free: %+v", f)
	}
	// The sentence carrying the content is shown, not only its cues.
	focus := ""
	for _, ev := range f.Evidence {
		if ev.Kind == "leak_focus" {
			focus = ev.Text
		}
	}
	if !strings.HasPrefix(focus, "Dans un courriel daté du 12 mars") {
		t.Errorf("focus evidence %q, want the sentence quoting the mail; evidence %+v", focus, f.Evidence)
	}
	if _, ok := fires(e, existence)["content"]; ok {
		t.Error("a report of the hack was flagged as content")
	}

	cfg.Rules[0].Match = &config.Match{LeakQuote: &config.LeakQuote{Leak: "leak", MinWords: 12}}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "leak_quote needs the index") {
		t.Errorf("leak_quote without an index: %v", err)
	}
}

// An outlet's wall clock is its first zone's; one of every zone has the
// calendar's only if all its zones share one.
func TestLocation(t *testing.T) {
	data, err := os.ReadFile("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.yaml", data, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var metro, antilles string
	for _, s := range cfg.Sources {
		switch {
		case len(s.Zones) > 0 && s.Zones[0] == "metropole" && metro == "":
			metro = s.Name
		case len(s.Zones) > 0 && s.Zones[0] == "antilles" && antilles == "":
			antilles = s.Name
		}
	}
	if got := e.Location(metro); got == nil || got.String() != "Europe/Paris" {
		t.Errorf("%s: %v, want Europe/Paris", metro, got)
	}
	if got := e.Location(antilles); got == nil || got.String() == "Europe/Paris" {
		t.Errorf("%s: %v, want the Antilles' zone", antilles, got)
	}
	if got := e.Location("no-such-outlet"); got != nil {
		t.Errorf("an outlet of every zone, zones in several time zones: %v, want nil", got)
	}
}
